import psycopg2
c = psycopg2.connect(host="127.0.0.1", port=55432, user="postgres", dbname="postgres"); c.autocommit = True
cur = c.cursor()
cur.execute("drop table if exists accounts; create table accounts (id int primary key, balance int)")
cur.execute("insert into accounts values (1, 100), (2, 100)")
cur.execute("drop table if exists users; create table users (id serial primary key, email text unique)")
cur.execute("insert into users (email) values ('ada@example.com')")
