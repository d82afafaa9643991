from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from birge_api.auth import service, tokens
from birge_api.auth.throttle import LoginThrottleDep
from birge_api.deps import SessionDep, SettingsDep
from birge_api.problems import Problem, problem_response

router = APIRouter(prefix="/v1/auth", tags=["auth"])

_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "Wrong e-mail or password, or a disabled account"},
    429: {
        "description": "Five failed logins in a minute for this account or from this client",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
}


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


@router.post("/token", response_model=TokenRead, responses=_RESPONSES)
def issue_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    throttle: LoginThrottleDep,
) -> TokenRead | JSONResponse:
    user = service.log_in(
        session=session,
        throttle=throttle,
        email=form.username,
        password=form.password,
        client=request.client.host if request.client else "unknown",
    )
    if user is None:
        problem = Problem(
            status=401,
            type_="invalid-credentials",
            title="Wrong e-mail or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
        # Returned, not raised: raising rolls the transaction back, and with it the audit
        # entry that records the failed login.
        return problem_response(problem, request)
    return TokenRead(
        access_token=tokens.issue(settings=settings, user_id=user.id),
        expires_in=settings.access_token_minutes * 60,
    )
