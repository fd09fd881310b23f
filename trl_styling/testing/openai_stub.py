"""A scripted OpenAI-compatible chat server on loopback, for testing code that talks to one.

`scripted_server` starts a real stdlib HTTP server whose ``/v1/chat/completions`` answers come from a Python
function of the request body: scripted statuses (503, 429, 400...), slow answers, or JSON a judge should parse.
It records every request body and the peak number of requests in flight.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, Any], dict[str, str]]  # status, JSON body, headers


def completion(*texts: str) -> dict[str, Any]:
    """A chat-completion body with one choice per text."""
    choices = [
        {"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"}
        for i, t in enumerate(texts)
    ]
    return {"id": "c", "object": "chat.completion", "created": 0, "model": "m", "choices": choices}


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server: Any = self.server
        with server.lock:
            server.bodies.append(body)
            index = len(server.bodies) - 1
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
        try:
            status, payload, headers = server.respond(body, index, dict(self.headers))
        finally:
            with server.lock:
                server.in_flight -= 1
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            for key, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
            pass

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def scripted_server(respond: Callable[[dict, int, dict], Reply]) -> Iterator[Any]:
    """A real HTTP server on loopback answering ``/v1/chat/completions`` with ``respond(body, index, headers)``."""
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.respond, server.bodies, server.lock = respond, [], threading.Lock()
    server.in_flight = server.max_in_flight = 0
    server.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
