import psycopg2

connections = []
def connect():
    return psycopg2.connect(host="127.0.0.1", port=55432, user="app", dbname="postgres")

for _ in range(10):
    connections.append(connect())
