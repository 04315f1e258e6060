"""A real HTTP server on 127.0.0.1 that records what it receives (webhook tests).

    with Receiver() as rx:
        rx.plan(500, 200)          # answers in order; then the default (200)
        ... rx.url("/hook") ... rx.requests[0].headers["X-Accord-Event-Id"]

`Receiver(tls=(cert, key))` serves HTTPS. A planned answer is a status code, a (code, headers) pair, ("slow", seconds) to stall
before answering 200, or "hold" to stall until `release()` (or the client hangs up).
"""

import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes


class Receiver:
    def __init__(self, default=200, tls=None):
        self.requests = []
        self.default = default
        self._plan = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.arrived = threading.Event()  # set at each request
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(
                        Request("POST", self.path, dict(self.headers.items()), body)
                    )
                    answer = receiver._plan.pop(0) if receiver._plan else receiver.default
                receiver.arrived.set()
                headers = {}
                if answer == "hold":
                    receiver._released.wait(60)
                    answer = 200
                elif isinstance(answer, tuple) and answer[0] == "slow":
                    receiver._released.wait(answer[1])
                    answer = 200
                elif isinstance(answer, tuple):
                    answer, headers = answer
                try:
                    self.send_response(answer)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the client gave up (timeout, killed worker)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:  # (certificate file, key file): serve HTTPS
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def host_port(self):
        return f"127.0.0.1:{self.port}"

    def url(self, path="/hook"):
        return f"http://{self.host_port}{path}"

    def plan(self, *answers):
        with self._lock:
            self._plan.extend(answers)

    def release(self):
        self._released.set()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.release()
        self.server.shutdown()
        self.server.server_close()
