"""Where each list route's items live (see :mod:`knowrithm_core.store.pages`) and the totals beside them.

Services ask for a :class:`~knowrithm_core.store.pages.Listing` by tenant and filter; keys stay here.
"""

from __future__ import annotations

from knowrithm_core.store import keys
from knowrithm_core.store.pages import Listing
from knowrithm_core.store.port import Table

MAX_FILTER_CHARS = 64


def _filter_value(value: str) -> str:
    return value[:MAX_FILTER_CHARS].replace("#", "")


def leads(company_id: str, status: str | None = None) -> Listing:
    """A company's live leads, newest first (optionally only one status)."""
    tenant = keys.company_pk(company_id)
    if status:
        pk = keys.company_leads_by_status(company_id, _filter_value(status))
        return Listing(pk=pk, tenant_pk=tenant, index=keys.GSI3, sk_prefix="LEAD#", forward=False)
    return Listing(
        pk=keys.company_leads(company_id), tenant_pk=tenant, index=keys.GSI2, sk_prefix="LEAD#", forward=False
    )


def lead_index_keys(company_id: str, lead_id: str, status: str, *, live: bool) -> dict[str, str]:
    """The sparse index attributes that put a live lead on its company's list pages."""
    if not live:
        return {}
    sk = f"LEAD#{lead_id}"
    return {
        "GSI2PK": keys.company_leads(company_id),
        "GSI2SK": sk,
        "GSI3PK": keys.company_leads_by_status(company_id, status),
        "GSI3SK": sk,
    }


def conversations(company_id: str, *, agent_id: str | None = None, lead_id: str | None = None) -> Listing:
    """A company's live conversations newest first: all of them, one agent's, or one visitor's (lead's)."""
    tenant = keys.company_pk(company_id)
    if lead_id:
        pk, index = keys.lead_conversations(company_id, lead_id), keys.GSI4
    elif agent_id:
        pk, index = keys.agent_conversations(company_id, _filter_value(agent_id)), keys.GSI3
    else:
        pk, index = keys.company_conversations(company_id), keys.GSI2
    # live_only: conversations deleted before the deleted ones moved out of these partitions still sit there
    return Listing(pk=pk, tenant_pk=tenant, index=index, forward=False, live_only=True)


def deleted_conversations(company_id: str) -> Listing:
    pk = keys.deleted_conversations(company_id)
    return Listing(pk=pk, tenant_pk=keys.company_pk(company_id), index=keys.GSI2, forward=False)


def conversation_index_keys(
    company_id: str, conversation_id: str, agent_id: str, lead_id: str | None, *, live: bool
) -> dict[str, str]:
    """The sparse index attributes of a conversation: on its company's, agent's and visitor's lists while live,
    on the company's deleted list once deleted."""
    if not live:
        return {"GSI2PK": keys.deleted_conversations(company_id), "GSI2SK": conversation_id}
    found = {
        "GSI2PK": keys.company_conversations(company_id),
        "GSI2SK": conversation_id,
        "GSI3PK": keys.agent_conversations(company_id, agent_id),
        "GSI3SK": conversation_id,
    }
    if lead_id:
        found |= {"GSI4PK": keys.lead_conversations(company_id, lead_id), "GSI4SK": conversation_id}
    return found


def messages(company_id: str, conversation_id: str) -> Listing:
    """A conversation's messages oldest first (ids are time-ordered); soft-deleted ones are filtered out."""
    pk = keys.conversation_pk(company_id, conversation_id)
    return Listing(pk=pk, tenant_pk=keys.company_pk(company_id), sk_prefix="MSG#", live_only=True)


def agents(company_id: str, status: str | None = None) -> Listing:
    """A company's agents newest first: live ones (optionally one status), or the deleted ones."""
    tenant = keys.company_pk(company_id)
    if status == "deleted":
        return Listing(
            pk=keys.deleted_agents(company_id), tenant_pk=tenant, index=keys.GSI4, sk_prefix="AGENT#", forward=False
        )
    if status:
        pk = keys.company_agents_by_status(company_id, _filter_value(status))
        return Listing(pk=pk, tenant_pk=tenant, index=keys.GSI3, sk_prefix="AGENT#", forward=False)
    return Listing(
        pk=keys.company_agents(company_id), tenant_pk=tenant, index=keys.GSI4, sk_prefix="AGENT#", forward=False
    )


def agent_index_keys(company_id: str, agent_id: str, status: str, *, live: bool) -> dict[str, str]:
    """The sparse index attributes of an agent: its company's live lists (all, and by status), or deleted list."""
    sk = f"AGENT#{agent_id}"
    if not live:
        return {"GSI4PK": keys.deleted_agents(company_id), "GSI4SK": sk}
    return {
        "GSI3PK": keys.company_agents_by_status(company_id, status),
        "GSI3SK": sk,
        "GSI4PK": keys.company_agents(company_id),
        "GSI4SK": sk,
    }


def endpoints(company_id: str) -> Listing:
    """A company's live webhook endpoints, oldest first."""
    pk = keys.company_webhooks(company_id)
    return Listing(pk=pk, tenant_pk=keys.company_pk(company_id), index=keys.GSI2, sk_prefix="WEBHOOK#")


def endpoint_index_keys(company_id: str, endpoint_id: str, *, live: bool) -> dict[str, str]:
    return {"GSI2PK": keys.company_webhooks(company_id), "GSI2SK": f"WEBHOOK#{endpoint_id}"} if live else {}


def deliveries(company_id: str, endpoint_id: str) -> Listing:
    """An endpoint's delivery records, newest event first."""
    pk = keys.webhook_deliveries(company_id, endpoint_id)
    return Listing(pk=pk, tenant_pk=keys.company_pk(company_id), sk_prefix="DELIVERY#", forward=False)


def documents(company_id: str, *, agent_id: str | None = None, status: str | None = None) -> Listing:
    """A company's live documents newest first (ids are time-ordered): all of them, one status's, or one agent's
    (with both, the status partition: the caller filters it by agent)."""
    tenant = keys.company_pk(company_id)
    if status:
        pk, index = keys.company_documents_by_status(company_id, _filter_value(status)), keys.GSI3
    elif agent_id:
        pk, index = keys.agent_documents(company_id, _filter_value(agent_id)), keys.GSI4
    else:
        pk, index = keys.company_documents(company_id), keys.GSI2
    return Listing(pk=pk, tenant_pk=tenant, index=index, sk_prefix="DOC#", forward=False)


def deleted_documents(company_id: str) -> Listing:
    pk = keys.deleted_documents(company_id)
    return Listing(pk=pk, tenant_pk=keys.company_pk(company_id), index=keys.GSI2, sk_prefix="DOC#", forward=False)


def document_index_keys(company_id: str, document_id: str, agent_id: str, status: str, *, live: bool) -> dict[str, str]:
    """The sparse index attributes of a document: its company's, status's and agent's lists while live, the
    company's deleted list once deleted."""
    sk = keys.document_sk(document_id)
    if not live:
        return {"GSI2PK": keys.deleted_documents(company_id), "GSI2SK": sk}
    return {
        "GSI2PK": keys.company_documents(company_id),
        "GSI2SK": sk,
        "GSI3PK": keys.company_documents_by_status(company_id, status),
        "GSI3SK": sk,
        "GSI4PK": keys.agent_documents(company_id, agent_id),
        "GSI4SK": sk,
    }


def deleted_chunks(company_id: str) -> Listing:
    """A company's soft-deleted chunks (by chunk id) from their own index partition."""
    pk = keys.deleted_chunks(company_id)
    return Listing(pk=pk, tenant_pk=keys.company_pk(company_id), index=keys.GSI3)


def users(company_id: str) -> Listing:
    """A company's users, oldest first: a key range of its own partition."""
    tenant = keys.company_pk(company_id)
    return Listing(pk=tenant, tenant_pk=tenant, sk_prefix=keys.user_sk(""))


def api_keys(company_id: str) -> Listing:
    """A company's API keys (revoked ones too), oldest first: a key range of its own partition."""
    tenant = keys.company_pk(company_id)
    return Listing(pk=tenant, tenant_pk=tenant, sk_prefix="APIKEY#")


def company_total(table: Table, company_id: str, name: str) -> int:
    """One all-time company counter (``COMPANY#c#STATS / TOTAL``, kept by the writes' transactions)."""
    item = table.get(keys.stats_pk(company_id), "TOTAL") or {}
    value = item.get(name, 0)
    return max(int(value), 0) if isinstance(value, (int, float)) else 0
