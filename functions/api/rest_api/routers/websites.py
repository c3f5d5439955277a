"""Website sources (Knowrithm's ``/website/source`` routes and the SDK's synchronous ones)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from knowrithm_core.models.bodies.sources import CrawlNow, WebsiteSourceCreate
from knowrithm_core.models.responses.sources import (
    CrawlQueued,
    CrawlResult,
    WebsitePageList,
    WebsiteSourceCreated,
    WebsiteSourceDeleted,
    WebsiteSourceList,
)
from rest_api.contract import ERRORS, body_doc, body_of
from rest_api.deps import Caller, ServicesDep

router = APIRouter(tags=["websites"], responses=ERRORS)
CreateBody = Annotated[WebsiteSourceCreate, Depends(body_of(WebsiteSourceCreate))]
CrawlBody = Annotated[CrawlNow, Depends(body_of(CrawlNow))]


@router.post(
    "/website/source",
    status_code=201,
    response_model=WebsiteSourceCreated,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(WebsiteSourceCreate),
)
def register_source(caller: Caller, body: CreateBody, svc: ServicesDep) -> dict[str, Any]:
    """Register a site (checked by the SSRF guard and fetched once) and queue its first crawl; 409 if known."""
    return svc.websites.register(caller, body)


@router.get("/website/source", response_model=WebsiteSourceList, response_model_exclude_unset=True)
def list_sources(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.websites.list_sources(caller)


@router.get("/website/agent/{agent_id}/sources", response_model=WebsiteSourceList, response_model_exclude_unset=True)
def list_agent_sources(agent_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.websites.list_sources(caller, agent_id)


@router.get("/website/source/{source_id}/pages", response_model=WebsitePageList, response_model_exclude_unset=True)
def list_pages(source_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.websites.pages(caller, source_id)


@router.post(
    "/website/source/{source_id}/crawl", status_code=202, response_model=CrawlQueued, response_model_exclude_unset=True
)
def crawl_source(source_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """Queue a crawl (the ingest worker runs it); poll ``/tasks/{task_id}/status`` or the source."""
    return svc.websites.request_crawl(caller, source_id)


@router.delete("/website/source/{source_id}", response_model=WebsiteSourceDeleted, response_model_exclude_unset=True)
def delete_source(source_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """Delete the source, its pages and their documents."""
    return svc.websites.delete(caller, source_id)


@router.delete(
    "/sdk/website/source/{source_id}", response_model=WebsiteSourceDeleted, response_model_exclude_unset=True
)
def sdk_delete_source(source_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.websites.delete(caller, source_id)


@router.post(
    "/sdk/website/source/{source_id}/crawl",
    response_model=CrawlResult,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(CrawlNow),
)
def sdk_crawl_source(source_id: str, caller: Caller, body: CrawlBody, svc: ServicesDep) -> dict[str, Any]:
    """Crawl now and return what changed (pages are then ingested like uploads)."""
    return svc.websites.crawl_now(caller, source_id, body.max_pages)
