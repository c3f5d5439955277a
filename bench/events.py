"""API Gateway HTTP API (payload 2.0) events and a Lambda context, built with the standard library only.

The cold-start children import this module before their clock starts, so it must not pull in
anything a handler would import itself (no json, uuid or typing at runtime).
"""

from __future__ import annotations

import time

TYPE_CHECKING = False  # not ``typing.TYPE_CHECKING``: importing typing here would shorten the children's clock
if TYPE_CHECKING:
    from typing import Any

ACCOUNT_ID = "123456789012"
HOST = "bench.execute-api.us-east-1.amazonaws.com"
_sequence = [0]


def _request_id() -> str:
    _sequence[0] += 1
    return f"bench-{_sequence[0]:08d}"


def http_event(
    method: str,
    path: str,
    *,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
) -> dict[str, Any]:
    """One HTTP API payload 2.0 event as API Gateway sends it to a ``$default``-style proxy route."""
    now = time.time()
    all_headers = {
        "host": HOST,
        "user-agent": "knowrithm-bench",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        "accept": "application/json",
    }
    if body is not None:
        all_headers["content-type"] = "application/json"
        all_headers["content-length"] = str(len(body.encode()))
    all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
    request_id = _request_id()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": all_headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "bench",
            "domainName": HOST,
            "domainPrefix": "bench",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "knowrithm-bench",
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body
    return event


class LambdaContext:
    """The attributes of the Lambda context object that Powertools and Mangum read."""

    function_name = "knowrithm-bench"
    function_version = "$LATEST"
    invoked_function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT_ID}:function:knowrithm-bench"
    memory_limit_in_mb = 512
    log_group_name = "/aws/lambda/knowrithm-bench"
    log_stream_name = "bench"

    def __init__(self) -> None:
        self.aws_request_id = _request_id()

    def get_remaining_time_in_millis(self) -> int:
        return 20_000
