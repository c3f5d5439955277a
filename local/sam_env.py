"""``.local/sam-env.json``: an env-vars file for ``sam local invoke/start-api`` that points every function at the
local stack's moto server.

SAM's format is ``{"FunctionLogicalId": {"VAR": "value"}}``. SAM only overrides variables the template declares:
the Globals declare ``AWS_ENDPOINT_URL`` (``!If [HasLocalEndpoint, ...]``, which SAM leaves unresolved, so declared;
CloudFormation drops it unless ``LocalEndpointUrl`` is set).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from local.environment import with_queue_urls
from local.template import FunctionSpec, Stack


def sam_env(
    stack: Stack, specs: Mapping[str, FunctionSpec], endpoint: str, local_urls: Mapping[str, str] | None = None
) -> dict[str, dict[str, str]]:
    """Each function's resolved environment (the local stack's table, queue URLs, bucket...) plus the endpoint;
    ``local_urls`` replace the variables a function declares that name the stack's other local servers (the
    WebSocket API's Management API, for the push function)."""
    envs: dict[str, dict[str, str]] = {}
    for logical_id, spec in specs.items():
        env = {**with_queue_urls(spec.environment, stack, endpoint), "AWS_ENDPOINT_URL": endpoint}
        env |= {name: url for name, url in (local_urls or {}).items() if name in env}
        envs[logical_id] = env
    return envs


def write_sam_env(
    directory: Path,
    stack: Stack,
    specs: Mapping[str, FunctionSpec],
    endpoint: str,
    local_urls: Mapping[str, str] | None = None,
) -> Path:
    """Write ``sam-env.json`` atomically into ``directory``; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "sam-env.json"
    partial = path.with_suffix(".json.tmp")
    content = sam_env(stack, specs, endpoint, local_urls)
    partial.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)
    return path
