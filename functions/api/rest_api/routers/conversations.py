"""Conversations, their messages, and chat."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from knowrithm_core.errors import StreamingNotConfigured
from knowrithm_core.models.bodies.conversations import (
    ChatRequest,
    ConversationCreate,
    ConversationUpdate,
    HandoffRequest,
    OperatorReplyRequest,
)
from knowrithm_core.models.responses.common import TaskAccepted
from knowrithm_core.models.responses.conversations import (
    ChatResult,
    ConversationCreated,
    ConversationDeleted,
    ConversationEnvelope,
    ConversationList,
    ConversationRestored,
    DeletedConversations,
    DeletedMessages,
    HandoffResult,
    MessageAck,
    MessageList,
    OperatorReply,
)
from rest_api.contract import ERRORS, body_doc, body_of, query_doc
from rest_api.deps import Caller, Query, ServicesDep, client_ip, origin_of

router = APIRouter(tags=["conversations"], responses=ERRORS)
CreateBody = Annotated[ConversationCreate, Depends(body_of(ConversationCreate))]
UpdateBody = Annotated[ConversationUpdate, Depends(body_of(ConversationUpdate))]
ChatBody = Annotated[ChatRequest, Depends(body_of(ChatRequest))]
HandoffBody = Annotated[HandoffRequest, Depends(body_of(HandoffRequest))]
ReplyBody = Annotated[OperatorReplyRequest, Depends(body_of(OperatorReplyRequest))]
QUEUED: dict[int | str, dict[str, Any]] = {202: {"model": TaskAccepted, "description": "Queued: poll `status_url`"}}


class EventStream(Response):
    media_type = "text/event-stream"


@router.post(
    "/conversation",
    status_code=201,
    response_model=ConversationCreated,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(ConversationCreate),
)
def create_conversation(caller: Caller, body: CreateBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.create(caller, body)


@router.get(
    "/conversation",
    response_model=ConversationList,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("page", "per_page", "status", "search", "agent_id", "cursor"),
)
def list_conversations(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.list(caller, query)


@router.get("/conversation/deleted", response_model=DeletedConversations, response_model_exclude_unset=True)
def list_deleted_conversations(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.list_deleted(caller)


@router.get(
    "/conversation/entity",
    response_model=ConversationList,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("page", "per_page", "status"),
)
def list_my_conversations(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    """The caller's own conversations (a user's, an API key's or a visitor's); ``status`` active (default),
    archived, deleted or all."""
    return svc.conversations.list_mine(caller, query)


@router.get(
    "/conversation/entity/{entity_id}",
    response_model=ConversationList,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("entity_type", "status", "page", "per_page"),
)
def list_entity_conversations(entity_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    """One user's or visitor's conversations (a visitor may ask only for its own)."""
    return svc.conversations.list_by_entity(caller, entity_id, query)


@router.get(
    "/conversation/agent/{agent_id}",
    response_model=ConversationList,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("page", "per_page", "status", "search", "cursor"),
)
def list_agent_conversations(agent_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.list_by_agent(caller, agent_id, query)


@router.get("/conversation/{conversation_id}", response_model=ConversationEnvelope, response_model_exclude_unset=True)
def get_conversation(conversation_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return {"conversation": svc.conversations.load(caller, conversation_id).public()}


@router.patch(
    "/conversation/{conversation_id}",
    response_model=ConversationEnvelope,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(ConversationUpdate),
)
def update_conversation(conversation_id: str, caller: Caller, body: UpdateBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.update(caller, conversation_id, body)


@router.get(
    "/conversation/{conversation_id}/messages",
    response_model=MessageList,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("page", "per_page", "cursor"),
)
def list_messages(conversation_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.messages(caller, conversation_id, query)


@router.get("/conversation/{conversation_id}/messages/stream", response_class=EventStream)
def stream_messages(conversation_id: str, caller: Caller, svc: ServicesDep) -> Response:
    """Server-sent events need a streaming backend, which an HTTP API in front of Lambda is not (it buffers
    whole responses): 503 ``streaming_not_configured``, Knowrithm's documented "not configured" answer, after
    the usual auth and 404 checks. Clients fall back to polling."""
    svc.conversations.load(caller, conversation_id)
    raise StreamingNotConfigured(
        "Streaming is not configured on this deployment; poll the task's status_url or "
        f"GET /api/v1/conversation/{conversation_id}/messages instead."
    )


@router.post(
    "/conversation/{conversation_id}/chat",
    response_model=ChatResult,
    response_model_exclude_unset=True,
    responses=QUEUED,
    openapi_extra=body_doc(ChatRequest),
)
def chat(
    conversation_id: str, request: Request, response: Response, caller: Caller, body: ChatBody, svc: ServicesDep
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


@router.post(
    "/conversation/{conversation_id}/handoff",
    response_model=HandoffResult,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(HandoffRequest),
)
def handoff_conversation(conversation_id: str, caller: Caller, body: HandoffBody, svc: ServicesDep) -> dict[str, Any]:
    """A person takes the conversation over: the bot stops answering (send it again to reassign)."""
    return svc.handoff.handoff(caller, conversation_id, body)


@router.post(
    "/conversation/{conversation_id}/reply",
    response_model=OperatorReply,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(OperatorReplyRequest),
)
def reply_to_conversation(conversation_id: str, caller: Caller, body: ReplyBody, svc: ServicesDep) -> dict[str, Any]:
    """An operator message (role ``operator``); 409 unless the conversation is handed off."""
    return svc.handoff.reply(caller, conversation_id, body)


@router.post("/conversation/{conversation_id}/release", response_model=HandoffResult, response_model_exclude_unset=True)
def release_conversation(conversation_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """The bot answers again; 409 unless the conversation is handed off."""
    return svc.handoff.release(caller, conversation_id)


@router.delete("/conversation/{conversation_id}", response_model=ConversationDeleted, response_model_exclude_unset=True)
def delete_conversation(conversation_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.delete(caller, conversation_id)


@router.patch(
    "/conversation/{conversation_id}/restore", response_model=ConversationRestored, response_model_exclude_unset=True
)
def restore_conversation(conversation_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.restore(caller, conversation_id)


@router.delete(
    "/conversation/{conversation_id}/messages", response_model=ConversationDeleted, response_model_exclude_unset=True
)
def delete_conversation_messages(conversation_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.delete_messages(caller, conversation_id)


@router.patch(
    "/conversation/{conversation_id}/message/restore-all",
    response_model=ConversationRestored,
    response_model_exclude_unset=True,
)
def restore_conversation_messages(conversation_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.restore_messages(caller, conversation_id)


@router.get("/message/deleted", response_model=DeletedMessages, response_model_exclude_unset=True)
def list_deleted_messages(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.list_deleted_messages(caller)


@router.delete("/message/{message_id}", response_model=MessageAck, response_model_exclude_unset=True)
def delete_message(message_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.delete_message(caller, message_id)


@router.patch("/message/{message_id}/restore", response_model=MessageAck, response_model_exclude_unset=True)
def restore_message(message_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.conversations.restore_message(caller, message_id)
