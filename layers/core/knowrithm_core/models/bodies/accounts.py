"""Companies, users, logins and API keys."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from knowrithm_core.models.bodies.base import SCOPES, Request, check_email


class CompanyCreate(Request):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=255)
    phone: str | None = Field(default=None, max_length=30)
    address: dict[str, Any] = Field(default_factory=dict)

    _check_email = field_validator("email")(check_email)


class UserRegister(Request):
    company_id: str = Field(min_length=1)
    email: str = Field(max_length=255)
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=8, max_length=256)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)

    _check_email = field_validator("email")(check_email)


class Login(Request):
    email: str = Field(min_length=1, max_length=255)
    password: str = Field(min_length=1, max_length=256)


class ApiKeyCreate(Request):
    name: str = Field(default="API key", max_length=100)
    scopes: list[str] = Field(default_factory=lambda: ["read", "write"])
    permissions: dict[str, Any] = Field(default_factory=dict)
    expires_in_days: int | None = Field(default=None, ge=1, le=365)
    rate_limit_per_hour: int = Field(default=1000, ge=0, le=10_000_000, description="Requests per UTC hour; 0: none")
    rate_limit_per_day: int = Field(default=10000, ge=0, le=100_000_000, description="Requests per UTC day; 0: none")

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, value: list[str]) -> list[str]:
        unknown = [scope for scope in value if scope not in SCOPES]
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; valid scopes are {list(SCOPES)}")
        if not value:
            raise ValueError("at least one scope is required")
        return sorted(set(value))
