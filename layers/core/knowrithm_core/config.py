"""Settings read once from the environment (Lambda configuration or the local stack)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _optional(name: str) -> str | None:
    return os.environ.get(name) or None


def _list(name: str, default: str) -> tuple[str, ...]:
    raw = os.environ.get(name, default)
    return tuple(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Every configuration variable of the core; see the README's configuration table."""

    table_name: str
    jwt_secret: str | None = None
    jwt_secret_arn: str | None = None
    access_token_ttl_seconds: int = 3600
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    lead_token_ttl_seconds: int = 24 * 3600
    allow_public_signup: bool = True
    responder: str = "extractive"
    bedrock_llm_models: tuple[str, ...] = field(default_factory=tuple)
    bedrock_embedding_models: tuple[str, ...] = field(default_factory=tuple)
    public_base_url: str | None = None
    event_ttl_days: int = 30
    api_key_cache_seconds: int = 30
    principal_cache_seconds: int = 30
    context_messages: int = 10
    max_body_bytes: int = 1024 * 1024
    local_mode: bool = False
    delivery_queue_url: str | None = None
    delivery_dlq_url: str | None = None
    webhook_retry_schedule: str | None = None
    webhook_timeout_seconds: float = 10.0
    webhook_disable_after_days: float = 5.0
    webhook_secret_grace_hours: float = 24.0
    webhook_secrets_key_id: str | None = None
    slack_api_base_url: str | None = None  # the Slack Web API (slack_sdk's default when unset); tests use a fake
    delivery_ttl_days: int = 90
    rate_limit_register_ip: str = "30/600"
    rate_limit_register_email: str = "10/600"
    rate_limit_chat_lead: str = "20/60"
    rate_limit_chat_ip: str = "60/60"
    document_bucket: str | None = None
    ingest_queue_url: str | None = None
    ingest_dlq_url: str | None = None
    max_document_bytes: int = 10 * 1024 * 1024
    max_upload_request_bytes: int = 50 * 1024 * 1024
    chunk_size: int = 1000
    chunk_overlap: int = 150
    answer_min_score: float = 0.3
    fetch_timeout_seconds: float = 15.0
    index_cache_size: int = 32
    ingest_max_attempts: int = 3
    escalate_after_unanswered: int = 3
    bedrock_model_id: str | None = None
    chat_mode: str = "auto"
    chat_queue_url: str | None = None
    chat_dlq_url: str | None = None
    chat_max_attempts: int = 3
    chat_turn_wait_seconds: float = 5.0
    rate_limit_upload: str = "20/60"
    # recovery: the alarm topic, the fan-out's on-failure queue and its DLQ, who may redrive DLQs
    alarm_topic_arn: str | None = None
    fanout_failure_queue_url: str | None = None
    fanout_failure_dlq_url: str | None = None
    operator_company_ids: tuple[str, ...] = field(default_factory=tuple)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Build the settings once per process (cold start); tests call ``get_settings.cache_clear()``."""
    return Settings(
        table_name=os.environ.get("TABLE_NAME", "knowrithm-local"),
        jwt_secret=os.environ.get("JWT_SECRET") or None,
        jwt_secret_arn=os.environ.get("JWT_SECRET_ARN") or None,
        access_token_ttl_seconds=_int("ACCESS_TOKEN_TTL_SECONDS", 3600),
        refresh_token_ttl_seconds=_int("REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600),
        lead_token_ttl_seconds=_int("LEAD_TOKEN_TTL_SECONDS", 24 * 3600),
        allow_public_signup=_flag("ALLOW_PUBLIC_SIGNUP", True),
        responder=os.environ.get("RESPONDER", "extractive").strip().lower() or "extractive",
        bedrock_llm_models=_list("BEDROCK_LLM_MODELS", "anthropic.claude-3-haiku-20240307-v1:0,amazon.nova-lite-v1:0"),
        bedrock_embedding_models=_list("BEDROCK_EMBEDDING_MODELS", "amazon.titan-embed-text-v2:0"),
        public_base_url=(os.environ.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        event_ttl_days=_int("EVENT_TTL_DAYS", 30),
        api_key_cache_seconds=_int("API_KEY_CACHE_SECONDS", 30),
        principal_cache_seconds=_int("PRINCIPAL_CACHE_SECONDS", 30),
        context_messages=_int("CONTEXT_MESSAGES", 10),
        max_body_bytes=_int("MAX_BODY_BYTES", 1024 * 1024),
        local_mode=_flag("LOCAL_MODE", False),
        delivery_queue_url=os.environ.get("DELIVERY_QUEUE_URL") or None,
        delivery_dlq_url=_optional("DELIVERY_DLQ_URL"),
        webhook_retry_schedule=os.environ.get("WEBHOOK_RETRY_SCHEDULE") or None,
        webhook_timeout_seconds=float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS") or 10),
        webhook_disable_after_days=float(os.environ.get("WEBHOOK_DISABLE_AFTER_DAYS") or 5),
        webhook_secrets_key_id=os.environ.get("WEBHOOK_SECRETS_KEY_ID") or None,
        slack_api_base_url=_optional("SLACK_API_BASE_URL"),
        delivery_ttl_days=_int("DELIVERY_TTL_DAYS", 90),
        rate_limit_register_ip=os.environ.get("RATE_LIMIT_REGISTER_IP", "30/600"),
        rate_limit_register_email=os.environ.get("RATE_LIMIT_REGISTER_EMAIL", "10/600"),
        rate_limit_chat_lead=os.environ.get("RATE_LIMIT_CHAT_LEAD", "20/60"),
        rate_limit_chat_ip=os.environ.get("RATE_LIMIT_CHAT_IP", "60/60"),
        document_bucket=os.environ.get("DOCUMENT_BUCKET") or None,
        ingest_queue_url=os.environ.get("INGEST_QUEUE_URL") or None,
        ingest_dlq_url=_optional("INGEST_DLQ_URL"),
        max_document_bytes=_int("MAX_DOCUMENT_BYTES", 10 * 1024 * 1024),
        max_upload_request_bytes=_int("MAX_UPLOAD_REQUEST_BYTES", 50 * 1024 * 1024),
        chunk_size=_int("CHUNK_SIZE", 1000),
        chunk_overlap=_int("CHUNK_OVERLAP", 150),
        answer_min_score=float(os.environ.get("ANSWER_MIN_SCORE") or 0.3),
        fetch_timeout_seconds=float(os.environ.get("FETCH_TIMEOUT_SECONDS") or 15),
        index_cache_size=_int("INDEX_CACHE_SIZE", 32),
        ingest_max_attempts=_int("INGEST_MAX_ATTEMPTS", 3),
        escalate_after_unanswered=_int("ESCALATE_AFTER_UNANSWERED", 3),
        bedrock_model_id=os.environ.get("BEDROCK_MODEL_ID") or None,
        chat_mode=os.environ.get("CHAT_MODE", "auto").strip().lower() or "auto",
        chat_queue_url=os.environ.get("CHAT_QUEUE_URL") or None,
        chat_dlq_url=_optional("CHAT_DLQ_URL"),
        chat_max_attempts=_int("CHAT_MAX_ATTEMPTS", 3),
        chat_turn_wait_seconds=float(os.environ.get("CHAT_TURN_WAIT_SECONDS") or 5),
        rate_limit_upload=os.environ.get("RATE_LIMIT_UPLOAD", "20/60"),
        alarm_topic_arn=_optional("ALARM_TOPIC_ARN"),
        fanout_failure_queue_url=_optional("FANOUT_FAILURE_QUEUE_URL"),
        fanout_failure_dlq_url=_optional("FANOUT_FAILURE_DLQ_URL"),
        operator_company_ids=_list("OPERATOR_COMPANY_IDS", ""),
    )
