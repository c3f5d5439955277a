"""Polling of 202 task answers (``GET /v1/tasks/{id}/status``) by the SDK."""

from __future__ import annotations

import pytest

from knowrithm_py._core import status_path
from knowrithm_py.errors import KnowrithmAPIError
from tests.unit.sdk.scripted_server import MakeClient, Reply, ScriptedServer

CHAT = "/api/v1/conversation/c1/chat"
STATUS = "/api/v1/tasks/t1/status"
RESULT = {"status": "completed", "response": "Hello!", "history": [{"assistant_response": "Hello!"}]}


def ack(server: ScriptedServer) -> Reply:
    """The server's chat acknowledgement: absolute status_url, plus the messages poll_url."""
    body = {
        "status": "queued",
        "task_id": "t1",
        "message_id": "m1",
        "conversation_id": "c1",
        "status_url": f"{server.origin}{STATUS}",
        "poll_url": "/v1/conversation/c1/messages",
    }
    return Reply(202, body)


def test_202_chat_is_polled_until_completed(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a chat answered with a task that is pending, then processing, then completed
    server.script("POST", CHAT, ack(server))
    server.script(
        "GET",
        STATUS,
        Reply(200, {"task_id": "t1", "status": "pending", "state": "PENDING"}),
        Reply(200, {"task_id": "t1", "status": "processing", "state": "STARTED"}),
        Reply(200, {"task_id": "t1", "status": "completed", "state": "SUCCESS", "result": RESULT}),
    )
    # WHEN a message is sent, asking for an asynchronous answer
    reply = make_client().messages.send_message("c1", "Hi", prefer_async=True)
    # THEN the task's result is returned, after three polls of the status URL on the client's base
    assert reply == RESULT
    assert reply["history"][-1]["assistant_response"] == "Hello!"
    assert len(server.requests_to("GET", STATUS)) == 3
    assert server.requests_to("GET", "/api/v1/conversation/c1/messages") == []
    (sent,) = server.requests_to("POST", CHAT)
    assert sent.headers["Prefer"] == "respond-async"
    assert sent.body == {"message": "Hi"}


def test_failed_task_raises_with_its_error(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a task that fails
    server.script("POST", CHAT, ack(server))
    failure = {"task_id": "t1", "status": "failed", "error": {"message": "LLM unavailable", "code": "llm_down"}}
    server.script("GET", STATUS, Reply(200, failure))
    # WHEN a message is sent
    with pytest.raises(KnowrithmAPIError) as caught:
        make_client().messages.send_message("c1", "Hi")
    # THEN the task's error is raised
    assert (caught.value.message, caught.value.error_code) == ("LLM unavailable", "llm_down")
    assert caught.value.response_data == failure


def test_task_that_never_finishes_times_out(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a task that stays pending
    server.script("POST", CHAT, ack(server))
    server.script("GET", STATUS, Reply(200, {"task_id": "t1", "status": "pending"}))
    # WHEN a message is sent with a short poll timeout
    with pytest.raises(KnowrithmAPIError) as caught:
        make_client(task_poll_timeout=0.3).messages.send_message("c1", "Hi")
    # THEN a timeout error is raised after several polls
    assert caught.value.error_code == "task_timeout"
    assert len(server.requests_to("GET", STATUS)) >= 3


def test_wait_false_returns_the_ack_for_later_polling(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a queued chat whose task completes
    server.script("POST", CHAT, ack(server))
    server.script("GET", STATUS, Reply(200, {"task_id": "t1", "status": "completed", "result": RESULT}))
    client = make_client()
    # WHEN the message is sent without waiting, then the task is read and awaited explicitly
    acknowledgement = client.messages.send_message("c1", "Hi", wait=False)
    status = client.tasks.get_task_status("t1")
    result = client.tasks.wait_for_task(acknowledgement)
    # THEN the ack, the raw status and the result come back in turn
    assert acknowledgement["status"] == "queued"
    assert status["status"] == "completed"
    assert result == RESULT


def test_synchronous_answers_are_not_polled(server: ScriptedServer, make_client: MakeClient) -> None:
    # GIVEN a chat answered inline (200, status completed, no task)
    server.script("POST", CHAT, Reply(200, RESULT))
    # WHEN a message is sent / THEN the answer is returned as is, with no status request
    assert make_client().messages.send_message("c1", "Hi") == RESULT
    assert [s.path for s in server.seen] == [CHAT]


def test_status_paths_are_made_relative_to_the_client_base() -> None:
    # GIVEN acknowledgements in every shape clients meet / WHEN normalised / THEN all become /tasks/x/status
    expected = "/tasks/x/status"
    assert status_path({"status_url": "https://other.example/api/v1/tasks/x/status"}) == expected
    assert status_path({"status_url": "/v1/tasks/x/status"}) == expected
    assert status_path({"status_url": "/api/v1/tasks/x/status"}) == expected
    assert status_path({"task_id": "x"}) == expected
    assert status_path("x") == expected
