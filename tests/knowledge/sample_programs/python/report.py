import psycopg2

def monthly_report(conn):
    with conn.cursor() as cur:
        cur.execute("set statement_timeout = '1s'")
        cur.execute("select pg_sleep(3), count(*) from accounts")
        return cur.fetchall()

monthly_report(psycopg2.connect(host="127.0.0.1", port=55432, user="postgres", dbname="postgres"))
