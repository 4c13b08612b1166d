from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(429); self.send_header("Retry-After", "30"); self.end_headers()
    do_POST = do_GET
HTTPServer(("127.0.0.1", 18082), H).serve_forever()
