import threading, time
import psycopg2

DSN = dict(host="127.0.0.1", port=55432, user="postgres", dbname="postgres")

def transfer(source, target, amount):
    conn = psycopg2.connect(**DSN)
    with conn, conn.cursor() as cur:
        cur.execute("update accounts set balance = balance - %s where id = %s", (amount, source))
        time.sleep(0.5)
        cur.execute("update accounts set balance = balance + %s where id = %s", (amount, target))

worker = threading.Thread(target=transfer, args=(2, 1, 5))
worker.start()
transfer(1, 2, 10)
worker.join()
