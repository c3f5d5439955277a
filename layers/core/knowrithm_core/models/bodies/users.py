"""A user's own profile, an admin adding a user, and company updates (Knowrithm's field names)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from knowrithm_core.models.bodies.base import Request, check_email


class UserAdd(Request):
    """``POST /auth/user``: a user of the caller's company (the company comes from the credentials)."""

    email: str = Field(max_length=255)
    username: str = Field(min_length=3, max_length=50)
    password: str = Field(min_length=8, max_length=256)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)

    _check_email = field_validator("email")(check_email)


class ProfileUpdate(Request):
    """``PUT /user/profile``: only the fields sent change."""

    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    language: str | None = Field(default=None, min_length=2, max_length=16)
    timezone: str | None = Field(default=None, min_length=1, max_length=64)
    preferences: dict[str, Any] | None = None

    @field_validator("preferences")
    @classmethod
    def _small(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(str(value)) > 8_000:
            raise ValueError("preferences are at most 8,000 characters")
        return value


class CompanyUpdate(Request):
    """``PUT``/``PATCH /company/{id}``: only the fields sent change (the email is fixed: it is the tenant's key)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    logo: str | None = Field(default=None, max_length=2048)
    address: dict[str, Any] | None = None
