import psycopg2

connections = []
def connect():
    return psycopg2.connect(host="127.0.0.1", port=56432, user="app", dbname="shop")

for _ in range(5):
    connections.append(connect())
