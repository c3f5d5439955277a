"""Knowrithm's "entity" conversation lists: the caller's own conversations, or one user's or visitor's.

A visitor's (lead's) list is its own index partition; a user's has none, so it is the newest
``SEARCH_SCAN_LIMIT`` conversations of the company, filtered (bounded, like ``search``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import NotFound, ValidationFailed
from knowrithm_core.models.resources import Conversation
from knowrithm_core.pagination import PageRequest, paginate
from knowrithm_core.services.conversations import ConversationService
from knowrithm_core.store.repositories.accounts import ApiKeyRepository, UserRepository
from knowrithm_core.store.repositories.leads import LeadRepository

ENTITY_TYPES = ("user", "lead")
STATUSES = ("active", "archived", "deleted", "all")


def _choice(query: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (query.get(name) or "").strip().lower() or default
    if value not in allowed:
        raise ValidationFailed(f"{name} is one of {list(allowed)}.")
    return value


def _known(svc: ConversationService, company_id: str, entity_id: str, kind: str) -> bool:
    """Whether the caller's company has this lead, user or API key (one to three GetItems)."""
    if kind in ("", "lead") and LeadRepository(svc.table).get(company_id, entity_id):
        return True
    if kind == "lead":
        return False
    return bool(
        UserRepository(svc.table).get(company_id, entity_id) or ApiKeyRepository(svc.table).get(company_id, entity_id)
    )


def mine(svc: ConversationService, principal: Principal, query: Mapping[str, str]) -> dict[str, Any]:
    """``GET /conversation/entity``: the caller's own conversations (a user's, an API key's or a visitor's)."""
    kind = "lead" if principal.is_lead else "user"
    return by_entity(svc, principal, principal.subject_id, {**query, "entity_type": kind})


def by_entity(
    svc: ConversationService, principal: Principal, entity_id: str, query: Mapping[str, str]
) -> dict[str, Any]:
    """``GET /conversation/entity/{id}``: one entity's conversations; a visitor sees only its own, and an id
    that is not a lead, user or API key of the caller's company is 404."""
    if principal.is_lead:
        if entity_id != principal.subject_id:
            raise NotFound("Entity not found.")
        query = {**query, "entity_type": "lead"}
    else:
        principal.require("read")
    kind = _choice(query, "entity_type", ("", *ENTITY_TYPES), "")
    if entity_id != principal.subject_id and not _known(svc, principal.company_id, entity_id, kind):
        raise NotFound("Entity not found.")
    status = _choice(query, "status", STATUSES, "active")
    request = PageRequest.parse(query.get("page"), query.get("per_page"), default_per_page=20)

    def matches(conversation: Conversation) -> bool:
        return (
            conversation.entity_id == entity_id
            and (not kind or conversation.entity_type == kind)
            and status in ("all", "deleted", conversation.status)
        )

    if status == "deleted":
        rows, pagination = paginate([c for c in svc.repository.deleted(principal.company_id) if matches(c)], request)
    else:
        lead_id = entity_id if kind == "lead" else None
        rows, pagination = svc.repository.search(principal.company_id, request, matches, lead_id=lead_id)
    data = [c.public() for c in rows]
    return {
        "conversations": data,
        "items": data,
        "total": pagination["total"],
        "pagination": pagination,
        "entity_id": entity_id,
        "entity_type": kind or None,
    }
