"""Tokenizing for retrieval: lower-case words, stop words and question fillers dropped, a light stemmer.

The same function tokenizes chunks when the index is built and questions when it is searched, so
"shipping", "ships" and "shipped" meet at "ship", and "policies" at "policy".
"""

from __future__ import annotations

import re

WORD = re.compile(r"[^\W_][\w'-]*")
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
STOPWORDS = frozenset(
    re.findall(
        r"\S+",
        """
    a an the and or but if of to in on at for from by with about as is are was were be been being do does did
    i me my we our you your he she it its they them their this that these those what which who whom whose when
    where why how can could should would will shall may might must have has had not no yes please tell know
    there here any some just also than then so very more most much many get got give us am
    """,
    )
)
# Verbs and fillers that appear in most questions but say nothing about the topic.
GENERIC = frozenset(
    re.findall(
        r"\S+",
        """
    sell sells buy take takes long need want like make use find go see look thing things good well ok okay
    really one anything something offer done happen happens work works exactly kind too else either still
    """,
    )
)
GREETINGS = frozenset(["hello", "hi", "hey", "hiya", "howdy", "greetings", "morning", "afternoon", "evening"])


def terms(text: str) -> list[str]:
    """The content words of ``text``, lower-cased, in order (not stemmed)."""
    words = (w.strip("'-") for w in WORD.findall(text.lower()))
    return [w for w in words if w and w not in STOPWORDS and w not in GENERIC]


def stem(word: str) -> str:
    """A light English suffix stripper (plural, -ing, -ed, then a final -e); short words are left alone.

    Dropping the final ``e`` last makes "arrive", "arrives", "arrived" and "arriving" all ``arriv``.
    """
    base = _strip_suffix(word)
    return base[:-1] if len(base) > 3 and base.endswith("e") and not base.endswith("ee") else base


def _strip_suffix(word: str) -> str:
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":  # shipped -> ship
                base = base[:-1]
            return base
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Stemmed content words: what the index stores and what a query is matched with."""
    return [stem(w) for w in terms(text)]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.split(text) if s and s.strip()]
