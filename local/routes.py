"""HTTP API routes and CORS settings, read from the template's ``HttpApi`` events and APIs.

Route selection follows API Gateway HTTP APIs (see :meth:`Route.rank`): a path without variables
beats one with ``{param}`` segments, which beats a greedy ``{proxy+}``; more literal segments win; an
exact method beats ``ANY``; ``$default`` (an event without ``Path``) matches last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from local.template import FunctionSpec, Stack

IMPLICIT_API = "ServerlessHttpApi"
DEFAULT_ROUTE = "$default"


@dataclass(frozen=True)
class Route:
    function: str
    method: str  # an HTTP verb or ANY
    path: str  # the template path, or $default
    api: str  # logical id of the HttpApi

    @property
    def key(self) -> str:
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"

    @property
    def segments(self) -> list[str]:
        return [s for s in self.path.split("/") if s]

    def rank(self) -> tuple[bool, bool, int, int, tuple[bool, ...], bool]:
        """Sort key: the most specific route first (API Gateway's precedence).

        Routes without variables, then with ``{param}`` variables, then greedy ``{proxy+}`` ones (the longest
        literal prefix first), ``$default`` last; between equals, literal segments further left win, then an
        exact method beats ``ANY``. A route whose method does not match is skipped, so a request falls through
        to the next most specific route that takes its method.
        """
        segments = self.segments
        greedy = bool(segments) and segments[-1].endswith("+}")
        variables = tuple(s.startswith("{") for s in segments)
        literals = variables.count(False)
        return (
            self.path == DEFAULT_ROUTE,
            greedy,
            -literals,
            len(segments) - literals,
            variables,
            self.method == "ANY",
        )

    def match(self, method: str, segments: list[str]) -> dict[str, str] | None:
        """Path parameters if this route takes ``method`` on the (decoded) path ``segments``, else None."""
        if self.method not in ("ANY", method.upper()):
            return None
        if self.path == DEFAULT_ROUTE:
            return {}
        params: dict[str, str] = {}
        pattern = self.segments
        for index, part in enumerate(pattern):
            if part.startswith("{") and part.endswith("+}"):
                rest = segments[index:]
                if not rest:
                    return None
                params[part[1:-2]] = "/".join(rest)
                return params
            if index >= len(segments):
                return None
            if part.startswith("{") and part.endswith("}"):
                params[part[1:-1]] = segments[index]
            elif part != segments[index]:
                return None
        return params if len(segments) == len(pattern) else None


def http_routes(specs: Iterable[FunctionSpec]) -> list[Route]:
    """Every ``HttpApi`` event of every function, most specific first."""
    routes = []
    for spec in specs:
        for event in spec.events.values():
            if event.get("Type") != "HttpApi":
                continue
            props = event.get("Properties", {})
            api = props.get("ApiId", {})
            routes.append(
                Route(
                    function=spec.logical_id,
                    method=str(props.get("Method", "ANY")).upper(),
                    path=str(props.get("Path", DEFAULT_ROUTE)),
                    api=api.get("Ref", IMPLICIT_API) if isinstance(api, dict) else IMPLICIT_API,
                )
            )
    return sorted(routes, key=Route.rank)


def find_route(routes: Iterable[Route], method: str, segments: list[str]) -> tuple[Route, dict[str, str]] | None:
    for route in routes:  # already most specific first
        params = route.match(method, segments)
        if params is not None:
            return route, params
    return None


@dataclass(frozen=True)
class Cors:
    """An HttpApi ``CorsConfiguration`` (header names lower-cased)."""

    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    @classmethod
    def parse(cls, config: Any) -> Cors | None:
        if config is True:
            return cls(("*",), ("*",), ("*",))
        if not isinstance(config, Mapping):
            return None
        max_age = config.get("MaxAge")
        return cls(
            allow_origins=tuple(config.get("AllowOrigins", [])),
            allow_methods=tuple(m.upper() for m in config.get("AllowMethods", [])),
            allow_headers=tuple(h.lower() for h in config.get("AllowHeaders", [])),
            expose_headers=tuple(config.get("ExposeHeaders", [])),
            max_age=int(max_age) if max_age is not None else None,
            allow_credentials=bool(config.get("AllowCredentials", False)),
        )

    def allowed_origin(self, origin: str) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or None if it is not allowed."""
        if "*" in self.allow_origins:
            return "*"
        return origin if origin in self.allow_origins else None


def cors_by_api(stack: Stack) -> dict[str, Cors]:
    """CORS settings of every HttpApi that has them (resolved, so parameters and conditions work)."""
    found: dict[str, Cors] = {}
    for logical_id, resource in stack.of_type("AWS::Serverless::HttpApi").items():
        props = stack.resolve(resource.get("Properties", {}))
        cors = Cors.parse(props.get("CorsConfiguration"))
        if cors:
            found[logical_id] = cors
    globals_api = stack.resolve(stack.template.get("Globals", {}).get("HttpApi", {}))
    globals_cors = Cors.parse(globals_api.get("CorsConfiguration"))
    if globals_cors:
        for logical_id in stack.of_type("AWS::Serverless::HttpApi"):
            found.setdefault(logical_id, globals_cors)
        found.setdefault(IMPLICIT_API, globals_cors)
    return found
