"""The ``local_stack`` fixture: ``python -m local`` in a subprocess on free ports, with its demo tenant.

Started once per session; waits (at most 60 s) for ``demo.json`` and ``GET /health`` = 200;
stopped with SIGINT (Ctrl-C) at the end, and the teardown asserts that it exited cleanly.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30  # generous: CI machines are slow when every test runs at once
# Short webhook retries, so failure scenarios (5 attempts, then the DLQ) play out in seconds.
WEBHOOK_RETRY_SCHEDULE = "1,1,1,2"
WEBHOOK_TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class LocalStack:
    base_url: str  # what the SDK takes: http://127.0.0.1:PORT/api
    api_key: str
    api_secret: str
    company_id: str
    agent_id: str
    origin: str  # http://127.0.0.1:PORT
    aws_endpoint_url: str  # the stack's moto server
    log_path: Path
    state_dir: Path  # LOCAL_STATE_DIR of the stack: demo.json (and state.json, its saved data) live here
    pid: int = 0  # the stack's process


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(origin: str) -> bool:
    try:
        return httpx.get(f"{origin}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_until_ready(process: subprocess.Popen[bytes], demo: Path, origin: str, log_path: Path) -> dict[str, str]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"python -m local exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        if demo.exists() and _healthy(origin):
            values: dict[str, str] = json.loads(demo.read_text(encoding="utf-8"))
            return values
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"the local stack was not ready within {START_TIMEOUT_S} s:\n{log_path.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    yield from run_local_stack(tmp_path_factory.mktemp("local-stack"))


def run_local_stack(state: Path, *, check_exit: bool = True) -> Iterator[LocalStack]:
    """Start ``python -m local`` with its state in ``state``, yield it when ready, stop it (Ctrl-C) and, with
    ``check_exit``, check that it exited cleanly. The session's ``local_stack`` uses it; a test that would weigh
    down the shared stack (moto slows down as its table grows), or breaks its infrastructure on purpose (then
    without ``check_exit``), can start one of its own."""
    log_path = state / "local.log"
    port, moto_port = free_port(), free_port()
    env = {**os.environ, "PORT": str(port), "MOTO_PORT": str(moto_port), "LOCAL_STATE_DIR": str(state)}
    env |= {"WEBHOOK_RETRY_SCHEDULE": WEBHOOK_RETRY_SCHEDULE, "WEBHOOK_TIMEOUT_SECONDS": str(WEBHOOK_TIMEOUT_SECONDS)}
    env.pop("AWS_ENDPOINT_URL", None)
    origin = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        try:
            demo = _wait_until_ready(process, state / "demo.json", origin, log_path)
            yield LocalStack(
                base_url=demo["base_url"],
                api_key=demo["api_key"],
                api_secret=demo["api_secret"],
                company_id=demo["company_id"],
                agent_id=demo["agent_id"],
                origin=origin,
                aws_endpoint_url=f"http://127.0.0.1:{moto_port}",
                log_path=log_path,
                state_dir=state,
                pid=process.pid,
            )
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                code = process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                if check_exit:
                    pytest.fail(f"python -m local did not stop within {STOP_TIMEOUT_S} s of Ctrl-C")
                return
    if not check_exit:
        return
    assert code == 0, f"python -m local exited with {code}:\n{log_path.read_text(errors='replace')}"
    assert "✓ stopped" in log_path.read_text(encoding="utf-8", errors="replace")
