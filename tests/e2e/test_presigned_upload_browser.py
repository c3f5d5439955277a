"""A browser sends a pre-signed upload itself: a page on another origin POSTs the upload URL's fields and the
file with ``fetch()`` straight to the stack's S3, then ``complete`` moves it to ``documents/`` and queues it.

The page's server holds no API key: the test (standing in for the site's backend) asks for the upload URL and
completes. The moto server answers CORS for any origin and method whatever the bucket's rule says, so this
proves the browser's side (the form, its order, a readable 204); the rule itself is checked by
``tests/component/local/test_local_buckets.py`` (the preflight, as moto evaluates the template's rule).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import WidgetStack

pytestmark = pytest.mark.e2e

PAGE = b'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Upload</title></head><body></body></html>'
UPLOAD = """async ({url, fields, name, text, type}) => {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  form.append('file', new Blob([text], {type}), name);
  const response = await fetch(url, {method: 'POST', body: form});
  return {status: response.status, origin: location.origin};
}"""
GUIDE = "# Kiln guide\n\nThe kiln fires every Thursday night.\n\nGlazes are lead-free.\n"


@pytest.fixture
def site() -> Iterator[str]:
    """A customer's page on its own origin (no Content-Security-Policy)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, *_: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_page_on_another_origin_posts_the_file_to_s3_and_the_upload_completes(
    page: Any, widget_stack: WidgetStack, site: str
) -> None:
    api, headers = f"{widget_stack.origin}/api/v1", widget_stack.key_headers
    agent = widget_stack.create_agent("Upload helper", "We answer questions about the studio.")
    # GIVEN an upload URL, asked for by the site's backend
    ticket = httpx.post(
        f"{api}/document/upload-url",
        headers=headers,
        json={"agent_id": agent, "filename": "kiln.md", "size": len(GUIDE.encode())},
        timeout=10,
    )
    assert ticket.status_code == 201, ticket.text
    upload, document_id = ticket.json()["upload"], ticket.json()["document"]["id"]
    assert upload["fields"]["key"].startswith("uploads/")
    # WHEN a page on another origin POSTs the fields and the file to S3 itself
    page.goto(site)
    sent = page.evaluate(
        UPLOAD,
        {
            "url": upload["url"],
            "fields": upload["fields"],
            "name": "kiln.md",
            "text": GUIDE,
            "type": upload["content_type"],
        },
    )
    # THEN the cross-origin POST succeeded and its answer was readable (a CORS failure would throw)
    assert sent == {"status": 204, "origin": site}
    # AND completing it queues the document, which the ingest function processes
    done = httpx.post(f"{api}/document/{document_id}/complete", headers=headers, timeout=10)
    assert done.status_code == 200, done.text
    assert done.json()["document"]["status"] == "pending"
    assert done.json()["document"]["file_size"] == len(GUIDE.encode())
    deadline = time.monotonic() + 30
    status = "pending"
    while status not in {"completed", "failed"} and time.monotonic() < deadline:
        time.sleep(0.3)
        status = httpx.get(f"{api}/document/{document_id}", headers=headers, timeout=10).json()["document"]["status"]
    assert status == "completed"
