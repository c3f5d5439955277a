"""The Bedrock responder: the Converse request it sends (asserted with botocore's Stubber), and its fallbacks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from knowrithm_core.config import Settings
from knowrithm_core.ids import iso
from knowrithm_core.knowledge.index import ChunkRef, Scored
from knowrithm_core.knowledge.search import Retrieved
from knowrithm_core.models.resources import Agent, AgentSettings
from knowrithm_core.responder import PerAgentResponder, Turn, build_responder
from knowrithm_core.responder.bedrock import (
    MAX_HISTORY_MESSAGES,
    NOT_CONFIGURED,
    REFUSAL,
    UNAVAILABLE,
    BedrockResponder,
)
from knowrithm_core.responder.extractive import ExtractiveResponder

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"


def _settings(provider: str, model: str) -> AgentSettings:
    return AgentSettings(
        id="s",
        llm_provider_id="p",
        llm_provider=provider,
        llm_provider_label=provider,
        llm_model_id="m",
        llm_model_name=model,
        embedding_provider_id="e",
        embedding_provider=provider,
        embedding_provider_label=provider,
        embedding_model_id="em",
        embedding_model_name="amazon.titan-embed-text-v2:0",
        created_at=iso(),
        updated_at=iso(),
    )


def _agent(provider: str = "bedrock", **extra: Any) -> Agent:
    return Agent(
        id="a",
        created_at=iso(),
        updated_at=iso(),
        company_id="c",
        name="Mugsy",
        description="We sell handmade ceramic mugs.",
        instructions="Be brief and friendly.",
        temperature=0.2,
        max_tokens=300,
        settings=_settings(provider, MODEL),
        **extra,
    )


def _hit(document_id: str, name: str, content: str, relevance: float = 0.9) -> Scored:
    ref = ChunkRef(f"{document_id}-0", document_id, name, 0, content, len(content.split()))
    return Scored(ref, 5.0, relevance, matched_terms=3, query_terms=3)


class FakeRetriever:
    def __init__(self, hits: list[Scored], indexed: bool = True) -> None:
        self.hits = hits
        self.indexed = indexed
        self.queries: list[str | Sequence[str]] = []

    def retrieve(self, company_id: str, agent_id: str, query: str | Sequence[str], limit: int = 5) -> Retrieved:
        self.queries.append(query)
        return Retrieved(self.hits, indexed=self.indexed)


def _client() -> Any:
    return boto3.client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def _reply(text: str, stop: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop,
        "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
        "metrics": {"latencyMs": 12},
    }


def test_the_converse_request_carries_the_model_prompt_context_history_and_limits() -> None:
    # GIVEN an agent set to Bedrock with two documents in its index
    retriever = FakeRetriever(
        [
            _hit("d1", "returns.md", "Returns are accepted within 30 days of delivery."),
            _hit("d2", "shipping.pdf", "Shipping takes 3 to 5 business days."),
            _hit("d1", "returns.md", "Refunds go back to the original card."),
            _hit("d3", "noise.txt", "Unrelated words.", relevance=0.0),
        ]
    )
    client = _client()
    history = [Turn("assistant", "Welcome!"), Turn("user", "Hi"), Turn("assistant", "Hello! How can I help?")]
    expected_system = (
        "You are Mugsy, a helpful assistant.\n\nBe brief and friendly.\n\nAbout you: We sell handmade ceramic mugs."
        "\n\nAnswer only from the numbered sources below, and cite each fact with its source's marker, for example "
        "[Source 1]. If they do not hold the answer, say plainly that you don't know and offer to connect the "
        "visitor with a person; never contradict the sources.\n\n"
        "[Source 1] (returns.md)\nReturns are accepted within 30 days of delivery.\n\n"
        "[Source 2] (shipping.pdf)\nShipping takes 3 to 5 business days.\n\n"
        "[Source 1] (returns.md)\nRefunds go back to the original card."
    )
    with Stubber(client) as stub:
        stub.add_response(
            "converse",
            _reply("You can return it within 30 days [Source 1]."),
            {
                "modelId": MODEL,
                "system": [{"text": expected_system}],
                "messages": [
                    {"role": "user", "content": [{"text": "Hi"}]},
                    {"role": "assistant", "content": [{"text": "Hello! How can I help?"}]},
                    {"role": "user", "content": [{"text": "Can I return a mug?"}]},
                ],
                "inferenceConfig": {"maxTokens": 300, "temperature": 0.2},
            },
        )
        # WHEN it answers
        answer = BedrockResponder(retriever, client=client).answer(_agent(), "Can I return a mug?", history)
        stub.assert_no_pending_responses()
    # THEN the model's text comes back with the sources numbered like the extractive responder's
    assert answer.answered and answer.model == MODEL
    assert answer.text == "You can return it within 30 days [Source 1]."
    assert answer.sources == [
        {"source_number": 1, "document_id": "d1", "document_name": "returns.md", "url": None, "cited": True},
        {"source_number": 2, "document_id": "d2", "document_name": "shipping.pdf", "url": None, "cited": False},
    ]
    assert retriever.queries == [["return", "mug"]]  # the shared retrieval: the question's stems, alone


def test_without_documents_the_env_model_answers_from_the_instructions() -> None:
    # GIVEN a non-Bedrock agent's settings and BEDROCK_MODEL_ID as the fallback model
    client = _client()
    with Stubber(client) as stub:
        stub.add_response(
            "converse",
            _reply("Hello!"),
            {
                "modelId": "amazon.nova-lite-v1:0",
                "system": [
                    {
                        "text": "You are Mugsy, a helpful assistant.\n\nBe brief and friendly.\n\n"
                        "About you: We sell handmade ceramic mugs.\n\n"
                        "If you do not know the answer, say so plainly; do not make one up."
                    }
                ],
                "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
                "inferenceConfig": {"maxTokens": 300, "temperature": 0.2},
            },
        )
        responder = BedrockResponder(FakeRetriever([], indexed=False), model_id="amazon.nova-lite-v1:0", client=client)
        answer = responder.answer(_agent("extractive"), "Hi", [])
    assert answer.answered and answer.text == "Hello!" and answer.sources == []


@pytest.mark.parametrize(
    ("code", "status", "transient"),
    [
        ("ThrottlingException", 429, True),
        ("ModelNotReadyException", 429, True),
        ("InternalServerException", 500, True),
        ("AccessDeniedException", 403, False),
        ("ValidationException", 400, False),
    ],
)
def test_bedrock_errors_become_a_plain_unanswered_reply(
    code: str, status: int, transient: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN Bedrock failing
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("converse", service_error_code=code, service_message="nope", http_status_code=status)
        # WHEN the responder is asked
        answer = BedrockResponder(None, client=client).answer(_agent(), "Can I return a mug?", [])
    # THEN the visitor gets a clear fallback, marked unanswered, and the failure is logged
    assert not answer.answered and answer.text == UNAVAILABLE
    assert code in caplog.text
    # AND only a failure that may pass by itself is marked for a retry (a queued turn retries it)
    assert answer.transient is transient


def test_a_filtered_or_empty_reply_is_unanswered() -> None:
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("converse", _reply("blocked", stop="guardrail_intervened"))
        answer = BedrockResponder(None, client=client).answer(_agent(), "Hi", [])
    assert not answer.answered and answer.text == UNAVAILABLE


def test_no_model_id_anywhere_is_unanswered_without_a_call() -> None:
    agent = _agent("extractive")
    answer = BedrockResponder(None, client=object()).answer(agent, "Hi", [])
    assert not answer.answered and answer.text == NOT_CONFIGURED


def test_the_responder_is_chosen_per_agent() -> None:
    # GIVEN the default configuration (RESPONDER=extractive)
    responder = build_responder(Settings(table_name="t", bedrock_model_id="amazon.nova-lite-v1:0"))
    assert isinstance(responder, PerAgentResponder)
    # THEN Bedrock agents go to Bedrock, the others (and agents without settings) to the extractive default
    assert isinstance(responder.for_agent(_agent("bedrock")), BedrockResponder)
    assert isinstance(responder.for_agent(_agent("extractive")), ExtractiveResponder)
    assert isinstance(responder.for_agent(_agent().model_copy(update={"settings": None})), ExtractiveResponder)
    # AND RESPONDER=bedrock makes Bedrock the default for everyone
    assert isinstance(build_responder(Settings(table_name="t", responder="bedrock")), BedrockResponder)


def test_citations_to_no_retrieved_source_are_dropped() -> None:
    # GIVEN one retrieved document and a model that cites it and an invented [Source 4]
    retriever = FakeRetriever([_hit("d1", "returns.md", "Returns are accepted within 30 days of delivery.")])
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("converse", _reply("Within 30 days [Source 1], and free [Source 4]."))
        # WHEN it answers
        answer = BedrockResponder(retriever, client=client).answer(_agent(), "Can I return a mug?", [])
    # THEN the invented marker is gone and only the real source is cited
    assert answer.text == "Within 30 days [Source 1], and free."
    assert [(s["source_number"], s["cited"]) for s in answer.sources] == [(1, True)]


def test_nothing_retrieved_for_an_agent_with_documents_is_refused_without_a_model_call() -> None:
    # GIVEN an agent with an index whose chunks do not match the question
    retriever = FakeRetriever([_hit("d1", "returns.md", "Returns are accepted within 30 days.", relevance=0.05)])
    client = _client()
    with Stubber(client) as stub:  # no response queued: a converse call would raise
        answer = BedrockResponder(retriever, client=client).answer(_agent(), "Do you sell bicycles?", [])
        stub.assert_no_pending_responses()
    # THEN it says plainly that it does not know (unanswered, so the escalation streak counts it)
    assert not answer.answered and answer.text == REFUSAL and answer.sources == []


def test_the_history_sent_to_the_model_is_bounded() -> None:
    # GIVEN a long conversation (40 earlier messages)
    history = [Turn("user" if i % 2 == 0 else "assistant", f"message {i}") for i in range(40)]
    kept = history[-MAX_HISTORY_MESSAGES:]
    client = _client()
    with Stubber(client) as stub:
        expected = {
            "modelId": MODEL,
            "system": ANY,
            "messages": [{"role": t.role, "content": [{"text": t.content}]} for t in kept]
            + [{"role": "user", "content": [{"text": "And now?"}]}],
            "inferenceConfig": ANY,
        }
        stub.add_response("converse", _reply("Sure."), expected)
        # WHEN a question is asked
        answer = BedrockResponder(None, client=client).answer(_agent(), "And now?", history)
        stub.assert_no_pending_responses()
    # THEN only the last MAX_HISTORY_MESSAGES went with it (starting with the user's turn)
    assert answer.answered and kept[0].role == "user"
