"""A real webhook receiver on 127.0.0.1 that answers from a script: 2xx, errors, slow, reset, redirect.

The script is a function of the request and of how many times its ``webhook-id`` has been seen (1 on the
first attempt), so each event follows its own script whatever else arrives meanwhile. Every request, on
every path and method, is recorded with its arrival time (``time.time()``, comparable with the envelope's
``timestamp``) before it is answered.
"""

from __future__ import annotations

import itertools
import json
import random
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOOK_PATH = "/hooks"


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a status (with headers), or ``sleep`` then 200, or a connection ``reset``."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    sleep: float = 0.0
    reset: bool = False


OK = Reply()


def status(code: int, **headers: str) -> Reply:
    return Reply(status=code, headers=tuple((k.replace("_", "-"), v) for k, v in headers.items()))


def slow(seconds: float) -> Reply:
    """Answer 200, but only after ``seconds`` (past the sender's timeout, the answer is never read)."""
    return Reply(sleep=seconds)


def reset() -> Reply:
    """Read the request, then abort the connection (SO_LINGER 0: the client sees a TCP RST, no response)."""
    return Reply(reset=True)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.time() on arrival
    seen: int  # 1 on the first request with this webhook-id
    reply: Reply | None = None  # what the script answered (set just after arrival)

    @property
    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def answered_ok(self) -> bool:
        """Answered 2xx at once (a reset or a slow answer is not a success the sender can see)."""
        reply = self.reply
        return reply is not None and not reply.reset and reply.sleep == 0 and 200 <= reply.status < 300


Responder = Callable[[Received], Reply]


def scripted(*replies: Reply, then: Reply = OK) -> Responder:
    """The n-th attempt of each webhook-id gets ``replies[n - 1]``, later ones ``then``."""
    return lambda request: replies[request.seen - 1] if request.seen <= len(replies) else then


def always(reply: Reply) -> Responder:
    return lambda _request: reply


def in_order(*replies: Reply, then: Reply = OK) -> Responder:
    """The n-th request overall (whatever its webhook-id) gets ``replies[n - 1]``, later ones ``then``."""
    counter = itertools.count()
    lock = threading.Lock()

    def respond(_request: Received) -> Reply:
        with lock:
            n = next(counter)
        return replies[n] if n < len(replies) else then

    return respond


def flaky(failure_rate: float, seed: int, failure: Reply = Reply(status=500)) -> Responder:
    """Fails a pseudo-random share of attempts; each (webhook-id, attempt) decides the same way for a seed."""

    def respond(request: Received) -> Reply:
        draw = random.Random(f"{seed}/{request.webhook_id}/{request.seen}").random()
        return failure if draw < failure_rate else OK

    return respond


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # a sender's ten concurrent POSTs must not overflow the listen backlog (default 5)
    aborted: set[socket.socket]

    def shutdown_request(self, request: Any) -> None:
        if request in self.aborted:  # no shutdown(SHUT_WR) first: that would send a polite FIN
            self.aborted.discard(request)
            request.close()
            return
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out and hang up are part of the script


class Receiver:
    """Start with a responder; ``url`` is where to register it; ``close()`` when done."""

    def __init__(self, responder: Responder = always(OK)) -> None:
        self.responder = responder
        self.received: list[Received] = []
        self._seen: dict[str, int] = {}
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                reply = receiver._record(self.command, self.path, dict(self.headers.items()), body)
                if reply.reset:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    receiver.server.aborted.add(self.connection)
                    return
                time.sleep(reply.sleep)
                payload = b'{"ok": true}'
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers:
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    self.close_connection = True  # the sender gave up waiting

            do_POST = do_GET = do_PUT = _serve  # noqa: N815 - http.server's naming

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.aborted = set()
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = self.origin + HOOK_PATH
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def _record(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._changed:
            key = lowered.get("webhook-id", "")
            self._seen[key] = self._seen.get(key, 0) + 1
            request = Received(method, path, lowered, body, time.time(), self._seen[key])
            request.reply = self.responder(request)
            self.received.append(request)
            self._changed.notify_all()
        return request.reply

    def hooks(self) -> list[Received]:
        """Requests to the registered path (not to a redirect target or anything else)."""
        with self._changed:
            return [r for r in self.received if r.path == HOOK_PATH]

    def attempts(self, webhook_id: str) -> list[Received]:
        return [r for r in self.hooks() if r.webhook_id == webhook_id]

    def of_event(self, event: str) -> list[Received]:
        return [r for r in self.hooks() if r.headers.get("x-knowrithm-event") == event]

    def wait_for(self, ready: Callable[[list[Received]], bool], timeout: float) -> list[Received]:
        """Block until ``ready(requests to the hook path)`` holds; raises ``TimeoutError`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                hooks = [r for r in self.received if r.path == HOOK_PATH]
                if ready(hooks):
                    return hooks
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    summary = [(r.webhook_id, r.headers.get("x-knowrithm-event"), r.seen) for r in hooks]
                    raise TimeoutError(f"receiver condition not met within {timeout} s; got {summary}")
                self._changed.wait(remaining)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
