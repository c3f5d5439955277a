"""What every request body shares: the open base model (unknown keys ignored) and :func:`parse`."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from knowrithm_core.errors import ValidationFailed

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SCOPES = ("read", "write", "update", "delete", "admin", "full_access")

Model = TypeVar("Model", bound=BaseModel)


def parse(model: type[Model], data: Any) -> Model:
    """Validate ``data`` into ``model`` or raise a 400 naming every bad field."""
    if isinstance(data, model):
        return data  # already validated (a route's typed body)
    if not isinstance(data, dict):
        raise ValidationFailed("The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for err in exc.errors():
            field = ".".join(str(part) for part in err["loc"]) or "body"
            errors.setdefault(field, []).append(err["msg"])
        summary = "; ".join(f"{field}: {msgs[0]}" for field, msgs in errors.items())
        raise ValidationFailed(f"Validation failed: {summary}", details={"errors": errors}) from exc


class Request(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, defer_build=True)


def check_email(value: str) -> str:
    if not EMAIL_RE.match(value):
        raise ValueError("must be a valid email address")
    return value.lower()
