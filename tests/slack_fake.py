"""A small fake of the Slack Web API on loopback (``auth.test``, ``chat.postMessage``, ``users.info``), and Slack's
request signing (the real v0 algorithm), for tests that drive the official ``slack_sdk`` client against it."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

GOOD_TOKEN = "xoxb-1111-2222-good-token-abcd"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_USER = "UBOT"
TEAM = "T0001"


@dataclass
class Call:
    method: str  # the Web API method, e.g. chat.postMessage
    token: str
    args: dict[str, Any]


class FakeSlack:
    """Answers like Slack's Web API for one good bot token; records every call; ``fail_posts`` answers the next
    N ``chat.postMessage`` calls with ``ok: false``."""

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self.users = users or {"U0MAYA": "Maya Patel"}
        self.calls: list[Call] = []
        self.fail_posts = 0
        self._ts = 1_700_000_000
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length).decode() if length else ""
                args: dict[str, Any] = dict(parse_qsl(url.query))
                if raw and "json" in self.headers.get("Content-Type", ""):
                    args.update(json.loads(raw))
                elif raw:
                    args.update(parse_qsl(raw))
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                answer = fake.answer(url.path.rsplit("/", 1)[-1], token, args)
                payload = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve  # noqa: N815 - http.server's naming

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, method: str, token: str, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.calls.append(Call(method, token, args))
            if token != GOOD_TOKEN:
                return {"ok": False, "error": "invalid_auth"}
            if method == "auth.test":
                return {"ok": True, "team_id": TEAM, "user_id": BOT_USER, "team": "Acme", "user": "knowrithm"}
            if method == "chat.postMessage":
                if self.fail_posts:
                    self.fail_posts -= 1
                    return {"ok": False, "error": "internal_error"}
                self._ts += 1
                return {"ok": True, "channel": args.get("channel"), "ts": f"{self._ts}.000100"}
            if method == "users.info":
                name = self.users.get(str(args.get("user")))
                if name is None:
                    return {"ok": False, "error": "user_not_found"}
                return {"ok": True, "user": {"id": args["user"], "real_name": name, "profile": {"display_name": name}}}
            return {"ok": False, "error": "unknown_method"}

    def posts(self) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == "chat.postMessage"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def signed(body: dict[str, Any], secret: str = SIGNING_SECRET, at: float | None = None) -> tuple[bytes, dict[str, str]]:
    """A body and the headers Slack would send with it (v0 signature over ``v0:{timestamp}:{body}``)."""
    raw = json.dumps(body).encode()
    timestamp = str(int(at if at is not None else time.time()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + raw, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest}",
    }
    return raw, headers


def thread_reply(channel: str, thread_ts: str, text: str, *, event_id: str, user: str = "U0MAYA") -> dict[str, Any]:
    """An Events API ``event_callback`` for a person's reply in a thread."""
    return {
        "type": "event_callback",
        "team_id": TEAM,
        "event_id": event_id,
        "event": {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": f"{time.time():.6f}",
            "thread_ts": thread_ts,
        },
    }
