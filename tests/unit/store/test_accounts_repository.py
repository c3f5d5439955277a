"""Companies, users, API keys, sealed sessions, rate windows and the widget's agent read, on the in-memory table.

Pure and fast: every test builds its services around a :class:`MemoryTable` (no moto), so the repositories'
conditions and the use cases run as they do on DynamoDB (the table's parity test proves the semantics).
"""

from __future__ import annotations

from typing import Any

import pytest

from knowrithm_core.auth import Principal
from knowrithm_core.auth.principal import ROLE_SCOPES
from knowrithm_core.config import Settings
from knowrithm_core.container import Services
from knowrithm_core.errors import Conflict, Forbidden, NotFound, Unauthorized
from knowrithm_core.ids import iso, new_id
from knowrithm_core.models.resources import Company, User
from knowrithm_core.services.widget import WidgetPublic
from knowrithm_core.store import keys
from knowrithm_core.store.counters import Counter, DynamoCounters
from knowrithm_core.store.expressions import Put
from knowrithm_core.store.memory import MemoryTable
from knowrithm_core.store.repositories.accounts import CompanyRepository, UserRepository
from knowrithm_core.store.table import TransactionConflict
from knowrithm_core.store.unit_of_work import UnitOfWork

PASSWORD = "correct horse battery"


@pytest.fixture
def table() -> MemoryTable:
    return MemoryTable()


@pytest.fixture
def services(table: MemoryTable) -> Services:
    settings = Settings(table_name=table.table_name, jwt_secret="s" * 32, api_key_cache_seconds=0)
    return Services(settings, table)


def user_body(company_id: str, email: str = "ada@acme.example", username: str = "ada") -> dict[str, Any]:
    names = {"first_name": "Ada", "last_name": "Lovelace"}
    return {"company_id": company_id, "email": email, "username": username, "password": PASSWORD, **names}


def new_company(services: Services, name: str = "acme") -> Company:
    return services.companies.create({"name": name, "email": f"owner@{name}.example"})


def admin_of(services: Services, company_id: str) -> Principal:
    user = services.auth.register_user(user_body(company_id), None)["user"]
    return Principal("user", company_id, user["id"], ROLE_SCOPES["admin"], "admin")


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


# --- companies ----------------------------------------------------------------------------------------------
def test_a_company_is_stored_with_no_users_and_its_email_is_claimed_once(services: Services) -> None:
    # GIVEN a company made through the service
    company = new_company(services)
    # WHEN it is read back, and another company asks for the same email
    record = CompanyRepository(services.table).get(company.id)
    with pytest.raises(Conflict):
        services.companies.create({"name": "copycat", "email": "owner@acme.example"})
    # THEN the record is the company with no users, and the copy wrote nothing
    assert record is not None and record.company == company and record.user_count == 0
    assert len(services.table) == 2  # the company and its email claim
    assert CompanyRepository(services.table).get("unknown") is None
    with pytest.raises(NotFound):
        services.companies.get("unknown")


def test_disabling_an_unknown_company_is_a_404_and_writes_nothing(services: Services) -> None:
    with pytest.raises(NotFound):
        services.auth.accounts.set_company_active(new_id(), False)
    assert len(services.table) == 0


# --- users --------------------------------------------------------------------------------------------------
def test_the_first_user_becomes_admin_and_later_ones_need_an_admin(services: Services) -> None:
    # GIVEN a company and its first user (an admin)
    company = new_company(services)
    admin = admin_of(services, company.id)
    # WHEN someone without credentials registers another user, then the admin does
    with pytest.raises(Forbidden):
        services.auth.register_user(user_body(company.id, "bob@acme.example", "bob"), None)
    added = services.auth.register_user(user_body(company.id, "bob@acme.example", "bob"), admin)
    # THEN the second user is a plain user and the company counts two
    assert added["user"]["role"] == "user"
    assert services.companies.record(company.id).user_count == 2
    assert services.companies.get_item(company.id)["user_count"] == 2  # what analytics read, without keys
    assert "PK" not in services.companies.get_item(company.id)


def test_a_taken_email_is_a_conflict_and_counts_no_user(services: Services) -> None:
    # GIVEN a company with its admin, and a second company
    company, other = new_company(services), new_company(services, "globex")
    admin_of(services, company.id)
    # WHEN the second company's first user takes the same email (any case)
    with pytest.raises(Conflict, match="email already exists"):
        services.auth.register_user({**user_body(other.id), "email": "ADA@acme.example"}, None)
    # THEN nothing was written for it
    assert services.companies.record(other.id).user_count == 0


def test_a_stale_user_count_fails_the_transaction_at_the_company(services: Services) -> None:
    # GIVEN a company that gained a user after its count was read (seen: 0)
    company = new_company(services)
    admin_of(services, company.id)
    stamp, names = iso(), {"first_name": "C", "last_name": "D"}
    user = User(
        id=new_id(),
        created_at=stamp,
        updated_at=stamp,
        company_id=company.id,
        email="c@x.example",
        username="c",
        **names,
    )
    uow = UnitOfWork(services.table)
    UserRepository(services.table).add(uow, user, "hash")
    CompanyRepository(services.table).count_user(uow, company.id, 0)
    # WHEN it commits THEN only the count's condition fails, and the user is not written
    with pytest.raises(TransactionConflict) as caught:
        uow.commit()
    assert caught.value.reasons == ["None", "None", "ConditionalCheckFailed"]
    assert UserRepository(services.table).get(company.id, user.id) is None


def test_login_refresh_and_me_read_the_user_and_its_company(services: Services) -> None:
    # GIVEN a user
    company = new_company(services)
    admin_of(services, company.id)
    # WHEN they sign in with the right password, then refresh, then ask who they are
    session = services.auth.login({"email": "Ada@acme.example", "password": PASSWORD})
    refreshed = services.auth.refresh(f"Bearer {session['refresh_token']}")
    principal = services.auth.authenticate(bearer(refreshed["access_token"]))
    # THEN each answers with the user and the company
    assert session["user"]["email"] == "ada@acme.example" and session["company"]["id"] == company.id
    assert principal is not None and principal.role == "admin"
    assert services.auth.me(principal)["user"]["id"] == principal.subject_id
    assert services.auth.validate(principal)["user"]["name"] == "Ada Lovelace"
    # AND a wrong password and an unknown email are both 401
    with pytest.raises(Unauthorized):
        services.auth.login({"email": "ada@acme.example", "password": "wrong password"})
    with pytest.raises(Unauthorized):
        services.auth.login({"email": "nobody@acme.example", "password": PASSWORD})


# --- sealed sessions ----------------------------------------------------------------------------------------
def test_logout_password_change_and_disabling_each_end_earlier_tokens(services: Services) -> None:
    company = new_company(services)
    admin_of(services, company.id)

    def fresh_token() -> str:
        return str(services.auth.login({"email": "ada@acme.example", "password": PASSWORD})["access_token"])

    # GIVEN a token; WHEN its user logs out THEN it stops working
    token = fresh_token()
    principal = services.auth.authenticate(bearer(token))
    assert principal is not None
    services.auth.accounts.logout(principal)
    with pytest.raises(Unauthorized):
        services.auth.authenticate(bearer(token))
    # GIVEN a new token; WHEN the password changes THEN it stops working and the new password signs in
    token = fresh_token()
    services.auth.accounts.change_password(principal, PASSWORD, "a brand new passphrase")
    with pytest.raises(Unauthorized):
        services.auth.authenticate(bearer(token))
    assert services.auth.login({"email": "ada@acme.example", "password": "a brand new passphrase"})["user"]
    with pytest.raises(Unauthorized):
        services.auth.accounts.change_password(principal, PASSWORD, "yet another passphrase")
    # AND the stored version went up once per change
    record = UserRepository(services.table).get(company.id, principal.subject_id)
    assert record is not None and record.token_version == 2
    # WHEN the user is disabled THEN it can no longer sign in
    services.auth.accounts.set_user_status(company.id, principal.subject_id, "disabled")
    with pytest.raises(Forbidden):
        services.auth.login({"email": "ada@acme.example", "password": "a brand new passphrase"})


def test_deleting_a_user_frees_its_email_and_uncounts_it(services: Services) -> None:
    # GIVEN a company with one user
    company = new_company(services)
    admin = admin_of(services, company.id)
    # WHEN the user is deleted
    services.auth.accounts.delete_user(company.id, admin.subject_id)
    # THEN the user, its email claim and its count are gone; deleting again is a 404, revoking too
    assert UserRepository(services.table).email_owner("ada@acme.example") is None
    assert services.companies.record(company.id).user_count == 0
    with pytest.raises(NotFound):
        services.auth.accounts.delete_user(company.id, admin.subject_id)
    with pytest.raises(NotFound):
        services.auth.accounts.logout(admin)
    assert UserRepository(services.table).get(company.id, admin.subject_id) is None


def test_a_disabled_company_ends_its_users_sessions(services: Services) -> None:
    company = new_company(services)
    admin_of(services, company.id)
    token = services.auth.login({"email": "ada@acme.example", "password": PASSWORD})["access_token"]
    services.auth.accounts.set_company_active(company.id, False)
    with pytest.raises(Unauthorized):
        services.auth.authenticate(bearer(token))
    assert services.auth.states.get(company.id, None).company_active is False


# --- API keys -----------------------------------------------------------------------------------------------
def test_an_api_key_authenticates_counts_its_uses_lists_and_revokes(services: Services) -> None:
    # GIVEN an admin and a key it made
    company = new_company(services)
    admin = admin_of(services, company.id)
    made = services.auth.create_api_key(admin, {"name": "ci", "scopes": ["read"]})
    headers = {"x-api-key": made["api_key"], "x-api-secret": made["api_secret"]}
    # WHEN the key is used twice (each request authenticated, then counted)
    first = services.auth.authenticate(headers)
    services.auth.count_use(first)
    services.auth.count_use(services.auth.authenticate(headers))
    # THEN it names its company with its scopes and default limits, and counts its uses
    key_id = made["details"]["id"]
    assert first == Principal("api_key", company.id, key_id, frozenset({"read"}), "api_key", rate_limits=(1000, 10000))
    listed = services.auth.list_api_keys(admin)
    assert [key["usage_count"] for key in listed["api_keys"]] == [2]
    assert listed["pagination"]["total"] == 1
    assert services.auth.me(first)["api_key"]["name"] == "ci"
    # AND a wrong secret is a 401
    with pytest.raises(Unauthorized):
        services.auth.authenticate({**headers, "x-api-secret": "nope"})
    # WHEN it is revoked THEN it stops working, and revoking again is a 404
    services.auth.revoke_api_key(admin, made["details"]["id"])
    with pytest.raises(Unauthorized, match="revoked"):
        services.auth.authenticate(headers)
    with pytest.raises(NotFound):
        services.auth.revoke_api_key(admin, made["details"]["id"])


def test_api_key_pages_follow_the_cursor(services: Services) -> None:
    company = new_company(services)
    admin = admin_of(services, company.id)
    made = [services.auth.create_api_key(admin, {"name": f"k{i}"})["details"]["id"] for i in range(5)]
    first = services.auth.list_api_keys(admin, {"per_page": "2"})
    second = services.auth.list_api_keys(admin, {"per_page": "2", "cursor": first["pagination"]["next_cursor"]})
    ids = [k["id"] for k in first["api_keys"] + second["api_keys"]]
    assert ids == sorted(made)[:4] and first["pagination"]["total"] == 5


# --- rate windows -------------------------------------------------------------------------------------------
def test_a_full_window_counts_nothing_and_is_reported(table: MemoryTable) -> None:
    # GIVEN a counter of 2 hits a minute and another of 10
    counters = DynamoCounters(table)
    tight, loose = Counter("register:ip:abc", 2, 60), Counter("register:email:def", 10, 60)
    start = 1_800_000_000.0 // 60 * 60
    # WHEN three hits come in one window
    results = [counters.hit([tight, loose], start + second) for second in (1, 2, 3)]
    # THEN the third is refused by the tight counter and neither counted it
    assert results == [None, None, tight]
    assert table.get(keys.rate_pk(tight.key), keys.rate_window_sk(int(start)))["hits"] == 2  # type: ignore[index]
    window = table.get(keys.rate_pk(loose.key), keys.rate_window_sk(int(start)))
    assert window is not None and window["hits"] == 2 and window["expires_at_epoch"] == start + 120
    # AND the next window starts again
    assert counters.hit([tight], start + 61) is None
    assert counters.hit([], start) is None


# --- the widget's agent read --------------------------------------------------------------------------------
def test_the_widget_reads_a_live_agent_and_404s_a_deleted_one(table: MemoryTable) -> None:
    # GIVEN a live agent and a deleted one, stored as the agents' repository stores them
    live, gone = new_id(), new_id()
    for agent_id, deleted in ((live, None), (gone, iso())):
        item = {"PK": keys.company_pk("c"), "SK": f"AGENT#{agent_id}", "GSI1PK": f"AGENT#{agent_id}"}
        item |= {"GSI1SK": "AGENT", "id": agent_id, "company_id": "c", "name": "Helper", "deleted_at": deleted}
        table.write([Put(item)])
    widget = WidgetPublic(table)
    # WHEN the widget asks for each THEN the live one is served and the deleted one is a 404
    assert widget.config(live, {})["agent"]["name"] == "Helper"
    with pytest.raises(NotFound):
        widget.config(gone, {})
    with pytest.raises(NotFound):
        widget.config("not-a-uuid", {})
