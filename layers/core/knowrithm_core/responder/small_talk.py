"""Short replies to greetings, thanks and goodbyes: the agent's welcome message, never its whole description."""

from __future__ import annotations

from collections.abc import Sequence

from knowrithm_core.knowledge.text import GREETINGS
from knowrithm_core.models.resources import Agent

THANKS = frozenset(["thanks", "thank", "thx", "ty", "cheers", "appreciate", "appreciated"])
GOODBYES = frozenset(["bye", "goodbye", "cya", "later"])
POLITE = frozenset(
    [
        "great",
        "perfect",
        "awesome",
        "helpful",
        "nice",
        "cool",
        "lot",
        "much",
        "that's",
        "good",
        "ok",
        "okay",
        "again",
        "there",
    ]
)
THANKS_REPLY = "You're welcome! Is there anything else I can help you with?"
GOODBYE_REPLY = "Goodbye, and thanks for chatting!"
WELCOME_KEYS = ("welcome", "welcome_message", "welcomeMessage")


def welcome(agent: Agent) -> str:
    """The agent's welcome message (its widget settings), else a one-line greeting with its name."""
    config = agent.settings.widget_config if agent.settings is not None else {}
    for key in WELCOME_KEYS:
        value = config.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return f"Hello! I'm {agent.name}. How can I help you today?"


def introduction(agent: Agent) -> str:
    """What the agent says when asked who it is: its name and description."""
    return f"Hello! I'm {agent.name}." + (f" {agent.description.strip()}" if agent.description else "")


def small_talk(agent: Agent, words: Sequence[str]) -> str | None:
    """The reply when ``words`` (a message's content words) are only a greeting, thanks or a goodbye."""
    if not words or any(w not in GREETINGS | THANKS | GOODBYES | POLITE for w in words):
        return None
    if any(w in THANKS for w in words):
        return THANKS_REPLY
    if any(w in GOODBYES for w in words):
        return GOODBYE_REPLY
    if any(w in GREETINGS for w in words):
        return welcome(agent)
    return None
