"""``python -m local.invoke -f ApiSystemFunction -e events/api_system_health.json``: one handler, one event.

What ``sam local invoke`` does, without Docker: the function runs in this process with its
resolved ``Environment``. AWS calls go to ``AWS_ENDPOINT_URL`` when it is set (a running
``make dev``), otherwise to moto in process with the template's resources freshly created.
Prints the handler's JSON result; a handler error prints Lambda's error JSON and exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from local.environment import LOCAL_OVERRIDES, apply_environment, use_fake_aws, with_queue_urls
from local.invoker import Invoker
from local.resources import create_all
from local.template import Stack, functions, load_template

IN_PROCESS = "https://sqs.us-east-1.amazonaws.com"  # the endpoint moto's in-process queue URLs use


@contextlib.contextmanager
def aws(stack: Stack) -> Iterator[str]:
    """The moto to talk to: the running one named by ``AWS_ENDPOINT_URL``, else a fresh one in process."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        use_fake_aws(endpoint)
        yield endpoint
        return
    from moto import mock_aws

    use_fake_aws(None)
    with mock_aws():
        create_all(stack)
        yield IN_PROCESS


def read_event(source: str) -> Any:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return json.loads(text)


def invoke(function: str, event: Any) -> tuple[bool, Any]:
    """(ok, result or Lambda's error object) of running ``function`` on ``event``."""
    stack = Stack(load_template())
    specs = functions(stack)
    if function not in specs:
        raise SystemExit(f"unknown function {function!r}; the template has: {', '.join(sorted(specs))}")
    with aws(stack) as where:
        print(f"invoking {function} against {'moto in process' if where == IN_PROCESS else where}", file=sys.stderr)
        apply_environment(with_queue_urls({**specs[function].environment, **LOCAL_OVERRIDES}, stack, where))
        try:
            with contextlib.redirect_stdout(sys.stderr):  # the handler's logs; stdout carries only the result
                return True, Invoker(stack, specs).invoke(function, event)
        except Exception as exc:  # noqa: BLE001 - reported the way Lambda reports an unhandled error
            return False, {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.invoke", description="Run one handler of template.yaml with a sample event."
    )
    parser.add_argument("--function", "-f", required=True, help="logical id in template.yaml, e.g. ApiAgentsFunction")
    parser.add_argument("--event", "-e", required=True, help="JSON event file ('-' reads stdin)")
    args = parser.parse_args(argv)
    ok, result = invoke(args.function, read_event(args.event))
    print(json.dumps(result, indent=2, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
