"""The widget function's public routes, for the API's OpenAPI document only.

WidgetFunction (``functions/widget``, a Powertools resolver) serves these paths; this router is never
mounted: :mod:`rest_api.openapi` adds its routes to the document so one contract describes every route.
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Depends, Response

from knowrithm_core.models.bodies.widget import WidgetHandshake
from knowrithm_core.models.responses.widget import Handshake, WidgetConfig
from rest_api.contract import ERRORS, body_doc, body_of, operation_id

router = APIRouter(tags=["widget"], responses=ERRORS, generate_unique_id_function=operation_id)


class JavaScript(Response):
    media_type = "application/javascript"


def _served_by_widget_function() -> NoReturn:
    raise NotImplementedError("served by WidgetFunction (functions/widget)")


@router.get(
    "/widget.js",
    response_class=JavaScript,
    operation_id="widget_script",
    responses={304: {"description": "Not modified (ETag)"}},
)
@router.get("/api/widget.js", response_class=JavaScript, operation_id="widget_script_api")
@router.get("/api/v1/widget.js", response_class=JavaScript, operation_id="widget_script_v1")
def widget_script() -> Response:
    """The chat widget's script (cacheable; ``?v=`` pins a version)."""
    _served_by_widget_function()


@router.get("/api/v1/widget/config/{agent_id}", response_model=WidgetConfig)
def widget_config(agent_id: str) -> dict[str, Any]:  # noqa: ARG001 - documented, not served here
    """The agent's public widget settings; 403 from a page origin the agent does not allow."""
    _served_by_widget_function()


@router.post("/api/v1/website/handshake", response_model=Handshake, openapi_extra=body_doc(WidgetHandshake))
def website_handshake(body: Annotated[Any, Depends(body_of(WidgetHandshake))]) -> dict[str, Any]:  # noqa: ARG001
    """The page the widget runs on (Knowrithm's widget calls it first)."""
    _served_by_widget_function()
