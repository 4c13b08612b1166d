import requests

def create_charge(amount):
    response = requests.post("http://127.0.0.1:18082/v1/charges", json={"amount": amount}, timeout=5)
    response.raise_for_status()
    return response.json()

create_charge(1999)
