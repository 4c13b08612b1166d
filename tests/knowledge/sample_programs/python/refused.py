import requests

def fetch_rates():
    return requests.get("http://127.0.0.1:9/v1/rates", timeout=5).json()

fetch_rates()
