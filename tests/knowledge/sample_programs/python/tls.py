import http.server, ssl, sys, threading
def serve(port, name):
    httpd = http.server.HTTPServer(("127.0.0.1", port), http.server.SimpleHTTPRequestHandler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(f"{name}.pem", f"{name}.key")
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    httpd.serve_forever()
threading.Thread(target=serve, args=(18443, "selfsigned")).start()
serve(18444, "expired")
