"""A replay server for ``kb refresh`` tests: recorded PyPI and GitHub responses served from
127.0.0.1 on a free port, never any other address. A route is a path -> Reply; a path with
no route answers 404 as both services do."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "replay"
LOOPBACK = "127.0.0.1"


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds to wait before answering (a timeout), and to wait between bytes (a trickle).
    delay: float = 0.0
    trickle: float = 0.0


def recorded(name: str) -> Reply:
    """A recorded response from tests/data/replay (a JSON file, served as is)."""
    return Reply(body=(DATA / name).read_bytes(),
                 headers={"Content-Type": "application/json"})


@dataclass
class Replay:
    url: str
    routes: dict[str, Reply]
    #: (path, request headers) of every request, in order.
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)


@contextmanager
def replay_server(routes: dict[str, Reply]) -> Iterator[Replay]:
    stop = threading.Event()
    state = Replay("", routes)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            path = self.path.split("?", 1)[0]
            state.seen.append((path, {k.lower(): v for k, v in self.headers.items()}))
            reply = state.routes.get(path, Reply(404, {"message": "Not Found"}))
            if reply.delay and stop.wait(reply.delay):
                return
            body = reply.body
            if not isinstance(body, bytes | str):
                body = json.dumps(body)
            data = body.encode() if isinstance(body, str) else body
            self.send_response(reply.status)
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if not reply.trickle:
                self.wfile.write(data)
                return
            for i in range(len(data)):
                if stop.wait(reply.trickle):
                    return
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return None

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            return None  # a client that gave up (timeout) is expected here

    server = Server((LOOPBACK, 0), Handler)
    state.url = f"http://{LOOPBACK}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
