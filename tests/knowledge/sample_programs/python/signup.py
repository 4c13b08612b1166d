import psycopg2

def create_user(conn, email):
    with conn, conn.cursor() as cur:
        cur.execute("insert into users (email) values (%s) returning id", (email,))
        return cur.fetchone()[0]

create_user(psycopg2.connect(host="127.0.0.1", port=55432, user="postgres", dbname="postgres"), "ada@example.com")
