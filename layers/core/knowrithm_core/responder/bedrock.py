"""Answers from an Amazon Bedrock model through the Converse API, grounded in the agent's documents.

The system prompt is the agent's instructions (or description) followed by the top chunks of the
agent's index, numbered ``[Source n]`` per document exactly like the extractive responder, and
``sources[]`` names those documents (``cited`` tells whether the answer refers to them). The model id
comes from the agent's settings when its LLM provider is ``bedrock``, else from ``BEDROCK_MODEL_ID``.
Any Bedrock failure (throttling, access denied, a bad model id, no network) becomes a plain
``answered=False`` reply and a log line, never an error for the caller; the ones that may pass by
themselves (throttling, a busy or warming model, a 5xx, no network) are marked ``transient`` so a queued
turn retries them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from knowrithm_core.knowledge.conversation import retrieve_turn
from knowrithm_core.models.resources import Agent
from knowrithm_core.observability import logger as log
from knowrithm_core.responder import Answer, Turn
from knowrithm_core.responder.extractive import HEDGE_SHARE, NO_ANSWER_FROM_DOCUMENTS

if TYPE_CHECKING:
    from knowrithm_core.knowledge.search import Retriever


UNAVAILABLE = "I'm sorry, I can't answer right now. Please try again in a moment, or ask to talk to a person."
NOT_CONFIGURED = "I'm sorry, this assistant is not fully configured yet (no Bedrock model id)."
MAX_CHUNKS = 5
MAX_HISTORY_MESSAGES = 10
"""The earlier messages sent with a question (the most recent; retrieval reads the user's own questions)."""
REFUSAL = NO_ANSWER_FROM_DOCUMENTS
# error codes worth another try shortly; anything else (access denied, a bad model id or request) is final
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "ServiceQuotaExceededException",
    }
)
CITATION = re.compile(r"\[Source (\d+)\]")


def is_transient(error: Exception) -> bool:
    """Whether a failed call may succeed if tried again soon: a listed error code, any 5xx, or no response
    at all (a network failure); a 4xx such as AccessDenied or ValidationException will not."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return True
    code = str(response.get("Error", {}).get("Code", ""))
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return code in TRANSIENT_CODES or status >= 500


def converse_text(response: dict[str, Any]) -> str:
    """The text blocks of a Bedrock Converse response's message, joined (other blocks are skipped)."""
    blocks = response.get("output", {}).get("message", {}).get("content", [])
    return "".join(str(b["text"]) for b in blocks if isinstance(b, dict) and "text" in b)


def uses_bedrock(agent: Agent) -> bool:
    return agent.settings is not None and agent.settings.llm_provider == "bedrock"


class BedrockResponder:
    name = "bedrock"
    slow = True

    def __init__(
        self,
        retriever: Retriever | None = None,
        *,
        model_id: str | None = None,
        min_relevance: float = 0.3,
        client: Any = None,
    ) -> None:
        self.retriever = retriever
        self.model_id = model_id
        self.min_relevance = min_relevance
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # off the cold-start path of agents that never use Bedrock

            self._client = boto3.client("bedrock-runtime")
        return self._client

    def model_for(self, agent: Agent) -> str | None:
        if agent.settings is not None and uses_bedrock(agent) and agent.settings.llm_model_name:
            return agent.settings.llm_model_name
        return self.model_id

    def answer(self, agent: Agent, question: str, history: Sequence[Turn]) -> Answer:
        model = self.model_for(agent)
        if not model:
            log.error("no Bedrock model id for agent %s (set BEDROCK_MODEL_ID or the agent's settings)", agent.id)
            return Answer(NOT_CONFIGURED, False, self.name)
        context, sources, indexed = self._context(agent, question, history)
        if indexed and not sources:  # the agent has documents and none speaks of this: no model call, no guess
            return Answer(REFUSAL, False, model)
        request = {
            "modelId": model,
            "system": [{"text": system_prompt(agent, context)}],
            "messages": conversation(history[-MAX_HISTORY_MESSAGES:], question),
            "inferenceConfig": {"maxTokens": agent.max_tokens, "temperature": agent.temperature},
        }
        try:
            response = self.client.converse(**request)
        except Exception as exc:  # noqa: BLE001 - ClientError, throttling, network: never a 500 for the visitor
            log.warning("Bedrock converse failed for agent %s with model %s: %s", agent.id, model, exc)
            return Answer(UNAVAILABLE, False, model, transient=is_transient(exc))
        text = converse_text(response).strip()
        if not text or response.get("stopReason") in {"guardrail_intervened", "content_filtered"}:
            return Answer(UNAVAILABLE, False, model)
        text, cited = validated_citations(text, {s["source_number"] for s in sources})
        for source in sources:
            source["cited"] = source["source_number"] in cited
        confidence = 0.8 if cited else 0.5
        return Answer(text, True, model, confidence, sources)

    def _context(self, agent: Agent, question: str, history: Sequence[Turn]) -> tuple[str, list[dict[str, Any]], bool]:
        """The top chunks as ``[Source n]`` blocks (n per document, in rank order), their sources, and whether
        the agent has documents; the same conversation-aware retrieval as the extractive responder."""
        if self.retriever is None:
            return "", [], False
        from knowrithm_core.knowledge.search import bind

        try:
            search = bind(self.retriever, agent.company_id, agent.id)
            turn = retrieve_turn(search, question, history, limit=MAX_CHUNKS, min_relevance=self.min_relevance)
        except Exception:  # noqa: BLE001 - a broken index must not break chat: answer without documents
            log.exception("document retrieval failed for agent %s", agent.id)
            return "", [], False
        if not turn.retrieved.indexed:
            return "", [], False
        if turn.unmatched_names:  # the chunks are about another place or product than the one asked about
            return "", [], True
        numbers: dict[str, int] = {}
        sources: list[dict[str, Any]] = []
        blocks: list[str] = []
        for hit in turn.retrieved.hits:
            if not hit.answers(HEDGE_SHARE * self.min_relevance):  # weak matches too: the model weighs them
                continue
            ref = hit.ref
            if ref.document_id not in numbers:
                numbers[ref.document_id] = len(numbers) + 1
                sources.append(
                    {
                        "source_number": numbers[ref.document_id],
                        "document_id": ref.document_id,
                        "document_name": ref.document_name,
                        "url": ref.source_url,
                        "cited": True,
                    }
                )
            blocks.append(f"[Source {numbers[ref.document_id]}] ({ref.document_name})\n{ref.content.strip()}")
        return "\n\n".join(blocks), sources, True


def validated_citations(text: str, valid: set[int]) -> tuple[str, set[int]]:
    """``text`` without the ``[Source n]`` markers that point to no retrieved source, and the valid ones cited."""
    cited = {int(n) for n in CITATION.findall(text) if int(n) in valid}
    cleaned = CITATION.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", text)
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip(), cited


def system_prompt(agent: Agent, context: str) -> str:
    parts = [f"You are {agent.name}, a helpful assistant."]
    if agent.instructions:
        parts.append(agent.instructions.strip())
    if agent.description:
        parts.append(f"About you: {agent.description.strip()}")
    if context:
        parts.append(
            "Answer only from the numbered sources below, and cite each fact with its source's marker, for example "
            "[Source 1]. If they do not hold the answer, say plainly that you don't know and offer to connect the "
            "visitor with a person; never contradict the sources.\n\n" + context
        )
    else:
        parts.append("If you do not know the answer, say so plainly; do not make one up.")
    return "\n\n".join(parts)


def conversation(history: Sequence[Turn], question: str) -> list[dict[str, Any]]:
    """Converse messages: start with the user, alternate roles (merging repeats), end with ``question``."""
    messages: list[dict[str, Any]] = []
    for role, text in [*((t.role, t.content) for t in history), ("user", question)]:
        if role not in {"user", "assistant"} or not text.strip() or (not messages and role != "user"):
            continue
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"][0]["text"] += "\n\n" + text
        else:
            messages.append({"role": role, "content": [{"text": text}]})
    return messages
