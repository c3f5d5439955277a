"""``python -m bench.instructions [LogicalId ...]``: each API function's import in executed instructions.

A deterministic companion to the wall-clock cold-start section, for a machine too loaded to settle a ratio:
valgrind's callgrind counts the instructions (``Ir``) of a fresh interpreter importing the handler module
(same import path and environment as :mod:`bench.imports`, ``PYTHONHASHSEED=0``), minus those of the same
interpreter importing only what the benchmark child imports before its clock. Needs ``valgrind`` on PATH;
about 40 s per function. Instructions are not time (cache misses are not counted), but they track the
wall-clock ratios of a quiet machine within a few hundredths.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

from bench.common import AWS_ENV, load_stack, process_env
from bench.imports import HELLO, Case, _cases
from local.template import ROOT

PRELUDE = "import importlib, json, os, sys, time; from bench.events import LambdaContext, http_event"
COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(case: Case, module: str | None) -> int:
    """Instructions executed by a fresh interpreter importing ``module`` after the child's prelude."""
    env = process_env({**dict(case.env), "PYTHONPATH": os.pathsep.join(map(str, case.path)), "PYTHONHASHSEED": "0"})
    env.pop("AWS_ENDPOINT_URL", None)
    code = PRELUDE + (f"; importlib.import_module({module!r})" if module else "")
    argv = [sys.executable, "-P", "-c", code]
    subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, timeout=120, check=True)  # writes __pycache__
    grind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv]
    done = subprocess.run(grind, env=env, cwd=ROOT, capture_output=True, text=True, timeout=900, check=True)
    found = COLLECTED.search(done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from valgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main(names: list[str]) -> int:
    os.environ.update(AWS_ENV)
    cases = [c for c in _cases(load_stack()) if c.name == HELLO or (c.name in names if names else c.http)]
    hello = next(c for c in cases if c.name == HELLO)
    start = instructions(hello, None)
    base = instructions(hello, hello.module) - start
    print(f"| Function | Import, M instructions | × hello |\n|---|---:|---:|\n| hello | {base / 1e6:.1f} | 1.000× |")
    for case in cases:
        if case is not hello:
            count = instructions(case, case.module) - start
            print(f"| {case.name} | {count / 1e6:.1f} | {count / base:.3f}× |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
