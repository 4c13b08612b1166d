import pika

pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=9, connection_attempts=1))
