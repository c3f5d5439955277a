"""Typed bodies keep today's 400 shape; typed responses keep every key the service returns."""

from __future__ import annotations

from fastapi.testclient import TestClient

from knowrithm_core.models.responses.agents import AgentEnvelope
from knowrithm_core.models.responses.leads import LeadList


def test_a_bad_typed_body_is_a_400_validation_error_that_changes_nothing(client: TestClient) -> None:
    # GIVEN a company body with an empty name and a malformed email (plus a key clients send that we ignore)
    body = {"name": "", "email": "not-an-email", "plan": "ignored"}
    # WHEN it is posted
    response = client.post("/api/v1/company", json=body)
    # THEN it is the usual 400 validation_error, naming both fields, and no company was created
    assert response.status_code == 400
    error = response.json()
    assert error["error_code"] == "validation_error" and error["detail"] == error["error"] == error["message"]
    assert error["message"].startswith("Validation failed: ")
    assert set(error["details"]["errors"]) == {"name", "email"}
    fine = client.post("/api/v1/company", json={"name": "Acme", "email": "ops@acme.test", "plan": "ignored"})
    assert fine.status_code == 201 and fine.json()["company"]["name"] == "Acme"


def test_a_body_that_is_not_an_object_keeps_its_message(client: TestClient) -> None:
    # GIVEN a JSON array where an object is expected WHEN posted THEN the same 400 as before the typed bodies
    response = client.post("/api/v1/company", json=["a"])
    assert response.status_code == 400
    assert response.json()["message"] == "The request body must be a JSON object."


def test_response_models_keep_undocumented_keys_and_add_none() -> None:
    # GIVEN a service result with keys the model does not name, nested and at the top
    result = {"agent": {"id": "a1", "name": "Ada", "brand_new_field": [1, 2]}, "message": "ok", "trace": {"x": 1}}
    # WHEN it goes through the response model as the routes serialize it
    wire = AgentEnvelope.model_validate(result).model_dump(mode="json", exclude_unset=True)
    # THEN the wire is exactly the service's dict: nothing dropped, no defaults added
    assert wire == result
    leads = {"success": True, "leads": [], "items": [], "data": {"leads": [], "pagination": None}}
    assert LeadList.model_validate(leads).model_dump(mode="json", exclude_unset=True) == leads
