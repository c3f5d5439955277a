"""Answer generation behind one small protocol; the implementation is chosen by ``RESPONDER``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from knowrithm_core.config import Settings
from knowrithm_core.errors import ServiceUnavailable
from knowrithm_core.models.resources import Agent

if TYPE_CHECKING:
    from knowrithm_core.knowledge.search import Retriever


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation, oldest first."""

    role: str
    content: str


@dataclass(frozen=True)
class Answer:
    text: str
    answered: bool
    model: str
    confidence: float = 0.0
    sources: list[dict[str, Any]] = field(default_factory=list)
    transient: bool = False
    """The text is a fallback for a failure that may pass (throttling, network): a queued turn retries it."""


class Responder(Protocol):
    name: str
    slow: bool
    """Whether answers take seconds (a model call): such agents' chats go through the chat queue."""

    def answer(self, agent: Agent, question: str, history: Sequence[Turn]) -> Answer:
        """Answer ``question`` for ``agent`` given the recent ``history``; never raises for content."""
        ...


class PerAgentResponder:
    """Agents whose LLM provider is ``bedrock`` are answered by Bedrock, every other one by ``default``."""

    def __init__(self, default: Responder, bedrock: Responder) -> None:
        self.default = default
        self.bedrock = bedrock
        self.name = default.name
        self.slow = default.slow

    def for_agent(self, agent: Agent) -> Responder:
        return self.bedrock if agent.settings is not None and agent.settings.llm_provider == "bedrock" else self.default

    def answer(self, agent: Agent, question: str, history: Sequence[Turn]) -> Answer:
        return self.for_agent(agent).answer(agent, question, history)


def chosen_for(responder: Responder, agent: Agent) -> Responder:
    """The responder that answers ``agent`` (per agent behind a :class:`PerAgentResponder`)."""
    return responder.for_agent(agent) if isinstance(responder, PerAgentResponder) else responder


def answers_slowly(responder: Responder, agent: Agent) -> bool:
    """Whether ``agent``'s answers come from a slow responder (the one that would answer it, per agent)."""
    return bool(getattr(chosen_for(responder, agent), "slow", False))


def build_responder(settings: Settings, retriever: Retriever | None = None) -> Responder:
    """The configured default (``RESPONDER``) with Bedrock for agents set to it; ``retriever`` gives both the
    agents' documents (see :mod:`knowrithm_core.knowledge`)."""
    from knowrithm_core.responder.bedrock import BedrockResponder

    bedrock = BedrockResponder(retriever, model_id=settings.bedrock_model_id, min_relevance=settings.answer_min_score)
    if settings.responder == "bedrock":
        return bedrock
    if settings.responder == "extractive":
        from knowrithm_core.responder.extractive import ExtractiveResponder

        return PerAgentResponder(ExtractiveResponder(retriever, min_relevance=settings.answer_min_score), bedrock)
    raise ServiceUnavailable(f"Unknown responder '{settings.responder}'; this build supports: extractive, bedrock.")
