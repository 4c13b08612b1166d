import pymysql
c = pymysql.connect(host="127.0.0.1", port=53306, user="root", autocommit=True)
cur = c.cursor()
cur.execute("create database if not exists shop")
cur.execute("create table if not exists shop.stock (sku varchar(20) primary key, qty int) engine=InnoDB")
cur.execute("replace into shop.stock values ('A-100', 10), ('B-200', 10)")
