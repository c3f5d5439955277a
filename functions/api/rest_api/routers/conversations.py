"""Conversations, their messages, and chat."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from knowrithm_core.errors import StreamingNotConfigured
from rest_api.deps import Body, Caller, Query, ServicesDep, client_ip, origin_of
from rest_api.routing import DeferredAPIRoute

router = APIRouter(tags=["conversations"], route_class=DeferredAPIRoute)


@router.post("/conversation", status_code=201)
def create_conversation(body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.create(caller, body)


@router.get("/conversation")
def list_conversations(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.list(caller, query)


@router.get("/conversation/deleted")
def list_deleted_conversations(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.list_deleted(caller)


@router.get("/conversation/agent/{agent_id}")
def list_agent_conversations(agent_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.list_by_agent(caller, agent_id, query)


@router.get("/conversation/{conversation_id}")
def get_conversation(conversation_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return {"conversation": svc.conversations.load(caller, conversation_id).public()}


@router.patch("/conversation/{conversation_id}")
def update_conversation(conversation_id: str, body: Body, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.update(caller, conversation_id, body)


@router.get("/conversation/{conversation_id}/messages")
def list_messages(conversation_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.messages(caller, conversation_id, query)


@router.get("/conversation/{conversation_id}/messages/stream")
def stream_messages(conversation_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """Server-sent events need a streaming backend, which an HTTP API in front of Lambda is not (it buffers
    whole responses): 503 ``streaming_not_configured``, Knowrithm's documented "not configured" answer, after
    the usual auth and 404 checks. Clients fall back to polling."""
    svc.conversations.load(caller, conversation_id)
    raise StreamingNotConfigured(
        "Streaming is not configured on this deployment; poll the task's status_url or "
        f"GET /api/v1/conversation/{conversation_id}/messages instead."
    )


@router.post("/conversation/{conversation_id}/chat")
def chat(
    conversation_id: str, body: Body, request: Request, response: Response, caller: Caller, svc: ServicesDep
) -> dict[str, Any]:
    """Answers inline (200), or 202 with a task to poll: with ``Prefer: respond-async``, or when the turn is
    queued for ChatWorkerFunction (a slow responder, ``CHAT_MODE=async``)."""
    as_task = "respond-async" in request.headers.get("prefer", "").lower()
    result = svc.chat.send(caller, conversation_id, body, as_task=as_task, client_ip=client_ip(request))
    if "task_id" in result:
        response.status_code = 202
        status_url = f"{origin_of(request)}/api/v1/tasks/{result['task_id']}/status"
        result |= {"status_url": status_url, "poll_url": f"/v1/conversation/{conversation_id}/messages"}
    return result


@router.delete("/conversation/{conversation_id}")
def delete_conversation(conversation_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.delete(caller, conversation_id)


@router.patch("/conversation/{conversation_id}/restore")
def restore_conversation(conversation_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.restore(caller, conversation_id)


@router.delete("/conversation/{conversation_id}/messages")
def delete_conversation_messages(conversation_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.delete_messages(caller, conversation_id)


@router.patch("/conversation/{conversation_id}/message/restore-all")
def restore_conversation_messages(conversation_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.restore_messages(caller, conversation_id)


@router.get("/message/deleted")
def list_deleted_messages(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.list_deleted_messages(caller)


@router.delete("/message/{message_id}")
def delete_message(message_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.delete_message(caller, message_id)


@router.patch("/message/{message_id}/restore")
def restore_message(message_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.restore_message(caller, message_id)
