import requests

requests.get("http://payments.internal.invalid/v1/charges", timeout=5)
