import httpx

def fetch_profile(user_id):
    return httpx.get(f"http://127.0.0.1:18081/users/{user_id}", timeout=2.0).json()

fetch_profile(42)
