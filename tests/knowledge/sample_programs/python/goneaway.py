import time
import pymysql

conn = pymysql.connect(host="127.0.0.1", port=53306, user="root", database="shop")
with conn.cursor() as cur:
    cur.execute("set session wait_timeout = 1")

def stock_level(sku):
    with conn.cursor() as cur:
        cur.execute("select qty from stock where sku = %s", (sku,))
        return cur.fetchone()

time.sleep(3)  # the connection sat idle in the pool past wait_timeout
stock_level("A-100")
