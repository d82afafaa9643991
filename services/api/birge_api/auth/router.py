from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from birge_api.auth import service, tokens
from birge_api.deps import SessionDep, SettingsDep
from birge_api.problems import Problem

router = APIRouter(prefix="/v1/auth", tags=["auth"])


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


@router.post("/token", response_model=TokenRead)
def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenRead:
    user = service.authenticate(session=session, email=form.username, password=form.password)
    if user is None:
        raise Problem(
            status=401,
            type_="invalid-credentials",
            title="Wrong e-mail or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return TokenRead(
        access_token=tokens.issue(settings=settings, user_id=user.id),
        expires_in=settings.access_token_minutes * 60,
    )
