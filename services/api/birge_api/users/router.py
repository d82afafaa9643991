"""Staff accounts under /v1/users: administrators only, but for `/me`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from birge_api.deps import Admin, CurrentUser, SessionDep
from birge_api.pagination import CursorQuery, LimitQuery, Page, encode_cursor
from birge_api.users import service
from birge_api.users.schemas import UserCreate, UserRead, UserUpdate, user_read
from birge_shared.models import Role

router = APIRouter(prefix="/v1/users", tags=["users"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "Only administrators manage accounts"},
    404: {"description": "No such account"},
    409: {"description": "The e-mail is taken, or the last administrator would be lost"},
    422: {"description": "Invalid input; `errors` names the fields"},
}


@router.get("/me", responses={401: _PROBLEMS[401]})
def who_am_i(user: CurrentUser) -> UserRead:
    """The signed-in account: any role may ask (declared before `/{user_id}`)."""
    return user_read(user)


@router.get("", responses=_PROBLEMS)
def list_users(
    session: SessionDep,
    actor: Admin,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    role: Role | None = None,
) -> Page[UserRead]:
    users, more = service.list_users(session=session, limit=limit, cursor=cursor, role=role)
    next_cursor = encode_cursor(users[-1].created_at, users[-1].id) if more else None
    return Page(items=[user_read(user) for user in users], next_cursor=next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED, responses=_PROBLEMS)
def create_user(
    body: UserCreate, session: SessionDep, actor: Admin, response: Response
) -> UserRead:
    user = service.create_user(session=session, actor=actor, data=body)
    response.headers["Location"] = f"{router.prefix}/{user.id}"
    return user_read(user)


@router.get("/{user_id}", responses=_PROBLEMS)
def get_user(user_id: uuid.UUID, session: SessionDep, actor: Admin) -> UserRead:
    return user_read(service.get_user(session=session, user_id=user_id))


@router.patch("/{user_id}", responses=_PROBLEMS)
def update_user(
    user_id: uuid.UUID, body: UserUpdate, session: SessionDep, actor: Admin
) -> UserRead:
    return user_read(service.update_user(session=session, actor=actor, user_id=user_id, data=body))
