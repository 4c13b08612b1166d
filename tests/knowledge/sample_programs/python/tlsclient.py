import requests

def fetch_invoices():
    return requests.get("https://localhost:18443/v1/invoices", timeout=5).json()

fetch_invoices()
