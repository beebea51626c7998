#!/usr/bin/env python3
"""An engine stand-in for bench/events.sh: on a unix socket, answers
/_ping and /version as Engine 20.10 does, and /events with N events (the
shape the engine sends for container events) as fast as the client reads,
then ends the answer."""
import json
import os
import socketserver
import sys
from http.server import BaseHTTPRequestHandler

SOCK, N = sys.argv[1], int(sys.argv[2])
BASE = 1_700_000_000_000_000_000


def event(i):
    t = BASE + i * 1000
    return {
        "status": "start", "id": f"{i:064x}", "from": "busybox",
        "Type": "container", "Action": "start",
        "Actor": {"ID": f"{i:064x}", "Attributes": {"image": "busybox", "name": f"bench-{i}"}},
        "scope": "local", "time": t // 1_000_000_000, "timeNano": t,
    }


BODY = b"".join(json.dumps(event(i)).encode() + b"\n" for i in range(N))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def head(self, ctype, length=None):
        self.send_response(200)
        self.send_header("Api-Version", "1.41")
        self.send_header("Content-Type", ctype)
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def do_HEAD(self):
        self.head("text/plain", 2)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path.endswith("/_ping"):
            self.head("text/plain", 2)
            self.wfile.write(b"OK")
        elif path.endswith("/version"):
            body = json.dumps({"ApiVersion": "1.41", "Version": "20.10.24", "MinAPIVersion": "1.12",
                               "Os": "linux", "Arch": "amd64"}).encode()
            self.head("application/json", len(body))
            self.wfile.write(body)
        elif path.endswith("/events"):
            self.head("application/json")
            step = 1 << 16
            for at in range(0, len(BODY), step):
                piece = BODY[at:at + step]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            self.close_connection = True
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that hangs up early (the CLI after its ping) is no news.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    def get_request(self):
        conn, _ = self.socket.accept()
        return conn, ("local", 0)


if os.path.exists(SOCK):
    os.unlink(SOCK)
Server(SOCK, Handler).serve_forever()
