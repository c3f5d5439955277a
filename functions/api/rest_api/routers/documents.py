"""Documents (the knowledge base), their chunks, and document search."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.datastructures import UploadFile

from knowrithm_core.errors import ValidationFailed
from knowrithm_core.models.bodies.documents import (
    RESERVED_FIELDS,
    DocumentIds,
    DocumentUpload,
    SearchRequest,
    UploadedFile,
    UploadRequest,
    UploadUrlRequest,
)
from knowrithm_core.models.responses.documents import (
    BulkDeleted,
    ChunkAck,
    DeletedChunks,
    DeletedDocuments,
    DocumentDeleted,
    DocumentEnvelope,
    DocumentList,
    DocumentRestored,
    SearchResult,
    UploadCompleted,
    UploadResult,
    UploadTicket,
)
from rest_api.contract import ERRORS, body_doc, body_of, query_doc, schema_ref
from rest_api.deps import Caller, Query, ServicesDep, json_body

router = APIRouter(tags=["documents"], responses=ERRORS)
FILE_FIELDS = ("files", "file", "files[]")
UploadUrlBody = Annotated[UploadUrlRequest, Depends(body_of(UploadUrlRequest))]
IdsBody = Annotated[Any, Depends(body_of(DocumentIds, checked_by_service=True))]
SearchBody = Annotated[SearchRequest, Depends(body_of(SearchRequest))]
BINARY = {"type": "string", "format": "binary"}
MULTIPART = {
    "type": "object",
    "properties": {
        "files": {"type": "array", "items": BINARY},
        "file": BINARY,
        "agent_id": {"type": "string"},
        "url": {"type": "string"},
        "urls": {"type": "string", "description": "one URL, a JSON array, or comma-separated"},
    },
    "additionalProperties": {"type": "string", "description": "metadata"},
}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": MULTIPART},
            "application/json": {"schema": schema_ref(DocumentUpload)},
        },
    }
}
PARTIAL: dict[int | str, dict[str, Any]] = {
    207: {"model": UploadResult, "description": "Some files or URLs were accepted"}
}


async def upload_request(request: Request) -> UploadRequest:
    """A form (``files`` / ``file`` / ``files[]``, ``agent_id``, ``url``, ``urls``, metadata fields) or JSON."""
    content_type = request.headers.get("content-type", "").lower()
    if not content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        return UploadRequest.from_json(await json_body(request))
    try:
        form = await request.form(max_files=100, max_fields=200)
    except Exception as exc:  # noqa: BLE001 - any multipart parse error is the client's: a 400
        raise ValidationFailed(f"The multipart body could not be read ({type(exc).__name__}).") from exc
    files = [
        UploadedFile(part.filename, part.content_type, await part.read())
        for name in FILE_FIELDS
        for part in form.getlist(name)
        if isinstance(part, UploadFile)
    ]
    texts = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    urls = [v for k, v in texts if k in ("url", "urls", "urls[]")]
    metadata = {k: v for k, v in texts if k not in RESERVED_FIELDS}
    agent_id = next((v for k, v in texts if k == "agent_id"), None)
    return UploadRequest(agent_id, files, urls, metadata)


@router.post(
    "/document/upload",
    response_model=UploadResult,
    responses=PARTIAL,
    openapi_extra=UPLOAD_BODY,
    response_model_exclude_unset=True,
)
def upload_documents(
    caller: Caller, upload: Annotated[UploadRequest, Depends(upload_request)], response: Response, svc: ServicesDep
) -> dict[str, Any]:
    """200 when every file and URL was accepted, 207 when some were; 4xx when none was."""
    status, body = svc.documents.upload(caller, upload)
    response.status_code = status
    return body


@router.post(
    "/document/upload-url",
    status_code=201,
    response_model=UploadTicket,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(UploadUrlRequest),
)
def create_upload_url(caller: Caller, body: UploadUrlBody, svc: ServicesDep) -> dict[str, Any]:
    """A pre-signed S3 upload for one file (any size up to MAX_DOCUMENT_BYTES); then POST .../complete."""
    return svc.documents.create_upload_url(caller, body)


@router.post("/document/{document_id}/complete", response_model=UploadCompleted, response_model_exclude_unset=True)
def complete_upload(document_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """The pre-signed upload arrived: check it and queue the document for processing (idempotent)."""
    return svc.documents.complete_upload(caller, document_id)


@router.get(
    "/document",
    response_model=DocumentList,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("page", "per_page", "status", "search", "document_type", "agent_id", "cursor"),
)
def list_documents(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.documents.list_documents(caller, query)


@router.get("/document/deleted", response_model=DeletedDocuments, response_model_exclude_unset=True)
def list_deleted_documents(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.documents.list_deleted(caller)


@router.get("/document/chunk/deleted", response_model=DeletedChunks, response_model_exclude_unset=True)
def list_deleted_chunks(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.documents.list_deleted_chunks(caller)


@router.get(
    "/document/agent/{agent_id}",
    response_model=DocumentList,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("page", "per_page", "status", "search", "document_type", "cursor"),
)
def list_agent_documents(agent_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    return svc.documents.list_documents(caller, query, agent_id=agent_id)


@router.delete(
    "/document/bulk-delete",
    response_model=BulkDeleted,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(DocumentIds),
)
def bulk_delete_documents(caller: Caller, body: IdsBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.documents.bulk_delete(caller, body)


@router.delete("/document/chunk/{chunk_id}", response_model=ChunkAck, response_model_exclude_unset=True)
def delete_chunk(chunk_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.documents.delete_chunk(caller, chunk_id)


@router.patch("/document/chunk/{chunk_id}/restore", response_model=ChunkAck, response_model_exclude_unset=True)
def restore_chunk(chunk_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.documents.restore_chunk(caller, chunk_id)


@router.get(
    "/document/{document_id}",
    response_model=DocumentEnvelope,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("include_chunks"),
)
def get_document(document_id: str, caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    chunks = (query.get("include_chunks") or "true").strip().lower() not in {"false", "0", "no", "off"}
    return svc.documents.get(caller, document_id, include_chunks=chunks)


@router.delete("/document/{document_id}", response_model=DocumentDeleted, response_model_exclude_unset=True)
def delete_document(document_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.documents.delete(caller, document_id)


@router.patch("/document/{document_id}/restore", response_model=DocumentRestored, response_model_exclude_unset=True)
def restore_document(document_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.documents.restore(caller, document_id)


@router.delete("/document/{document_id}/chunk", response_model=ChunkAck, response_model_exclude_unset=True)
def delete_document_chunks(document_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.documents.delete_chunks(caller, document_id)


@router.patch("/document/{document_id}/chunk/restore-all", response_model=ChunkAck, response_model_exclude_unset=True)
def restore_document_chunks(document_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.documents.restore_chunks(caller, document_id)


@router.post(
    "/search/document",
    response_model=SearchResult,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(SearchRequest),
)
def search_documents(caller: Caller, body: SearchBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.documents.search(caller, body)
