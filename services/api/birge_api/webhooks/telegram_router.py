"""The Telegram bot's webhook, verified by the secret Telegram echoes in a header."""

from __future__ import annotations

import hmac
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from birge_api.deps import SessionDep, SettingsDep
from birge_api.problems import Problem
from birge_api.webhooks import telegram_service

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

_RESPONSES: dict[int | str, dict[str, str]] = {
    401: {"description": "No X-Telegram-Bot-Api-Secret-Token header"},
    403: {"description": "A wrong secret token, or the bot is not configured"},
    422: {"description": "The body is not a Telegram update"},
}


async def verified_update(
    request: Request,
    settings: SettingsDep,
    x_telegram_bot_api_secret_token: Annotated[str | None, Header()] = None,
) -> object:
    """The JSON body of a request that carries the webhook's secret; a problem otherwise.

    Read in an async dependency so the endpoint itself runs in the thread pool (see the
    Twilio webhooks). The comparison takes the same time wherever the strings differ.
    """
    secret = settings.telegram_webhook_secret
    if x_telegram_bot_api_secret_token is None:
        raise Problem(status=401, type_="bad-signature", title="The update carries no secret token")
    if secret is None or not hmac.compare_digest(
        x_telegram_bot_api_secret_token.encode(), secret.get_secret_value().encode()
    ):
        raise Problem(
            status=403, type_="bad-signature", title="The update is not from the Telegram bot"
        )
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _unreadable() from None


def _unreadable() -> Problem:
    return Problem(status=422, type_="validation-error", title="The body is not a Telegram update")


VerifiedUpdate = Annotated[object, Depends(verified_update)]


@router.post("/telegram", responses=_RESPONSES)
def telegram_update(body: VerifiedUpdate, session: SessionDep, settings: SettingsDep) -> Response:
    try:
        update = telegram_service.parse(body)
    except telegram_service.UnreadableUpdateError:
        raise _unreadable() from None
    reply = telegram_service.handle(session=session, settings=settings, update=update)
    # Telegram performs a method given in the response body (the reply to the chat).
    return JSONResponse(reply) if reply is not None else Response(status_code=200)
