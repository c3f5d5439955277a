"""Process environment of the local stack: fake AWS credentials and the functions' resolved ``Environment``.

Every handler runs in this one process, so the variables of all functions are merged; a
variable two functions set differently is reported (the first function's value wins).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping

from local.template import FunctionSpec, Stack

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}
# locally nobody reads the EMF metrics: they would only be JSON lines on the terminal
LOCAL_OVERRIDES = {"LOCAL_MODE": "true", "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"}


def use_fake_aws(endpoint_url: str | None) -> None:
    """Point every boto3 client at moto (``endpoint_url``) with credentials that never reach AWS."""
    os.environ.update(FAKE_AWS)
    os.environ.pop("AWS_PROFILE", None)
    if endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    else:
        os.environ.pop("AWS_ENDPOINT_URL", None)


def merged_environment(specs: Iterable[FunctionSpec]) -> tuple[dict[str, str], list[str]]:
    """All functions' variables in one mapping, plus a warning per conflicting variable."""
    merged: dict[str, str] = {}
    owner: dict[str, str] = {}
    warnings: list[str] = []
    for spec in specs:
        for key, value in spec.environment.items():
            if key in merged and merged[key] != value:
                warnings.append(
                    f"{spec.logical_id} sets {key}={value!r} but {owner[key]} sets {merged[key]!r}; "
                    f"using {owner[key]}'s value"
                )
                continue
            merged.setdefault(key, value)
            owner.setdefault(key, spec.logical_id)
    return {**merged, **LOCAL_OVERRIDES}, warnings


def with_queue_urls(variables: Mapping[str, str], stack: Stack, endpoint: str) -> dict[str, str]:
    """``!Ref`` of a queue resolves to a placeholder URL before the queue exists; swap in moto's real one."""
    out = dict(variables)
    for logical_id in stack.of_type("AWS::SQS::Queue"):
        placeholder, real = str(stack.ref(logical_id)), stack.queue_url(logical_id, endpoint)
        out = {key: value.replace(placeholder, real) for key, value in out.items()}
    return out


def apply_environment(variables: Mapping[str, str]) -> None:
    os.environ.update(variables)


def make_importable(spec: FunctionSpec) -> None:
    """Put the function's layers and code directory on ``sys.path`` (what Lambda's /opt/python and /var/task are)."""
    for directory in (*spec.layer_dirs, spec.code_dir):
        path = str(directory)
        if path not in sys.path:
            sys.path.insert(0, path)
