"""Who is calling, and what they may do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from knowrithm_core.errors import Forbidden

PrincipalKind = Literal["user", "api_key", "lead"]

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset({"read", "write", "admin"}),
    "user": frozenset({"read", "write"}),
    "lead": frozenset(),
}


def required_scope(method: str) -> str:
    """GET/HEAD need ``read``; every other method writes."""
    return "read" if method.upper() in {"GET", "HEAD", "OPTIONS"} else "write"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a dashboard user (JWT), an API key, or a widget lead (lead JWT)."""

    kind: PrincipalKind
    company_id: str
    subject_id: str
    scopes: frozenset[str]
    role: str
    agent_id: str | None = None
    email: str | None = None
    origin: str | None = None  # a lead token's registering page origin (see knowrithm_core.widget.origins)
    rate_limits: tuple[int, int] | None = None  # an API key's (per hour, per day); 0 is unlimited

    @property
    def is_lead(self) -> bool:
        return self.kind == "lead"

    def has(self, scope: str, method: str | None = None) -> bool:
        if "full_access" in self.scopes or scope in self.scopes:
            return True
        if scope == "write" and method:
            verb = method.upper()
            return ("update" in self.scopes and verb in {"PUT", "PATCH"}) or (
                "delete" in self.scopes and verb == "DELETE"
            )
        return False

    def require(self, scope: str, method: str | None = None) -> None:
        """Raise 403 unless this caller holds ``scope`` (leads hold none)."""
        if self.is_lead:
            raise Forbidden("A lead token cannot use this route.")
        if not self.has(scope, method):
            raise Forbidden(f"This route needs the '{scope}' scope.", details={"required_scope": scope})
