"""Knowrithm's user and company routes: add user, profile, user by id, company update and statistics."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.stack import Tenant

ERROR_KEYS = {"detail", "error", "message", "error_code"}
NEWCOMER = {
    "email": "Jane@Acme.example",
    "username": "jane_smith",
    "password": "SecurePass123!",
    "first_name": "Jane",
    "last_name": "Smith",
}


def _login(client: TestClient, email: str, password: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/login", json={"email": email, "password": password}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_adds_a_user_who_can_sign_in_and_edit_their_profile(client: TestClient, tenant: Tenant) -> None:
    # GIVEN an admin WHEN they add a user to their company (no company id in the body: the caller's)
    added = client.post("/api/v1/auth/user", json=NEWCOMER, headers=tenant.admin_headers)
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["status"] == "completed" and body["company_id"] == tenant.company_id
    assert body["user"]["email"] == "jane@acme.example" and body["user"]["role"] == "user"
    # THEN the user signs in and reads their profile, with Knowrithm's defaults
    jane = _login(client, "jane@acme.example", NEWCOMER["password"])
    profile = client.get("/api/v1/user/profile", headers=jane).json()["user"]
    assert (profile["first_name"], profile["language"], profile["timezone"]) == ("Jane", "en", "UTC")
    # AND changes only the fields sent
    change = {"last_name": "Doe", "timezone": "America/New_York", "preferences": {"theme": "dark"}}
    updated = client.put("/api/v1/user/profile", json=change, headers=jane)
    assert updated.status_code == 200 and updated.json()["message"] == "Profile updated successfully."
    again = client.get("/api/v1/user/profile", headers=jane).json()["user"]
    assert (again["first_name"], again["last_name"], again["timezone"]) == ("Jane", "Doe", "America/New_York")
    assert again["preferences"] == {"theme": "dark"} and again["version"] == profile["version"] + 1
    # AND the admin reads the user by id; the user may read only themself
    by_admin = client.get(f"/api/v1/user/{profile['id']}", headers=tenant.admin_headers).json()
    assert by_admin["success"] is True and by_admin["data"]["last_name"] == "Doe"
    assert client.get(f"/api/v1/user/{profile['id']}", headers=jane).status_code == 200
    admin_id = client.get("/api/v1/user/profile", headers=tenant.admin_headers).json()["user"]["id"]
    assert client.get(f"/api/v1/user/{admin_id}", headers=jane).status_code == 403


def test_bad_or_unauthorised_user_requests_change_nothing(client: TestClient, tenant: Tenant) -> None:
    # GIVEN a plain user
    client.post("/api/v1/auth/user", json=NEWCOMER, headers=tenant.admin_headers)
    jane = _login(client, "jane@acme.example", NEWCOMER["password"])
    # WHEN they try to add a user, or send a bad profile, or an API key asks for a profile
    refused = client.post("/api/v1/auth/user", json={**NEWCOMER, "email": "x@acme.example"}, headers=jane)
    bad = client.put("/api/v1/user/profile", json={"first_name": ""}, headers=jane)
    by_key = client.get("/api/v1/user/profile", headers=tenant.key_headers)
    short = client.post("/api/v1/auth/user", json={**NEWCOMER, "password": "short"}, headers=tenant.admin_headers)
    taken = client.post("/api/v1/auth/user", json=NEWCOMER, headers=tenant.admin_headers)
    # THEN each gets a clear 4xx JSON error
    assert [r.status_code for r in (refused, bad, by_key, short, taken)] == [403, 400, 403, 400, 409]
    assert all(r.json().keys() >= ERROR_KEYS for r in (refused, bad, by_key, short, taken))
    # AND nothing changed
    assert client.get("/api/v1/user/profile", headers=jane).json()["user"]["first_name"] == "Jane"
    assert client.post("/api/v1/auth/login", json={"email": "x@acme.example", "password": "x"}).status_code == 401


def test_users_of_another_company_are_not_found(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    # GIVEN a user of another company
    theirs = client.get("/api/v1/user/profile", headers=other_tenant.admin_headers).json()["user"]["id"]
    # WHEN an admin asks for it THEN it is 404, as if it did not exist
    response = client.get(f"/api/v1/user/{theirs}", headers=tenant.admin_headers)
    assert response.status_code == 404 and response.json().keys() >= ERROR_KEYS


def test_an_admin_updates_their_company_with_put_or_patch(client: TestClient, tenant: Tenant) -> None:
    # WHEN the admin changes the name (PUT) and then the phone (PATCH)
    url = f"/api/v1/company/{tenant.company_id}"
    put = client.put(url, json={"name": "Acme Mugs"}, headers=tenant.admin_headers)
    patch = client.patch(url, json={"phone": "+1 555 0100"}, headers=tenant.admin_headers)
    # THEN both succeed and only the fields sent changed
    assert put.status_code == patch.status_code == 200
    company = client.get("/api/v1/company", headers=tenant.admin_headers).json()
    assert (company["name"], company["phone"], company["email"]) == ("Acme Mugs", "+1 555 0100", "owner@acme.example")
    assert patch.json()["company"]["version"] == company["version"] == 3


def test_company_updates_need_an_admin_and_their_own_company(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    # WHEN an API key without admin, another company's admin, or a bad body try to update
    url = f"/api/v1/company/{tenant.company_id}"
    by_key = client.put(url, json={"name": "Hacked"}, headers=tenant.key_headers)
    by_other = client.put(url, json={"name": "Hacked"}, headers=other_tenant.admin_headers)
    bad = client.patch(url, json={"name": ""}, headers=tenant.admin_headers)
    # THEN they are refused with 403, 404 and 400, and the company is unchanged
    assert [r.status_code for r in (by_key, by_other, bad)] == [403, 404, 400]
    assert client.get("/api/v1/company", headers=tenant.admin_headers).json()["name"] == "acme"


def test_company_statistics_count_leads_and_live_conversations(client: TestClient, tenant: Tenant) -> None:
    # GIVEN two leads (one converted) and a conversation
    for n, status in ((1, "new"), (2, "converted")):
        lead = {"first_name": f"L{n}", "last_name": "X", "email": f"l{n}@x.example", "agent_id": tenant.agent_id}
        made = client.post("/api/v1/lead", json={**lead, "status": status}, headers=tenant.key_headers)
        assert made.status_code == 201, made.text
    client.post("/api/v1/conversation", json={"agent_id": tenant.agent_id}, headers=tenant.key_headers)
    # WHEN the statistics are read (own company, by id or not)
    mine = client.get("/api/v1/company/statistics?days=7", headers=tenant.key_headers)
    by_id = client.get(f"/api/v1/company/{tenant.company_id}/statistics", headers=tenant.key_headers)
    # THEN they count what happened
    assert mine.status_code == by_id.status_code == 200
    stats = mine.json()["statistics"]
    assert stats == {
        "total_leads": 2,
        "qualified_leads": 0,
        "converted_leads": 1,
        "conversion_rate": 50.0,
        "active_conversations": 1,
        "period_days": 7,
    }
    assert by_id.json()["statistics"]["period_days"] == 30


def test_company_statistics_refuse_bad_days_and_other_companies(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    bad = client.get("/api/v1/company/statistics?days=0", headers=tenant.key_headers)
    other = client.get(f"/api/v1/company/{other_tenant.company_id}/statistics", headers=tenant.key_headers)
    assert [bad.status_code, other.status_code] == [400, 404]
    assert bad.json().keys() >= ERROR_KEYS and other.json().keys() >= ERROR_KEYS


def test_an_admin_lists_and_reads_the_companys_users(client: TestClient, tenant: Tenant, other_tenant: Tenant) -> None:
    # GIVEN the admin and two added users
    for n in (1, 2):
        body = {**NEWCOMER, "email": f"u{n}@acme.example", "username": f"user{n}", "first_name": f"U{n}"}
        assert client.post("/api/v1/auth/user", json=body, headers=tenant.admin_headers).status_code == 201
    # WHEN the admin lists them, a page at a time, and filtered
    first = client.get("/api/v1/admin/user?per_page=2", headers=tenant.admin_headers).json()
    second = client.get(
        f"/api/v1/admin/user?per_page=2&cursor={first['pagination']['next_cursor']}", headers=tenant.admin_headers
    ).json()
    plain = client.get("/api/v1/admin/user?role=user&search=U2", headers=tenant.admin_headers).json()
    # THEN every user is listed once, oldest first, with the company's count as the total
    emails = [u["email"] for u in first["users"] + second["users"]]
    assert emails == ["admin@acme.example", "u1@acme.example", "u2@acme.example"] and first["total"] == 3
    assert [u["email"] for u in plain["users"]] == ["u2@acme.example"] and plain["filters_applied"]["role"] == "user"
    # AND one user is read by id; another company's is 404; a plain user or an API key cannot list
    one = client.get(f"/api/v1/admin/user/{first['users'][1]['id']}", headers=tenant.admin_headers).json()
    assert one["data"]["email"] == "u1@acme.example"
    theirs = client.get("/api/v1/user/profile", headers=other_tenant.admin_headers).json()["user"]["id"]
    assert client.get(f"/api/v1/admin/user/{theirs}", headers=tenant.admin_headers).status_code == 404
    u1 = _login(client, "u1@acme.example", NEWCOMER["password"])
    assert client.get("/api/v1/admin/user", headers=u1).status_code == 403
    assert client.get("/api/v1/admin/user", headers=tenant.key_headers).status_code == 403
    assert client.get(f"/api/v1/admin/user/{first['users'][1]['id']}", headers=u1).status_code == 403
