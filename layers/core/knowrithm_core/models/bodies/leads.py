"""Leads: widget registration and management."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from knowrithm_core.models.bodies.base import Request, check_email


class LeadFields(Request):
    phone: str | None = Field(default=None, max_length=20)
    source: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=5000)
    tags: list[str] | None = None
    metadata: dict[str, Any] | None = None


class LeadRegister(LeadFields):
    agent_id: str = Field(min_length=1)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: str = Field(max_length=255)
    consent_data_processing: bool = True
    consent_marketing: bool = False

    _check_email = field_validator("email")(check_email)


class LeadCreate(LeadFields):
    agent_id: str | None = None
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: str = Field(max_length=255)
    status: Literal["new", "contacted", "qualified", "converted", "lost"] = "new"
    consent_data_processing: bool = True
    consent_marketing: bool = False

    _check_email = field_validator("email")(check_email)


class LeadUpdate(LeadFields):
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    email: str | None = Field(default=None, max_length=255)
    status: Literal["new", "contacted", "qualified", "converted", "lost"] | None = None
    consent_data_processing: bool | None = None
    consent_marketing: bool | None = None

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:
        return None if value is None else check_email(value)
