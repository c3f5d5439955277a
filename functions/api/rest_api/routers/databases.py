"""Database connections (Knowrithm's ``/database-connection`` routes) and ``POST /search/database``."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from knowrithm_core.models.bodies.sources import (
    AnalyzeAll,
    DatabaseConnectionCreate,
    DatabaseConnectionUpdate,
    DatabaseExport,
    DatabaseSearch,
)
from knowrithm_core.models.responses.sources import (
    DatabaseConnectionDeleted,
    DatabaseConnectionEnvelope,
    DatabaseConnectionList,
    DatabaseConnectionsAnalyzed,
    DatabaseConnectionTested,
    DatabaseExported,
    DatabaseSearchResult,
    DatabaseTables,
)
from rest_api.contract import ERRORS, body_doc, body_of
from rest_api.deps import Caller, ServicesDep

router = APIRouter(tags=["databases"], responses=ERRORS)
CreateBody = Annotated[DatabaseConnectionCreate, Depends(body_of(DatabaseConnectionCreate))]
UpdateBody = Annotated[DatabaseConnectionUpdate, Depends(body_of(DatabaseConnectionUpdate))]
ExportBody = Annotated[DatabaseExport, Depends(body_of(DatabaseExport))]
SearchBody = Annotated[DatabaseSearch, Depends(body_of(DatabaseSearch))]
AnalyzeAllBody = Annotated[AnalyzeAll, Depends(body_of(AnalyzeAll))]


@router.post(
    "/database-connection",
    status_code=201,
    response_model=DatabaseConnectionEnvelope,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(DatabaseConnectionCreate),
)
def create_connection(caller: Caller, body: CreateBody, svc: ServicesDep) -> dict[str, Any]:
    """Connect once (a bad password or unreachable host is a 400), keep the URL in Secrets Manager, show it masked."""
    return svc.databases.create(caller, body)


@router.post(
    "/sdk/database",
    status_code=201,
    response_model=DatabaseConnectionEnvelope,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(DatabaseConnectionCreate),
)
def sdk_create_connection(caller: Caller, body: CreateBody, svc: ServicesDep) -> dict[str, Any]:
    """The SDK's synchronous create (the same as ``POST /database-connection``)."""
    return svc.databases.create(caller, body)


@router.put(
    "/database-connection/{connection_id}",
    response_model=DatabaseConnectionEnvelope,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(DatabaseConnectionUpdate),
)
def update_connection(connection_id: str, caller: Caller, body: UpdateBody, svc: ServicesDep) -> dict[str, Any]:
    """Change the name, parameters or URL (a new URL is connected first; a 400 changes nothing)."""
    return svc.databases.update(caller, connection_id, body)


@router.patch(
    "/database-connection/{connection_id}",
    response_model=DatabaseConnectionEnvelope,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(DatabaseConnectionUpdate),
)
def patch_connection(connection_id: str, caller: Caller, body: UpdateBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.databases.update(caller, connection_id, body)


@router.put(
    "/sdk/database/{connection_id}",
    response_model=DatabaseConnectionEnvelope,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(DatabaseConnectionUpdate),
)
def sdk_update_connection(connection_id: str, caller: Caller, body: UpdateBody, svc: ServicesDep) -> dict[str, Any]:
    return svc.databases.update(caller, connection_id, body)


@router.delete(
    "/sdk/database/{connection_id}", response_model=DatabaseConnectionDeleted, response_model_exclude_unset=True
)
def sdk_delete_connection(connection_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.databases.delete(caller, connection_id)


@router.post(
    "/database-connection/analyze",
    response_model=DatabaseConnectionsAnalyzed,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(AnalyzeAll),
)
def analyze_all_connections(body: AnalyzeAllBody, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """Analyze every active connection (one that fails is listed in ``failed``)."""
    return svc.databases.analyze_all(caller, body.agent_id)


@router.get("/database-connection", response_model=DatabaseConnectionList, response_model_exclude_unset=True)
def list_connections(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.databases.list_connections(caller)


@router.get(
    "/database-connection/agent/{agent_id}", response_model=DatabaseConnectionList, response_model_exclude_unset=True
)
def list_agent_connections(agent_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.databases.list_connections(caller, agent_id)


@router.post(
    "/database-connection/export",
    status_code=202,
    response_model=DatabaseExported,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(DatabaseExport),
)
def export_connection(caller: Caller, body: ExportBody, svc: ServicesDep) -> dict[str, Any]:
    """Rows of the chosen tables become documents (queued for ingest), each row cited as ``table/row <key>``."""
    return svc.databases.export(caller, body)


@router.get(
    "/database-connection/{connection_id}", response_model=DatabaseConnectionEnvelope, response_model_exclude_unset=True
)
def get_connection(connection_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.databases.get(caller, connection_id)


@router.post(
    "/database-connection/{connection_id}/test",
    response_model=DatabaseConnectionTested,
    response_model_exclude_unset=True,
)
def test_connection(connection_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.databases.test(caller, connection_id)


@router.post(
    "/database-connection/{connection_id}/analyze",
    response_model=DatabaseConnectionEnvelope,
    response_model_exclude_unset=True,
)
def analyze_connection(connection_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """Tables, columns and row counts (stored on the connection)."""
    return svc.databases.analyze(caller, connection_id)


@router.get(
    "/database-connection/{connection_id}/table", response_model=DatabaseTables, response_model_exclude_unset=True
)
def list_tables(connection_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.databases.tables(caller, connection_id)


@router.delete(
    "/database-connection/{connection_id}", response_model=DatabaseConnectionDeleted, response_model_exclude_unset=True
)
def delete_connection(connection_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.databases.delete(caller, connection_id)


@router.post(
    "/search/database",
    response_model=DatabaseSearchResult,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(DatabaseSearch),
)
def search_database(caller: Caller, body: SearchBody, svc: ServicesDep) -> dict[str, Any]:
    """A SQL query runs as one validated read-only SELECT (a write is a 400); other text searches exported rows."""
    return svc.databases.search(caller, body)
