"""One fresh interpreter of the cold-start benchmark (run by :mod:`bench.imports`, never imported by it).

``python -m bench._child MODE MODULE HANDLER PATH`` prints one JSON line. MODE is

* ``import``: time ``importlib.import_module(MODULE)`` only;
* ``first-request``: import plus one ``GET PATH`` invocation of ``MODULE.HANDLER`` (any PATH but ``/health``
  carries an unknown API key, so the function authenticates and answers 401); AWS calls go
  wherever the environment says (the parent points ``AWS_ENDPOINT_URL`` at a moto server);
* ``first-request-inprocess``: the same against moto ``mock_aws`` in this process, started and
  populated before the clock (moto imports boto3 and botocore, so those are not in the figure).

Nothing but the standard library (and, for the in-process mode, moto) is imported before the clock.
"""

from __future__ import annotations

import importlib
import os
import sys
import time

from bench.events import LambdaContext, http_event


def _start_moto_in_process() -> object:
    import json

    from moto import mock_aws

    from local.resources import create_all
    from local.template import Stack

    mock = mock_aws()
    mock.start()
    with open(os.environ["BENCH_TEMPLATE_JSON"], encoding="utf-8") as handle:
        create_all(Stack(json.load(handle)))
    return mock


def main() -> None:
    mode, module_name, handler_name, path = sys.argv[1:5]
    out = sys.stdout
    sys.stdout = sys.stderr  # whatever the app prints must not mix with the JSON line
    mock = _start_moto_in_process() if mode == "first-request-inprocess" else None
    unknown_key = {"x-api-key": "ak_bench_unknown", "x-api-secret": "as_bench_unknown"}
    event = http_event("GET", path, headers=None if path == "/health" else unknown_key)
    context = LambdaContext()
    watched = ("boto3", "botocore", "argon2", "jwt", "aws_xray_sdk", "pydantic", "fastapi")
    preloaded = {m for m in watched if m in sys.modules}

    started = time.perf_counter()
    module = importlib.import_module(module_name)
    imported = time.perf_counter()
    result: dict[str, object] = {
        "import_ms": (imported - started) * 1000,
        "imported_by_module": [m for m in watched if m in sys.modules and m not in preloaded],
    }
    after_import = {m for m in watched if m in sys.modules}
    if mode != "import":
        response = getattr(module, handler_name)(event, context)
        done = time.perf_counter()
        result |= {
            "first_request_ms": (done - started) * 1000,
            "invoke_ms": (done - imported) * 1000,
            "status": response.get("statusCode"),
            "imported_on_first_request": [m for m in watched if m in sys.modules and m not in after_import],
        }

    import json

    out.write(json.dumps(result) + "\n")
    out.flush()
    if mock is not None:
        mock.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
