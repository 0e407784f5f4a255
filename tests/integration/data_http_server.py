#!/usr/bin/env python3
"""A small HTTP server for the data download tests (stdlib only).

Serves files under ROOT with Range support (bytes=N- and bytes=N-M), and a few test modes by
path prefix:
  /redirect/<p>   302 to /<p> (twice: /redirect/redirect/<p> chains)
  /cut/<p>        the first request for <p> sends half of the file, then drops the connection;
                  later ones are served normally
  /norange/<p>    ignores Range headers (always 200 with the whole file)
  /auth/<p>       401 unless "Authorization: Bearer let-me-in" was sent
  anything missing: 404
Every request is appended to LOG as one line: "METHOD PATH range=<Range or -> auth=<yes|no>".
Usage: data_http_server.py ROOT PORT_FILE LOG
"""
import http.server
import os
import sys
import threading

ROOT, PORT_FILE, LOG = sys.argv[1], sys.argv[2], sys.argv[3]
cut_done = set()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        rng = self.headers.get("Range")
        auth = self.headers.get("Authorization")
        with lock, open(LOG, "a") as log:
            log.write(f"GET {path} range={rng or '-'} auth={'yes' if auth else 'no'}\n")
        if path.startswith("/redirect/"):
            self.send_response(302)
            self.send_header("Location", "/" + path[len("/redirect/"):])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        mode = None
        for prefix in ("/cut/", "/norange/", "/auth/"):
            if path.startswith(prefix):
                mode, path = prefix.strip("/"), "/" + path[len(prefix):]
        if mode == "auth" and auth != "Bearer let-me-in":
            return self.fail(401)
        file = os.path.join(ROOT, path.lstrip("/"))
        if not os.path.isfile(file):
            return self.fail(404)
        with open(file, "rb") as f:
            data = f.read()
        start, end = 0, len(data)
        if rng and mode != "norange" and rng.startswith("bytes="):
            first, _, last = rng[len("bytes="):].partition("-")
            start = int(first)
            end = int(last) + 1 if last else len(data)
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:end]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with lock:
            cut = mode == "cut" and path not in cut_done
            if cut:
                cut_done.add(path)
        if cut:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
            self.close_connection = True
            return
        self.wfile.write(body)

    def fail(self, code):
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
