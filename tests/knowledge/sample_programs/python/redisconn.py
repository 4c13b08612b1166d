import redis

cache = redis.Redis(host="127.0.0.1", port=9)
cache.get("session:42")
