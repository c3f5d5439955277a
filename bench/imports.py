"""Cold start: import time of every function's handler module, and its first request, in fresh interpreters.

Each measurement is a new ``python -P -m bench._child`` (see that module) with the function's import
path (code dir, layer dirs, repository root) and resolved environment. Runs are interleaved: one
discarded warm-up import of each module (it also writes ``__pycache__``), then ``ROUNDS`` rounds, each
visiting every case in a rotated order, so slow phases of a noisy machine are spread over all cases.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import code_path, function_specs, handler_parts, median, process_env
from local.template import ROOT, Stack

ROUNDS = 7
HELLO = "hello (FastAPI + Mangum)"
IMPORT = "import"
FIRST_SERVER = "first-request"
FIRST_IN_PROCESS = "first-request-inprocess"
HEALTH = "/health"
# The first request of an API function that does not serve /health: a route of its own, sent with an unknown
# API key, so it runs the whole auth path (one key look-up in DynamoDB) and answers 401.
FIRST_REQUESTS = {
    "ApiAccountsFunction": "/api/v1/auth/user/me",
    "ApiAgentsFunction": "/api/v1/agent",
    "ApiConversationsFunction": "/api/v1/conversation",
    "ApiLeadsFunction": "/api/v1/lead/company",
    "ApiDocumentsFunction": "/api/v1/document",
    "ApiWebhooksFunction": "/api/v1/webhook",
    "ApiAnalyticsFunction": "/api/v1/analytic/dashboard",
    "ApiOperationsFunction": "/api/v1/operations/dlq",
}


@dataclass(frozen=True)
class Case:
    name: str
    module: str
    handler: str
    path: tuple[Path, ...]
    env: tuple[tuple[str, str], ...]
    http: bool  # fronted by the HTTP API, so a first request (a GET of ``path``) makes sense
    first_path: str = HEALTH


@dataclass
class ColdStart:
    case: Case
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: set[int] = field(default_factory=set)
    imported_by_module: list[str] = field(default_factory=list)
    imported_on_first_request: list[str] = field(default_factory=list)
    packages_ms: dict[str, float] = field(default_factory=dict)  # self import time per top-level package

    def median(self, mode: str) -> float | None:
        values = self.samples.get(mode)
        return median(values) if values else None


@dataclass
class ImportResults:
    hello: ColdStart
    functions: list[ColdStart]
    rounds: int


def _cases(stack: Stack) -> list[Case]:
    hello = Case(HELLO, "bench.hello_app", "lambda_handler", tuple(code_path(None)), (), True)
    cases = [hello]
    for logical_id, spec in function_specs(stack).items():
        module, func = handler_parts(spec)
        http = any(e.get("Type") == "HttpApi" for e in spec.events.values())
        env = tuple(sorted(spec.environment.items()))
        first = FIRST_REQUESTS.get(logical_id, HEALTH)
        cases.append(Case(logical_id, module, func, tuple(code_path(spec)), env, http, first))
    return cases


def _run_child(case: Case, mode: str, extra_env: dict[str, str], *, importtime: bool = False) -> dict[str, Any]:
    env = process_env({**dict(case.env), **extra_env, "PYTHONPATH": os.pathsep.join(map(str, case.path))})
    if mode != FIRST_SERVER:
        env.pop("AWS_ENDPOINT_URL", None)
    # -P: no cwd on sys.path, so the path is exactly what Lambda would see plus the repository root
    argv = [sys.executable, "-P", *(["-X", "importtime"] if importtime else []), "-m", "bench._child"]
    proc = subprocess.run(
        [*argv, mode, case.module, case.handler, case.first_path],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{case.name} ({mode}) failed with exit code {proc.returncode}:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    if importtime:
        result["stderr"] = proc.stderr
    return result


_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)$")


def _packages_ms(stderr: str) -> dict[str, float]:
    """Self import time (ms, from ``-X importtime``) summed per top-level package."""
    totals: dict[str, float] = defaultdict(float)
    for line in stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match:
            totals[match.group(4).split(".")[0]] += int(match.group(1)) / 1000
    totals.pop("bench", None)
    return dict(totals)


@contextmanager
def _moto_server(stack: Stack) -> Iterator[str]:
    """A moto server in this process with every resource of the template, for the first-request children."""
    from moto.server import ThreadedMotoServer

    from local.resources import create_all

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        create_all(stack, endpoint_url=endpoint)
        yield endpoint
    finally:
        server.stop()


def run(stack: Stack, rounds: int = ROUNDS) -> ImportResults:
    cases = _cases(stack)
    results = {case: ColdStart(case) for case in cases}
    jobs = [(case, IMPORT) for case in cases]
    jobs += [(case, FIRST_SERVER) for case in cases if case.http]
    jobs += [(case, FIRST_IN_PROCESS) for case in cases if case.http and case.name != HELLO]

    with tempfile.TemporaryDirectory() as tmp, _moto_server(stack) as endpoint:
        template_json = Path(tmp) / "template.json"
        template_json.write_text(json.dumps(stack.template), encoding="utf-8")
        extra = {"AWS_ENDPOINT_URL": endpoint, "BENCH_TEMPLATE_JSON": str(template_json)}
        for case in cases:  # warm-up round (writes __pycache__, fills the page cache): discarded
            _run_child(case, IMPORT, extra)
        for round_no in range(rounds):
            shift = round_no % len(jobs)
            for case, mode in jobs[shift:] + jobs[:shift]:
                out = _run_child(case, mode, extra)
                cold = results[case]
                if mode == IMPORT:
                    cold.samples[IMPORT].append(out["import_ms"])
                    cold.imported_by_module = out["imported_by_module"]
                else:
                    cold.samples[mode].append(out["first_request_ms"])
                    cold.statuses.add(int(out["status"]))
                    if mode == FIRST_SERVER:
                        cold.imported_on_first_request = out["imported_on_first_request"]
        for case in cases:  # attribution only: -X importtime slows imports down
            results[case].packages_ms = _packages_ms(_run_child(case, IMPORT, extra, importtime=True)["stderr"])

    return ImportResults(hello=results[cases[0]], functions=[results[c] for c in cases[1:]], rounds=rounds)
