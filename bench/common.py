"""What every benchmark shares: the repository root, the template's functions, the AWS environment, stats."""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Sequence
from pathlib import Path

from local.template import ROOT, FunctionSpec, Stack, functions, load_template

BENCH_DIR = ROOT / "bench"
RESULTS_PATH = BENCH_DIR / "RESULTS.md"

# moto in process or as a server; fake credentials, and no account-id endpoints (see reference/env.md)
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}
# never let a developer's shell send a benchmark to a real endpoint or profile
SCRUBBED_ENV = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE", "AWS_LAMBDA_TASK_ROOT")


def load_stack() -> Stack:
    return Stack(load_template())


def function_specs(stack: Stack) -> dict[str, FunctionSpec]:
    return functions(stack)


def handler_parts(spec: FunctionSpec) -> tuple[str, str]:
    module, _, func = spec.handler.rpartition(".")
    return module, func


def code_path(spec: FunctionSpec | None) -> list[Path]:
    """Import path of a function as Lambda sees it (code, then layers), then the repository root."""
    return [ROOT] if spec is None else [spec.code_dir, *spec.layer_dirs, ROOT]


def process_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(AWS_ENV)
    env.update(extra or {})
    return env


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: p99 of 200 samples is the 198th smallest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
