import requests

def fetch_quote(sku):
    response = requests.get(f"http://127.0.0.1:18081/v1/quotes/{sku}", timeout=(3, 2))
    return response.json()

fetch_quote("A-100")
