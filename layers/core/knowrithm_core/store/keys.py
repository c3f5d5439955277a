"""Key layout of the single table. Every tenant-owned partition key starts with ``COMPANY#<id>``.

Per item: PK / SK; GSI1PK (look-up by global id); GSI2PK, GSI3PK and GSI4PK (listings, sparse).

- company:       COMPANY#c / COMPANY
- user:          COMPANY#c / USER#u                 GSI1 USER#u
- user email:    UNIQUE#EMAIL#e / UNIQUE
- api key:       COMPANY#c / APIKEY#k               GSI1 APIKEY#ak_...
- agent:         COMPANY#c / AGENT#a                GSI1 AGENT#a   (counters in AGENT#a#STATS); list pages: while
                 live GSI4 COMPANY#c#AGENTS and GSI3 COMPANY#c#AGENTS#STATUS#s, once deleted GSI4
                 COMPANY#c#DELETED_AGENTS (all AGENT#a)
- conversation:  COMPANY#c#CONV#v / ~META           GSI1 CONV#v; while live GSI2 COMPANY#c#CONVS,
                 GSI3 COMPANY#c#AGENT#a#CONVS and (a visitor's) GSI4 COMPANY#c#LEAD#l#CONVS; once deleted
                 GSI2 COMPANY#c#DELETED_CONVS only
- message:       COMPANY#c#CONV#v / MSG#m           GSI1 MSG#m, GSI3 COMPANY#c#DELETED_MSGS while deleted
- lead:          COMPANY#c / LEAD#l                 GSI1 LEAD#l    (email uniqueness: LEADEMAIL#e)
                 while live: GSI2 COMPANY#c#LEADS, GSI3 COMPANY#c#LEADS#STATUS#s (both LEAD#l: list pages)
- task:          COMPANY#c / TASK#t                 GSI1 TASK#t
- document:      COMPANY#c / DOC#d                  list pages: while live GSI2 COMPANY#c#DOCS, GSI3
                 COMPANY#c#DOCS#STATUS#s, GSI4 COMPANY#c#AGENT#a#DOCS; once deleted GSI2 COMPANY#c#DELETED_DOCS
                 (all DOC#d); its chunks: COMPANY#c#AGENT#a#CHUNKS / DOC#d#CHUNK#n, the agent's index manifest
                 COMPANY#c / AGENT#a#KINDEX, beside its agent so one query reads both (see
                 knowrithm_core.store.repositories.documents; ``make backfill`` moves manifests from KINDEX#a)
- settings:      inside their agent's item (GSI2 SETTINGS#s); company-level: COMPANY#c / SETTINGS#s   GSI2 SETTINGS#s
- rate counter:  RATE#<limit>#<key hash> / W#<window start>   (TTL)
- outbox event:  COMPANY#c#EVENTS / EVENT#e
- socket:        COMPANY#c#CONV#v#SOCKETS / SOCKET#k   GSI1 SOCKET#k   (a widget's WebSocket connection, TTL)
- analytics:     COMPANY#c#STATS / TOTAL, DAY#d, DAY#d#LEADSRC#s, DAY#d#AGENT#a (GSI3 COMPANY#c#AGENT#a#STATS, DAY#d),
                 DAY#d#AGENT#a#DOC#x (GSI3 … DAY#d#DOC#x): counters added in the transactions that make the
                 changes (see knowrithm_core.store.repositories.stats)

Ids are UUIDv7, so ``MSG#…`` sorts messages by time; ``~META`` sorts after every message, so
one descending query returns a conversation and its latest messages together.
"""

from __future__ import annotations

GSI1 = "GSI1"
GSI2 = "GSI2"
GSI3 = "GSI3"
GSI4 = "GSI4"
CONVERSATION_META = "~META"
STATS_SUFFIX = "#STATS"  # an agent's counters item: AGENT#a#STATS
KINDEX_SUFFIX = "#KINDEX"  # an agent's knowledge index manifest: AGENT#a#KINDEX
AGENT_PART_SUFFIXES = (STATS_SUFFIX, KINDEX_SUFFIX)  # items that share an agent's sort key prefix
LEGACY_KINDEX_PREFIX = "KINDEX#"  # where manifests lived before they moved beside their agent


def company_pk(company_id: str) -> str:
    return f"COMPANY#{company_id}"


def conversation_pk(company_id: str, conversation_id: str) -> str:
    return f"COMPANY#{company_id}#CONV#{conversation_id}"


def deleted_messages(company_id: str) -> str:
    return f"COMPANY#{company_id}#DELETED_MSGS"


def message_sk(message_id: str) -> str:
    return f"MSG#{message_id}"


def company_conversations(company_id: str) -> str:
    return f"COMPANY#{company_id}#CONVS"


def agent_conversations(company_id: str, agent_id: str) -> str:
    return f"COMPANY#{company_id}#AGENT#{agent_id}#CONVS"


def company_agents(company_id: str) -> str:
    return f"COMPANY#{company_id}#AGENTS"


def company_agents_by_status(company_id: str, status: str) -> str:
    return f"COMPANY#{company_id}#AGENTS#STATUS#{status}"


def deleted_agents(company_id: str) -> str:
    return f"COMPANY#{company_id}#DELETED_AGENTS"


def company_webhooks(company_id: str) -> str:
    return f"COMPANY#{company_id}#WEBHOOKS"


def webhook_sk(endpoint_id: str) -> str:
    return f"WEBHOOK#{endpoint_id}"


def webhook_deliveries(company_id: str, endpoint_id: str) -> str:
    """The partition of one endpoint's delivery records (and its rate-window slots)."""
    return f"COMPANY#{company_id}#WEBHOOK#{endpoint_id}"


def delivery_sk(event_id: str) -> str:
    return f"DELIVERY#{event_id}"


def company_leads(company_id: str) -> str:
    return f"COMPANY#{company_id}#LEADS"


def company_leads_by_status(company_id: str, status: str) -> str:
    return f"COMPANY#{company_id}#LEADS#STATUS#{status}"


def deleted_conversations(company_id: str) -> str:
    return f"COMPANY#{company_id}#DELETED_CONVS"


def lead_conversations(company_id: str, lead_id: str) -> str:
    return f"COMPANY#{company_id}#LEAD#{lead_id}#CONVS"


def document_sk(document_id: str) -> str:
    return f"DOC#{document_id}"


def company_documents(company_id: str) -> str:
    return f"COMPANY#{company_id}#DOCS"


def company_documents_by_status(company_id: str, status: str) -> str:
    return f"COMPANY#{company_id}#DOCS#STATUS#{status}"


def agent_documents(company_id: str, agent_id: str) -> str:
    return f"COMPANY#{company_id}#AGENT#{agent_id}#DOCS"


def deleted_documents(company_id: str) -> str:
    return f"COMPANY#{company_id}#DELETED_DOCS"


def agent_chunks(company_id: str, agent_id: str) -> str:
    return f"COMPANY#{company_id}#AGENT#{agent_id}#CHUNKS"


def chunk_sk(document_id: str, index: int) -> str:
    return f"DOC#{document_id}#CHUNK#{index:06d}"


def deleted_chunks(company_id: str) -> str:
    return f"COMPANY#{company_id}#DELETED_CHUNKS"


def knowledge_index_sk(agent_id: str) -> str:
    """The sort key of an agent's index manifest: beside the agent, so the agent's query reads it too."""
    return f"AGENT#{agent_id}{KINDEX_SUFFIX}"


def is_agent_sk(sk: str) -> bool:
    """Whether ``sk`` is an agent's own item (not its counters or its manifest)."""
    return sk.startswith("AGENT#") and not sk.endswith(AGENT_PART_SUFFIXES)


def task_sk(task_id: str) -> str:
    return f"TASK#{task_id}"


def company_of(pk: str) -> str | None:
    """The company id of a tenant-owned partition key (``COMPANY#<id>…``), None for any other key."""
    parts = pk.split("#")
    return parts[1] if len(parts) > 1 and parts[0] == "COMPANY" and parts[1] else None


def events_pk(company_id: str) -> str:
    return f"COMPANY#{company_id}#EVENTS"


def stats_pk(company_id: str) -> str:
    return f"COMPANY#{company_id}#STATS"


def agent_stats_gsi(company_id: str, agent_id: str) -> str:
    return f"COMPANY#{company_id}#AGENT#{agent_id}#STATS"


def agent_sk(agent_id: str) -> str:
    """An agent's sort key in its company partition (``agent_sk("")`` is the prefix of every agent item)."""
    return f"AGENT#{agent_id}"


def agent_stats_sk(agent_id: str) -> str:
    """The sort key of an agent's counters item."""
    return f"AGENT#{agent_id}{STATS_SUFFIX}"


def settings_sk(settings_id: str) -> str:
    """Company-level settings' sort key (``settings_sk("")`` is the prefix of them all)."""
    return f"SETTINGS#{settings_id}"


def settings_gsi(settings_id: str) -> str:
    return f"SETTINGS#{settings_id}"


def unique_email(email: str) -> str:
    return f"UNIQUE#EMAIL#{email.lower()}"


def global_id(kind: str, value: str) -> str:
    return f"{kind}#{value}"


KEY_ATTRIBUTES = (
    "PK",
    "SK",
    "GSI1PK",
    "GSI1SK",
    "GSI2PK",
    "GSI2SK",
    "GSI3PK",
    "GSI3SK",
    "GSI4PK",
    "GSI4SK",
    "expires_at_epoch",
)


def strip_keys(item: dict[str, object]) -> dict[str, object]:
    """The stored item without its key and bookkeeping attributes."""
    return {k: v for k, v in item.items() if k not in KEY_ATTRIBUTES and not k.startswith("_")}


# --- accounts and leads (store/repositories/accounts.py, leads.py, store/counters.py) -------------------------
COMPANY_SK = "COMPANY"
UNIQUE_SK = "UNIQUE"


def unique_company_email(email: str) -> str:
    return f"UNIQUE#COMPANY_EMAIL#{email}"


def user_sk(user_id: str) -> str:
    return f"USER#{user_id}"


def api_key_sk(key_id: str) -> str:
    return f"APIKEY#{key_id}"


def lead_sk(lead_id: str) -> str:
    return f"LEAD#{lead_id}"


def lead_email_sk(email: str) -> str:
    return f"LEADEMAIL#{email.lower()}"


def rate_pk(counter_key: str) -> str:
    return f"RATE#{counter_key}"


def rate_window_sk(window_start: int) -> str:
    return f"W#{window_start}"


# --- website sources (store/repositories/websites.py) -----------------------------------------------------
# source:  COMPANY#c / WEBSITE#s        GSI1 WEBSITE#s; while scheduled GSI2 SCHEDULE#WEBSITES / <next crawl>#c#s
# its URL: COMPANY#c / WEBSITEURL#a#<sha256 of the normalized base URL>   (one source per agent and site)
# pages:   COMPANY#c#WEBSITE#s / PAGE#<sha256 of the URL>
SCHEDULED_WEBSITES = "SCHEDULE#WEBSITES"


def website_sk(source_id: str) -> str:
    return f"WEBSITE#{source_id}"


def website_url_sk(agent_id: str, url_hash: str) -> str:
    return f"WEBSITEURL#{agent_id}#{url_hash}"


def website_pages(company_id: str, source_id: str) -> str:
    return f"COMPANY#{company_id}#WEBSITE#{source_id}"


def website_page_sk(url_hash: str) -> str:
    return f"PAGE#{url_hash}"


# --- database connections (store/repositories/databases.py) -----------------------------------------------
# connection: COMPANY#c / DBCONN#d   GSI1 DBCONN#d   (its tables and exported documents inside the item)
def database_sk(connection_id: str) -> str:
    return f"DBCONN#{connection_id}"


def conversation_sockets(company_id: str, conversation_id: str) -> str:
    """The partition of a conversation's open WebSocket connections (one Query finds them all for a push)."""
    return f"COMPANY#{company_id}#CONV#{conversation_id}#SOCKETS"


def socket_sk(connection_id: str) -> str:
    return f"SOCKET#{connection_id}"


# --- the Slack connector (store/repositories/slack.py) ---------------------------------------------------------
SLACK_INTEGRATION_SK = "INTEGRATION"


def slack_pk(company_id: str) -> str:
    """A company's Slack connector: its settings, its threads and the inbound event ids it has seen."""
    return f"COMPANY#{company_id}#SLACK"


def slack_thread_sk(conversation_id: str) -> str:
    return f"THREAD#{conversation_id}"


def slack_thread_gsi(channel: str, ts: str) -> str:
    """A thread by its Slack channel and parent message ``ts`` (what an inbound reply carries)."""
    return f"SLACKTHREAD#{channel}#{ts}"


def slack_event_sk(event_id: str) -> str:
    return f"EVENT#{event_id}"
