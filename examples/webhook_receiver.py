"""A minimal verified webhook receiver: standard library plus ``knowrithm_py.webhooks.verify``.

What it shows:

- **Verify first**, on the raw body: a bad or missing signature, or a timestamp outside 5 minutes,
  is answered ``400`` and never processed.
- **Answer fast**: a verified delivery is stored and answered ``200`` at once; a worker thread
  processes it afterwards (the server times out after 10 s and retries what was not a 2xx).
- **Process each event once**: deliveries are at least once, and every retry of an event carries
  the same ``webhook-id``. The id is the primary key of a small SQLite table, written with
  ``INSERT OR IGNORE``: a repeat is answered ``200`` (so the server stops retrying) and ignored.
  Stored events not yet processed (e.g. after a crash) are processed when the receiver starts again.

Configuration (environment): ``WEBHOOK_SECRET`` (required: the endpoint's ``whsec_...`` secret),
``PORT`` (default 4242; ``0`` picks a free one), ``HOST`` (default 127.0.0.1), ``WEBHOOK_DB`` (default
``.local/webhook_receiver.sqlite3``, git-ignored) and ``WEBHOOK_TOLERANCE`` (seconds, default 300).

Try it against the local stack::

    make dev                                   # terminal 1: the stack, with .local/demo.json

    # terminal 2: register http://127.0.0.1:4242/ for every event and note the secret it prints
    .venv/bin/python -c '
    import json; from knowrithm_py import KnowrithmClient
    demo = json.load(open(".local/demo.json"))
    client = KnowrithmClient(demo["api_key"], demo["api_secret"], base_url=demo["base_url"])
    created = client.webhooks.create_endpoint("http://127.0.0.1:4242/", description="example receiver")
    print(created["webhook"]["id"], created["secret"])'

    WEBHOOK_SECRET=whsec_... PORT=4242 .venv/bin/python examples/webhook_receiver.py

    # terminal 3: send a test event (or create a lead, start a conversation, ...)
    .venv/bin/python -c '
    import json, sys; from knowrithm_py import KnowrithmClient
    demo = json.load(open(".local/demo.json"))
    client = KnowrithmClient(demo["api_key"], demo["api_secret"], base_url=demo["base_url"])
    print(client.webhooks.send_test(sys.argv[1]))' <endpoint id>

(``make webhook-listen`` does all of that in one command.) Replace :func:`handle` with your own
processing; Ctrl-C or SIGTERM stops the receiver.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from knowrithm_py.webhooks import WebhookVerificationError, verify

MAX_BODY_BYTES = 1024 * 1024

SCHEMA = """
CREATE TABLE IF NOT EXISTS webhook_events (
    webhook_id   TEXT PRIMARY KEY,
    event        TEXT NOT NULL,
    body         TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    processed_at TEXT,
    error        TEXT
)
"""


def handle(envelope: dict[str, Any]) -> None:
    """Your business logic: runs once per event (``envelope`` is ``{id, event, timestamp, data, attempt}``)."""
    data = envelope.get("data") or {}
    print(f"processed {envelope.get('event')} {envelope.get('id')} (data id {data.get('id', '-')})", flush=True)


class Inbox:
    """The SQLite table of received events: one row per ``webhook-id``, marked when processed."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(SCHEMA)

    def add(self, webhook_id: str, envelope: dict[str, Any], raw: bytes) -> bool:
        """Store a verified event; ``False`` if this ``webhook-id`` was already received."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO webhook_events (webhook_id, event, body, received_at) VALUES (?, ?, ?, ?)",
                (webhook_id, str(envelope.get("event", "")), raw.decode("utf-8"), _now()),
            )
        self._wake.set()
        return cursor.rowcount == 1

    def _next(self) -> tuple[str, str] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT webhook_id, body FROM webhook_events WHERE processed_at IS NULL ORDER BY received_at LIMIT 1"
            ).fetchone()
        return (str(row[0]), str(row[1])) if row else None

    def work(self, stop: threading.Event) -> None:
        """Process stored events in arrival order until ``stop`` is set.

        An event whose processing raises is marked too, with its error, so one bad event cannot block
        the others (``SELECT * FROM webhook_events WHERE error IS NOT NULL`` lists them)."""
        while not stop.is_set():
            try:
                busy = self._process_next()
            except sqlite3.Error as exc:
                print(f"inbox error: {exc!r}", file=sys.stderr, flush=True)
                stop.wait(1.0)
                continue
            if not busy:
                self._wake.wait(0.5)
                self._wake.clear()

    def _process_next(self) -> bool:
        item = self._next()
        if item is None:
            return False
        webhook_id, body = item
        error = None
        try:
            handle(json.loads(body))
        except Exception as exc:  # noqa: BLE001 - keep the worker alive; the error is stored with the event
            error = repr(exc)
            print(f"failed to process {webhook_id}: {error}", file=sys.stderr, flush=True)
        with self._lock:
            self._db.execute(
                "UPDATE webhook_events SET processed_at = ?, error = ? WHERE webhook_id = ?",
                (_now(), error, webhook_id),
            )
        return True

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def make_handler(inbox: Inbox, secret: str, tolerance: int) -> type[BaseHTTPRequestHandler]:
    class Receiver(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._reply(413, {"error": "body too large"})
                return
            raw = self.rfile.read(length)
            try:
                envelope = verify(raw, self.headers, secret, tolerance)
            except WebhookVerificationError as exc:
                self._reply(400, {"error": str(exc)})
                return
            webhook_id = self.headers.get("webhook-id") or str(envelope.get("id", ""))
            fresh = inbox.add(webhook_id, envelope, raw)
            self._reply(200, {"status": "accepted" if fresh else "duplicate", "webhook_id": webhook_id})

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Receiver


def _interrupt(*_: Any) -> None:
    raise KeyboardInterrupt


def main() -> int:
    secret = os.environ.get("WEBHOOK_SECRET", "").strip()
    if not secret:
        print("Set WEBHOOK_SECRET to the endpoint's whsec_... secret.", file=sys.stderr)
        return 2
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "4242"))
    tolerance = int(os.environ.get("WEBHOOK_TOLERANCE", "300"))
    db = Path(os.environ.get("WEBHOOK_DB") or Path(".local") / "webhook_receiver.sqlite3")
    db.parent.mkdir(parents=True, exist_ok=True)
    inbox = Inbox(str(db))
    server = ThreadingHTTPServer((host, port), make_handler(inbox, secret, tolerance))
    server.daemon_threads = True
    stop = threading.Event()
    worker = threading.Thread(target=inbox.work, args=(stop,), name="webhook-worker", daemon=True)
    worker.start()
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"listening on http://{host}:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        stop.set()
        worker.join(5)
        inbox.close()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
