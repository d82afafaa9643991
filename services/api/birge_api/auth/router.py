from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from birge_api.auth import service, tokens
from birge_api.auth.throttle import LoginThrottleDep, Throttled
from birge_api.deps import CurrentUser, SessionDep, SettingsDep
from birge_api.problems import Problem, problem_response
from birge_api.users.schemas import PasswordChange

router = APIRouter(prefix="/v1/auth", tags=["auth"])

_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "Wrong e-mail or password, or a disabled account"},
    429: {
        "description": "Too many failed logins for this account from this client, from this "
        "client, or for this account from clients it has not signed in from",
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


def _client(request: Request) -> str:
    # The address after TRUSTED_PROXIES were applied (birge_api.proxies).
    return request.client.host if request.client else "unknown"


def _throttled(throttled: Throttled, request: Request) -> JSONResponse:
    # Returned, not raised: raising rolls the transaction back, and with it the audit entry.
    return problem_response(service.too_many_attempts(throttled.retry_after), request)


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
        client=_client(request),
    )
    if isinstance(user, Throttled):
        return _throttled(user, request)
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
        access_token=tokens.issue(settings=settings, user=user),
        expires_in=settings.access_token_minutes * 60,
    )


_PASSWORD_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "No or invalid token"},
    403: {"description": "The current password is wrong"},
    422: {"description": "The new password is too short or too easy to guess"},
    429: _RESPONSES[429],
}


@router.post("/password", response_model=TokenRead, responses=_PASSWORD_RESPONSES)
def change_password(
    request: Request,
    body: PasswordChange,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    throttle: LoginThrottleDep,
) -> TokenRead | JSONResponse:
    """Change the signed-in user's password. Every token issued before stops working; the
    answer carries a new one, so this client stays signed in."""
    outcome = service.change_password(
        session=session,
        throttle=throttle,
        user=user,
        current_password=body.current_password.get_secret_value(),
        new_password=body.new_password.get_secret_value(),
        client=_client(request),
    )
    if isinstance(outcome, Throttled):
        return _throttled(outcome, request)
    if isinstance(outcome, Problem):
        return problem_response(outcome, request)
    return TokenRead(
        access_token=tokens.issue(settings=settings, user=outcome),
        expires_in=settings.access_token_minutes * 60,
    )
