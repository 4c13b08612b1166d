import json

def parse_webhook(body):
    return json.loads(body)

parse_webhook("<html><body>502 Bad Gateway</body></html>")
