#!/usr/bin/env python3
"""A static upstream registry that answers each request after a delay, as one across a wide-area
link would, for bench/mirror-wan.sh; on loopback only.

Serves the files under --root (keep-alive HTTP/1.1, one thread per connection); /npm/<name>
answers with --root/npm/<name>.json as application/json.
"""
import argparse, http.server, os, socketserver, time

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--delay", type=float, default=0.04, help="seconds added before each answer")
    a = p.parse_args()
    root = os.path.realpath(a.root)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *args): pass
        def answer(self, body_too):
            time.sleep(a.delay)
            path = self.path.split("?")[0]
            parts = path.strip("/").split("/")
            kind = "application/octet-stream"
            if len(parts) == 2 and parts[0] == "npm":
                path, kind = f"/npm/{parts[1]}.json", "application/json"
            file = os.path.realpath(root + path)
            if not file.startswith(root + os.sep) or not os.path.isfile(file):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with open(file, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body_too:
                self.wfile.write(body)
        def do_GET(self): self.answer(True)
        def do_HEAD(self): self.answer(False)

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        request_queue_size = 256
    Server(("127.0.0.1", a.port), Handler).serve_forever()

main()
