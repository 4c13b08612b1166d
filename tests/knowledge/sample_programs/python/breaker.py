import pybreaker
import requests

inventory_breaker = pybreaker.CircuitBreaker(fail_max=3, reset_timeout=30)

@inventory_breaker
def stock_level(sku):
    return requests.get(f"http://127.0.0.1:9/stock/{sku}", timeout=1).json()

for attempt in range(4):
    try:
        stock_level("A-100")
    except requests.exceptions.ConnectionError:
        pass
stock_level("A-100")
