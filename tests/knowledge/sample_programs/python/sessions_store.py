import redis

cache = redis.Redis(host="127.0.0.1", port=56379)

def save_session(session_id, payload):
    cache.set(f"session:{session_id}", payload)

for n in range(10_000):
    save_session(n, "x" * 1024)
