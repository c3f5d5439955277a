"""Conversation-aware retrieval and grounded extractive answers, over a real BM25 index of three documents."""

from __future__ import annotations

from collections.abc import Sequence

from knowrithm_core.ids import iso
from knowrithm_core.knowledge.conversation import is_follow_up, own_stems, retrieve_turn
from knowrithm_core.knowledge.index import AgentIndex, ChunkRef
from knowrithm_core.knowledge.search import Retrieved, bind
from knowrithm_core.models.resources import Agent
from knowrithm_core.responder import Turn
from knowrithm_core.responder.extractive import HEDGE, NO_ANSWER_FROM_DOCUMENTS, ExtractiveResponder

DOCUMENTS = {
    "returns.md": "Items bought at the Zanzibar store can be returned within 47 days of purchase with the receipt.",
    "hours.md": "On Sundays the store opens from 10am to 4pm. On Saturdays the store opens from 9am to 2pm.",
    "history.md": "The Zanzibar store was founded in 1998 by the Mahmoud family.",
}
AGENT = Agent(
    id="a", company_id="c", name="Pemba", created_at=iso(), updated_at=iso(),
    description="Returns are accepted within 30 days. We ship worldwide in 3 days.",
)  # fmt: skip


class IndexRetriever:
    """The Retriever protocol over one real in-memory index (what KnowledgeSearch does after its GetItem)."""

    def __init__(self) -> None:
        refs = [ChunkRef(f"k{i}", f"d{i}", name, 0, text, len(text.split())) for i, (name, text) in
                enumerate(DOCUMENTS.items())]  # fmt: skip
        self.index = AgentIndex.build(refs)

    def retrieve(self, company_id: str, agent_id: str, query: str | Sequence[str], limit: int = 5) -> Retrieved:
        return Retrieved(self.index.search(query, limit), indexed=True, chunk_count=len(self.index.refs))


def _top(question: str, history: Sequence[Turn] = ()) -> str:
    turn = retrieve_turn(bind(IndexRetriever(), "c", "a"), question, history)
    return turn.top.ref.document_name if turn.top else ""


RETURNS = [Turn("user", "How many days do I have to return something at the Zanzibar store?"), Turn("assistant", "…")]


def test_a_new_topic_is_retrieved_alone_not_with_the_previous_one() -> None:
    # GIVEN a conversation about returns WHEN the visitor asks about Sunday hours THEN the hours win
    assert _top("When are you open on Sunday?", RETURNS) == "hours.md"


def test_an_elliptical_follow_up_borrows_the_conversation() -> None:
    history = [Turn("user", "Who founded the Zanzibar store?"), Turn("assistant", "The Mahmoud family.")]
    assert is_follow_up("In which year?", own_stems("In which year?"))
    assert not is_follow_up("When are you open on Sunday?", own_stems("When are you open on Sunday?"))
    assert _top("In which year?", history) == "history.md"
    answer = ExtractiveResponder(IndexRetriever()).answer(AGENT, "In which year?", history)
    assert "1998" in answer.text and answer.sources[0]["document_name"] == "history.md"


def test_the_description_never_contradicts_a_document() -> None:
    # GIVEN a description that says 30 days and a document that says 47
    responder = ExtractiveResponder(IndexRetriever())
    # WHEN a question only weakly matches the documents
    answer = responder.answer(AGENT, "What is the return window at Zanzibar?", [])
    # THEN the answer comes from the document (hedged or not), never the description's 30 days
    assert "47 days" in answer.text and "30 days" not in answer.text and answer.sources
    # AND the description still answers what no document speaks of (shipping, here)
    shipping = responder.answer(AGENT, "Do you ship worldwide?", [])
    assert shipping.text == "We ship worldwide in 3 days." and not shipping.sources


def test_a_weak_match_is_hedged_and_another_place_is_not_answered() -> None:
    responder = ExtractiveResponder(IndexRetriever(), min_relevance=0.9)
    hedged = responder.answer(AGENT, "How many days to return a teapot at the store?", [])
    assert hedged.text.startswith(HEDGE) and "47 days" in hedged.text and hedged.answered
    paris = ExtractiveResponder(IndexRetriever()).answer(AGENT, "What is the return window at the Paris store?", [])
    assert paris.text == NO_ANSWER_FROM_DOCUMENTS and not paris.answered and not paris.sources
