#!/usr/bin/env python3
"""A misbehaving upstream for bench/adversity.sh, on loopback only.

/npm/endless-N   200 application/json that never ends (stops by itself after 2 GiB or 120 s)
/npm/big-N       a valid npm package document of about --big-mb MiB, named big-N
/simple/slow/    a PEP 503 page, until the file --silent-flag exists; then the answer is
                 held back (at most 120 s), as a silent upstream's would be
"""
import argparse, http.server, json, os, socketserver, time

def big_document(name, size_mb):
    versions = {}
    filler = "x" * 900
    i = 0
    while len(versions) * 1100 < size_mb * 1024 * 1024:
        v = f"1.0.{i}"
        versions[v] = {"name": name, "version": v, "description": filler,
                       "dist": {"tarball": f"http://127.0.0.1/npm/{name}/-/{name}-{v}.tgz", "shasum": "0" * 40}}
        i += 1
    return json.dumps({"name": name, "dist-tags": {"latest": v}, "versions": versions}).encode()

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--big-mb", type=int, default=60)
    p.add_argument("--silent-flag", required=True)
    a = p.parse_args()
    template = big_document("big-TEMPLATE", a.big_mb)
    page = b'<!DOCTYPE html><html><body><a href="slow-1.0.tar.gz#sha256=' + b"0" * 64 + b'">slow-1.0.tar.gz</a></body></html>'

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *args): pass
        def do_GET(self):
            path = self.path.split("?")[0]
            if path.startswith("/npm/endless-"):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b'{"pad":"' + b"y" * 65000 + b'"},'
                frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
                sent, start = 0, time.time()
                try:
                    while sent < (2 << 30) and time.time() - start < 120:
                        self.wfile.write(frame)
                        sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    return
                self.close_connection = True
            elif path.startswith("/npm/big-"):
                name = path.rsplit("/", 1)[1]
                body = template.replace(b"big-TEMPLATE", name.encode())
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif path == "/simple/slow/":
                waited = 0
                while os.path.exists(a.silent_flag) and waited < 1200:
                    time.sleep(0.1)
                    waited += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
    Server(("127.0.0.1", a.port), Handler).serve_forever()

if __name__ == "__main__":
    main()
