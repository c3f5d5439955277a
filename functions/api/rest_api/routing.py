"""A route class that builds its request-handling machinery on first use instead of at import.

FastAPI builds three things for every route when it is declared: the dependency graph (signatures of the
endpoint and of every dependency, one pydantic field per path parameter), the response field (a pydantic
``TypeAdapter`` of the return annotation) and the ASGI app. Every route of this API lives in a router that is
included under a prefix (``/api/v1``, ``/v1``), and FastAPI (0.16x) serves and documents an included route
through a per-inclusion copy that it builds from the route's plain settings when the app first routes a
request: the copies built at declaration were never used, and building them for ~70 routes was most of
what the API's routers added to a cold start.

:class:`DeferredAPIRoute` computes the plain settings exactly as :class:`fastapi.routing.APIRoute` does and
leaves the rest to the first read of one of :data:`DEFERRED` (then it runs ``APIRoute.__init__`` itself, so
a route used directly behaves as an eager one). ``tests/unit/test_routing.py`` checks that every route of
the app gets the same settings both ways, and the same OpenAPI document.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from fastapi._compat import lenient_issubclass
from fastapi._form_limits import _validate_form_limits
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.utils import get_typed_return_annotation
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code
from starlette.responses import Response
from starlette.routing import compile_path, get_name

# what APIRoute builds besides its plain settings: left to the first read
DEFERRED = frozenset(
    {
        "dependant",
        "_embed_body_fields",
        "body_field",
        "response_field",
        "response_fields",
        "stream_item_field",
        "is_sse_stream",
        "is_json_stream",
        "app",
    }
)
# APIRoute's own defaults, so options a router leaves out resolve exactly as in APIRoute.__init__
_DEFAULTS = {
    name: p.default
    for name, p in inspect.signature(APIRoute.__init__).parameters.items()
    if p.default is not inspect.Parameter.empty
}
_build_lock = threading.RLock()


def _deferrable(endpoint: Callable[..., Any], options: dict[str, Any]) -> bool:
    """Only the plain case: a (non-generator) function, no extra response models, no body or form limits."""
    return (
        inspect.isfunction(endpoint)
        and not inspect.isgeneratorfunction(endpoint)
        and not inspect.isasyncgenfunction(endpoint)
        and not any(isinstance(r, dict) and r.get("model") for r in (options["responses"] or {}).values())
        and options["max_body_size"] is None
        and options["form_limits"] is None
    )


class DeferredAPIRoute(APIRoute):
    """An ``APIRoute`` whose dependency graph, response fields and ASGI app are built when first read."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        unknown = set(options) - set(_DEFAULTS)
        resolved = {**_DEFAULTS, **options}
        if unknown or not _deferrable(endpoint, resolved):
            super().__init__(path, endpoint, **options)
            return
        self._deferred: tuple[str, Callable[..., Any], dict[str, Any]] | None = (path, endpoint, options)
        self._set_plain_settings(path, endpoint, resolved)

    def _set_plain_settings(self, path: str, endpoint: Callable[..., Any], o: dict[str, Any]) -> None:
        """What ``fastapi.routing._populate_api_route_state`` sets before it builds the dependency graph."""
        self.form_limits = _validate_form_limits(None)
        self.path = path
        self.endpoint = endpoint
        self.stream_item_type = None
        self.summary = o["summary"]
        self.response_description = o["response_description"]
        self.deprecated = o["deprecated"]
        self.operation_id = o["operation_id"]
        self.response_model_include = o["response_model_include"]
        self.response_model_exclude = o["response_model_exclude"]
        self.response_model_by_alias = o["response_model_by_alias"]
        self.response_model_exclude_unset = o["response_model_exclude_unset"]
        self.response_model_exclude_defaults = o["response_model_exclude_defaults"]
        self.response_model_exclude_none = o["response_model_exclude_none"]
        self.include_in_schema = o["include_in_schema"]
        self.response_class = o["response_class"]
        self.dependency_overrides_provider = o["dependency_overrides_provider"]
        self.callbacks = o["callbacks"]
        self.openapi_extra = o["openapi_extra"]
        self.generate_unique_id_function = o["generate_unique_id_function"]
        self.strict_content_type = o["strict_content_type"]
        self.max_body_size = None
        self.tags = o["tags"] or []
        self.responses = o["responses"] or {}
        self.name = get_name(endpoint) if o["name"] is None else o["name"]
        self.path_regex, self.path_format, self.param_convertors = compile_path(path)
        self.methods = {method.upper() for method in (["GET"] if o["methods"] is None else o["methods"])}
        unique_id = self.generate_unique_id_function
        if isinstance(unique_id, DefaultPlaceholder):
            unique_id = unique_id.value
        self.unique_id = self.operation_id or unique_id(self)
        status_code = o["status_code"]
        self.status_code = int(status_code) if isinstance(status_code, IntEnum) else status_code
        self.dependencies = list(o["dependencies"] or [])
        description = o["description"] or inspect.cleandoc(endpoint.__doc__ or "")
        self.description = description.split("\f")[0].strip()
        response_model = o["response_model"]
        if isinstance(response_model, DefaultPlaceholder):
            annotation = get_typed_return_annotation(endpoint)
            response_model = None if lenient_issubclass(annotation, Response) else annotation
        self.response_model = response_model
        if self.response_model:
            assert is_body_allowed_for_status_code(self.status_code), (
                f"Status code {self.status_code} must not have a response body"
            )

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes that are not set: a deferred one, before its first read.
        if name not in DEFERRED:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        with _build_lock:
            deferred = self.__dict__.pop("_deferred", None)
            if deferred is not None:
                path, endpoint, options = deferred
                APIRoute.__init__(self, path, endpoint, **options)
        return object.__getattribute__(self, name)
