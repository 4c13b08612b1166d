import threading, time
import pymysql

def reserve(first, second):
    conn = pymysql.connect(host="127.0.0.1", port=53306, user="root", database="shop")
    with conn.cursor() as cur:
        cur.execute("update stock set qty = qty - 1 where sku = %s", (first,))
        time.sleep(0.5)
        cur.execute("update stock set qty = qty - 1 where sku = %s", (second,))
    conn.commit()

worker = threading.Thread(target=reserve, args=("B-200", "A-100"))
worker.start()
reserve("A-100", "B-200")
worker.join()
