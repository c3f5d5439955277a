"""Users: an admin adds one (``/auth/user``), lists and reads them (``/admin/user``), a user's own profile."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from knowrithm_core.models.bodies.users import ProfileUpdate, UserAdd
from knowrithm_core.models.responses.users import ProfileEnvelope, UserAdded, UserEnvelope, UserList
from rest_api.contract import ERRORS, body_doc, body_of, query_doc
from rest_api.deps import Caller, Query, ServicesDep

router = APIRouter(tags=["users"], responses=ERRORS)
AddBody = Annotated[UserAdd, Depends(body_of(UserAdd))]
ProfileBody = Annotated[ProfileUpdate, Depends(body_of(ProfileUpdate))]


@router.post(
    "/auth/user",
    status_code=201,
    response_model=UserAdded,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(UserAdd),
)
def add_user(caller: Caller, body: AddBody, svc: ServicesDep) -> dict[str, Any]:
    """A new user of the caller's company (admins)."""
    return svc.users.add(caller, body)


@router.get("/user/profile", response_model=ProfileEnvelope, response_model_exclude_unset=True)
def get_profile(caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    return svc.users.profile(caller)


@router.put(
    "/user/profile",
    response_model=ProfileEnvelope,
    response_model_exclude_unset=True,
    openapi_extra=body_doc(ProfileUpdate),
)
def update_profile(caller: Caller, body: ProfileBody, svc: ServicesDep) -> dict[str, Any]:
    """Change only the fields sent."""
    return svc.users.update_profile(caller, body)


@router.get("/user/{user_id}", response_model=UserEnvelope, response_model_exclude_unset=True)
def get_user(user_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """A user of the caller's company (admins; any user may read themself)."""
    return svc.users.get(caller, user_id)


@router.get(
    "/admin/user",
    response_model=UserList,
    response_model_exclude_unset=True,
    openapi_extra=query_doc("page", "per_page", "cursor", "status", "role", "search"),
)
def admin_list_users(caller: Caller, query: Query, svc: ServicesDep) -> dict[str, Any]:
    """The company's users, oldest first (admins)."""
    return svc.users.list(caller, query)


@router.get("/admin/user/{user_id}", response_model=UserEnvelope, response_model_exclude_unset=True)
def admin_get_user(user_id: str, caller: Caller, svc: ServicesDep) -> dict[str, Any]:
    """A user of the caller's company (admins)."""
    caller.require("admin")
    return svc.users.get(caller, user_id)
