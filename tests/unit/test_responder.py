"""The extractive responder answers from the agent's own words, and says so when it cannot."""

from __future__ import annotations

from knowrithm_core.ids import iso
from knowrithm_core.models.resources import Agent, AgentSettings
from knowrithm_core.responder import Turn
from knowrithm_core.responder.extractive import NO_ANSWER, ExtractiveResponder
from knowrithm_core.responder.small_talk import THANKS_REPLY

AGENT = Agent(
    id="a",
    created_at=iso(),
    updated_at=iso(),
    company_id="c",
    name="Mugsy",
    description="We sell handmade ceramic mugs. Shipping takes 3 to 5 business days.",
    instructions="Returns are accepted within 30 days. Our shop opens at 9am on weekdays.",
)


def test_a_greeting_gets_a_short_welcome_not_the_description() -> None:
    # GIVEN an agent with a description WHEN a visitor only says hello THEN a one-line welcome answers
    answer = ExtractiveResponder().answer(AGENT, "Hello from our integration!", [])
    assert answer.answered and answer.text == "Hello! I'm Mugsy. How can I help you today?"


def test_a_greeting_uses_the_agents_welcome_message() -> None:
    settings = {
        "id": "s", "llm_provider_id": "p", "llm_provider": "openai", "llm_provider_label": "OpenAI",
        "llm_model_id": "m", "llm_model_name": "gpt", "embedding_provider_id": "e", "embedding_provider": "openai",
        "embedding_provider_label": "OpenAI", "embedding_model_id": "em", "embedding_model_name": "emb",
        "widget_config": {"welcome": "Hi there, ask me about mugs!"}, "created_at": iso(), "updated_at": iso(),
    }  # fmt: skip
    agent = AGENT.model_copy(update={"settings": AgentSettings.model_validate(settings)})
    assert ExtractiveResponder().answer(agent, "hi!", []).text == "Hi there, ask me about mugs!"


def test_thanks_get_a_short_reply() -> None:
    answer = ExtractiveResponder().answer(AGENT, "Thanks a lot, that's great!", [])
    assert answer.answered and answer.text == THANKS_REPLY


def test_who_are_you_still_introduces_the_agent() -> None:
    answer = ExtractiveResponder().answer(AGENT, "Who are you?", [])
    assert answer.text.startswith("Hello! I'm Mugsy.") and "ceramic mugs" in answer.text


def test_answers_from_the_best_matching_sentence() -> None:
    answer = ExtractiveResponder().answer(AGENT, "When do you open?", [])
    assert answer.answered and "9am" in answer.text and "Shipping" not in answer.text


def test_says_plainly_when_it_has_no_answer() -> None:
    answer = ExtractiveResponder().answer(AGENT, "Do you sell bicycles?", [])
    assert not answer.answered and answer.text == NO_ANSWER and answer.confidence == 0


def test_short_follow_up_uses_the_previous_question() -> None:
    history = [Turn("user", "How long is shipping?"), Turn("assistant", "3 to 5 business days.")]
    answer = ExtractiveResponder().answer(AGENT, "and weekends?", history)
    assert answer.answered and "Shipping" in answer.text


def test_a_greeting_after_a_question_is_still_a_greeting() -> None:
    history = [Turn("user", "How long is shipping?"), Turn("assistant", "3 to 5 business days.")]
    answer = ExtractiveResponder().answer(AGENT, "Hello from our integration!", history)
    assert answer.text.startswith("Hello! I'm Mugsy.")
