"""Channel harnesses: what the exactly-once drills need to know about one channel.

The drills (this folder, and tests/integration/sending/test_worker_kill.py) are written once
and run once per harness in `HARNESSES`, through the `harness` and `delivery` fixtures. A
channel joins every drill with one class, decorated with `@registered`. A harness provides:

- `name`: the pytest id (`sms`, `email`, …);
- `channel`: the `MessageChannel` whose messages the drill counts;
- `send_task`: the outbox payload type that sends a chunk of them (`SmsSend`, `EmailSend`);
- `delivered`: the status a message has once its provider took it (`queued` for Twilio, which
  reports delivery later; `sent` for SMTP, which never does);
- `person(rows)`: a maker of committed people reachable on the channel
  (`rows.participant`-shaped: takes `language=`, returns the `Participant`), which records
  their address in `rows`;
- `address(rows, participant_id)`: that person's address, as the provider counts it;
- `start(stack, messages_api)`: start the channel's provider or its fake for the test (torn
  down by `stack`) and return a `Delivery` pointed at it. `messages_api` is the drill's fake
  Twilio Messages API, always running: every person registers with a number, so an SMS is
  planned beside the channel's own message, and the workers send it too;
- the outcomes each drill demands of the channel:
  - `send_timeout`: seconds after which a hung provider call gives up, as workers build it;
  - `hang_send`, `hang_sweep`: what the provider-hang drill's two hung sends end as
    (`Outcome` counts) and what the sweep then settles (`Settled` counts);
  - `doubt_at_kill`: how many messages a worker killed mid-chunk may leave truly in doubt
    (handed over, the provider's answer never read, and no record at the provider the sweeper
    could ask). The drill allows at most that many addresses to receive nothing, each settled
    as sent and never sent again; every other address receives exactly one;
- `inbound(request, rows)`: what the channel's provider sends back, for the drill that drops
  the database connection while it is stored (an `Inbound`): Twilio's status webhook for SMS,
  a calendar answer in the reply mailbox (IMAP, Dovecot) for e-mail. `request` gives the
  fixtures it needs (`request.getfixturevalue`).

An `Inbound` provides `stored_by` (what the SQL statement that stores it contains; the drill
cuts the connection just before it, or before its commit), `deliver()` (hand it over once, as
the provider does; True when the provider will hand it over again: a 5xx, a reply left
unread) and `stored()` (what was stored of it, as counts of rows by kind: each must be 1 once
it was stored, and there must be none after the cut).

A `Delivery` (the running provider) provides `deliveries()` (a `Counter` of deliveries per
address) and `total()` (their sum), `hold_after(n)`/`release_held()` (hold every send past
the n-th unanswered, then refuse it), `hang(seconds, lose=address)` (answer every send only
after `seconds`, and let the send to `lose` never arrive; `lost()` counts those that did not),
`worker_env()` (the settings a worker process needs to reach it), `channel()` (the worker's
channel object for it, with the timeouts workers use) and `sweep_channels()` (every channel
the drill's people get messages on, for the sweeper).

WhatsApp (Twilio with `whatsapp:` addresses) is a Delivery over the same fake Messages API as
`SmsDelivery`, counting the `whatsapp:` addresses, with the WhatsApp channel as `channel()`;
its people carry their explicit WhatsApp opt-in, and the approved templates are in the
database while it runs. Telegram's harness starts tests/fakes/fake_bot_api.py and counts sends
per chat; its people have pressed Start (a linked chat).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from birge_api.app import create_app
from birge_shared import channels
from birge_shared.calendar import event_uid
from birge_shared.db import get_engine, session_scope
from birge_shared.models import (
    CalendarReply,
    Event,
    Invitation,
    InvitationStatus,
    Message,
    MessageChannel,
    MessageStatus,
    OutboxEntry,
    Participant,
    ParticipantChannel,
    ProviderCallback,
    TelegramUpdate,
    utcnow,
)
from birge_shared.models import Channel as ChannelName
from birge_shared.settings import get_settings
from birge_shared.tasks import CallbackReceived, EmailSend, SmsSend, TelegramSend, WhatsAppSend
from birge_shared.whatsapp_templates import approved_templates
from birge_workers.calendar_replies import calendar_read_replies
from birge_workers.mail.channel import EmailChannel
from birge_workers.mail.transport import SMTP_TIMEOUT, SmtpTransport, parse_smtp_url
from birge_workers.outbound.channel import Channel
from birge_workers.outbound.lifecycle import Outcome
from birge_workers.outbound.sweeper import Settled
from birge_workers.sms.channel import SmsChannel
from birge_workers.sms.twilio_http import DEFAULT_TIMEOUT
from birge_workers.sms.twilio_provider import TwilioMessages, TwilioProvider
from birge_workers.telegram.channel import CONCURRENCY, TelegramChannel
from birge_workers.telegram.provider import TIMEOUT, TelegramProvider
from birge_workers.whatsapp.channel import Templates, WhatsAppChannel
from birge_workers.whatsapp.provider import TwilioWhatsApp
from tests.factories import make_invitation
from tests.fakes.fake_bot_api import BOT_USERNAME, FakeBotApi, running_fake_bot_api
from tests.fakes.fake_messages_api import FakeMessagesApi
from tests.integration.calendar.conftest import REPLY_ADDRESS, Mailbox, start_controller
from tests.integration.calendar.dovecot import ImapServer, reply_mailbox
from tests.integration.calendar.replies import outlook_reply
from tests.integration.sending.conftest import FROM_NUMBER, Rows, SendTask, twilio_for
from tests.integration.sending.whatsapp import WHATSAPP_FROM, approved_invitation_templates, opt_in
from tests.integration.telegram.conftest import SECRET, TOKEN, WEBHOOK, new_chat_id, text_update
from tests.integration.test_webhooks import STATUS_URL, sign, status_params

#: The longest a held send waits for `release_held()`.
HOLD_SECONDS = 120.0

PersonMaker = Callable[..., Participant]


class DrillMessagesApi(FakeMessagesApi):
    """The fake Messages API, where a create for a number in `lose` never reaches Twilio's
    records: after the hang it fails instead of creating the message (once per number)."""

    def __init__(self) -> None:
        super().__init__()
        self.lose: set[str] = set()
        self.lost = 0

    def respond(
        self, path: str, authorization: str | None, form: dict[str, str]
    ) -> tuple[int, dict[str, object]]:
        to = form.get("To")
        if to in self.lose:
            self.lose.discard(to)
            self.lost += 1
            return 503, {"code": 20503, "message": "Service unavailable", "status": 503}
        return super().respond(path, authorization, form)


@pytest.fixture
def messages_api() -> Iterator[DrillMessagesApi]:
    with DrillMessagesApi() as api:
        yield api


@dataclass
class DrillMailbox(Mailbox):
    """The calendar tests' aiosmtpd handler, with a drill's failures.

    - `delay`: the server takes each message at once and answers DATA only after `delay`
      seconds (a slow content filter): the client gives up, the server has the message;
      a recipient in `lose` instead waits at RCPT and is then refused, so it never arrives;
    - `hold_after`: once that many messages arrived, the next DATA waits unanswered until
      `release_held()` and is then refused, so the message is not taken.
    """

    delay: float = 0.0
    lose: set[str] = field(default_factory=set)
    lost: int = 0
    hold_after: int | None = None
    by_address: Counter[str] = field(default_factory=Counter)
    _released: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.lose:
            self.lose.discard(address)
            self.lost += 1
            await asyncio.sleep(self.delay)
            return "451 4.3.0 Service unavailable"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        if self.hold_after is not None and self.total() >= self.hold_after:
            # Set from the test's thread: waited for in one, not on the server's event loop.
            await asyncio.to_thread(self._released.wait, HOLD_SECONDS)
            return "451 4.3.0 Service unavailable"
        answer = await super().handle_DATA(server, session, envelope)
        with self._lock:
            self.by_address.update(envelope.rcpt_tos)
        if self.delay:
            await asyncio.sleep(self.delay)
        return answer

    def total(self) -> int:
        with self._lock:
            return sum(self.by_address.values())

    def release_held(self) -> None:
        self.hold_after = None
        self._released.set()


class Inbound(Protocol):
    """What a channel's provider sends back, stored once whatever the database does."""

    stored_by: ClassVar[str]

    def deliver(self) -> bool: ...

    def stored(self) -> Counter[str]: ...


class Delivery(Protocol):
    """A channel's provider (or its fake), running for one test."""

    def deliveries(self) -> Counter[str]: ...

    def total(self) -> int: ...

    def hold_after(self, count: int) -> None: ...

    def release_held(self) -> None: ...

    def hang(self, seconds: float, *, lose: str) -> None: ...

    def lost(self) -> int: ...

    def worker_env(self) -> dict[str, str]: ...

    def channel(self) -> Channel: ...

    def sweep_channels(self) -> list[Channel]: ...


@dataclass
class SmsDelivery:
    """Twilio's Messages API, faked; WhatsApp's harness shares it (`whatsapp:` addresses)."""

    api: DrillMessagesApi | FakeMessagesApi

    def deliveries(self) -> Counter[str]:
        return Counter(self.api.creates_by_to)

    def total(self) -> int:
        return self.api.total_creates

    def hold_after(self, count: int) -> None:
        self.api.hold_after = count

    def release_held(self) -> None:
        self.api.release_held()

    def hang(self, seconds: float, *, lose: str) -> None:
        assert isinstance(self.api, DrillMessagesApi)
        self.api.delay = seconds
        if lose:
            self.api.lose.add(lose)

    def lost(self) -> int:
        return self.api.lost if isinstance(self.api, DrillMessagesApi) else 0

    def worker_env(self) -> dict[str, str]:
        return {}  # the Twilio settings every drill's worker gets (`worker_env`)

    def channel(self) -> Channel:
        # The provider as workers build it: the SDK with the default timeouts.
        return SmsChannel(
            TwilioProvider(
                account_sid=self.api.account_sid,
                auth_token=self.api.auth_token,
                api_base=self.api.base_url,
                from_number=FROM_NUMBER,
            )
        )

    def sweep_channels(self) -> list[Channel]:
        return [SmsChannel(twilio_for(self.api))]


@dataclass
class EmailDelivery:
    """A real SMTP server (aiosmtpd) on loopback, beside the fake Messages API."""

    mailbox: DrillMailbox
    url: str
    sms: SmsDelivery

    def deliveries(self) -> Counter[str]:
        with self.mailbox._lock:
            return Counter(self.mailbox.by_address)

    def total(self) -> int:
        return self.mailbox.total()

    def hold_after(self, count: int) -> None:
        self.mailbox.hold_after = count

    def release_held(self) -> None:
        self.mailbox.release_held()

    def hang(self, seconds: float, *, lose: str) -> None:
        self.mailbox.delay = seconds
        if lose:
            self.mailbox.lose.add(lose)

    def lost(self) -> int:
        return self.mailbox.lost

    def worker_env(self) -> dict[str, str]:
        return {"SMTP_URL": self.url}

    def channel(self) -> Channel:
        # The transport as workers build it (`transport_from_settings`): SMTP_TIMEOUT.
        return EmailChannel(SmtpTransport(parse_smtp_url(self.url)))

    def sweep_channels(self) -> list[Channel]:
        return [*self.sms.sweep_channels(), self.channel()]


@dataclass
class WhatsAppDelivery:
    """Twilio's Messages API, faked, counting only the creates to `whatsapp:` addresses."""

    sms: SmsDelivery

    def deliveries(self) -> Counter[str]:
        return +Counter(
            {to: n for to, n in self.sms.deliveries().items() if to.startswith("whatsapp:")}
        )

    def total(self) -> int:
        return sum(self.deliveries().values())

    def hold_after(self, count: int) -> None:
        # Nobody here gets an SMS: every create the API counts is a WhatsApp message.
        self.sms.hold_after(count)

    def release_held(self) -> None:
        self.sms.release_held()

    def hang(self, seconds: float, *, lose: str) -> None:
        self.sms.hang(seconds, lose=lose)

    def lost(self) -> int:
        return self.sms.lost()

    def worker_env(self) -> dict[str, str]:
        return {"WHATSAPP_FROM": WHATSAPP_FROM}

    def _channel(self, templates: Templates) -> WhatsAppChannel:
        api = self.sms.api
        messages = TwilioMessages(
            account_sid=api.account_sid, auth_token=api.auth_token, api_base=api.base_url
        )
        return WhatsAppChannel(TwilioWhatsApp(messages, sender=WHATSAPP_FROM), templates=templates)

    def channel(self) -> Channel:
        # As `whatsapp.send` builds it: the SDK's default timeouts, the approved templates now.
        with session_scope() as session:
            return self._channel(approved_templates(session))

    def sweep_channels(self) -> list[Channel]:
        # The sweeper settles by the number's messages at Twilio: no template needed.
        return [*self.sms.sweep_channels(), self._channel({})]


@dataclass
class TelegramDelivery:
    """The fake Bot API on loopback, counting the messages delivered per chat."""

    bot: FakeBotApi
    sms: SmsDelivery

    def deliveries(self) -> Counter[str]:
        with self.bot._lock:
            return Counter(self.bot.sent_by_chat)

    def total(self) -> int:
        return self.bot.total_sent

    def hold_after(self, count: int) -> None:
        self.bot.hold_after = count

    def release_held(self) -> None:
        self.bot.release_held()

    def hang(self, seconds: float, *, lose: str) -> None:
        self.bot.delay = seconds
        if lose:
            self.bot.lose.add(lose)

    def lost(self) -> int:
        return self.bot.lost

    def worker_env(self) -> dict[str, str]:
        return {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_BOT_USERNAME": BOT_USERNAME,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE": self.bot.base_url,
        }

    def channel(self) -> Channel:
        # As `TelegramProvider.from_settings` builds it for workers: TIMEOUT.
        return TelegramChannel(lambda: TelegramProvider(token=TOKEN, api_base=self.bot.base_url))

    def sweep_channels(self) -> list[Channel]:
        return [*self.sms.sweep_channels(), self.channel()]


class ChannelHarness(Protocol):
    name: ClassVar[str]
    channel: ClassVar[MessageChannel]
    send_task: ClassVar[type[SendTask]]
    delivered: ClassVar[MessageStatus]
    send_timeout: ClassVar[float]
    hang_send: ClassVar[Counter[Outcome]]
    hang_sweep: ClassVar[Counter[Settled]]
    doubt_at_kill: ClassVar[int]

    def person(self, rows: Rows) -> PersonMaker: ...

    def address(self, rows: Rows, participant_id: uuid.UUID) -> str: ...

    def start(self, stack: ExitStack, messages_api: FakeMessagesApi) -> Delivery: ...

    def inbound(self, request: pytest.FixtureRequest, rows: Rows) -> Inbound: ...


#: Every channel the drills run for, by name; a harness joins with `@registered`.
HARNESSES: dict[str, ChannelHarness] = {}


_Harness = TypeVar("_Harness", bound=type[ChannelHarness])


def registered(harness: _Harness) -> _Harness:
    HARNESSES[harness.name] = harness()
    return harness


@registered
class SmsHarness:
    name: ClassVar[str] = "sms"
    channel: ClassVar[MessageChannel] = MessageChannel.SMS
    send_task: ClassVar[type[SendTask]] = SmsSend
    delivered: ClassVar[MessageStatus] = MessageStatus.QUEUED
    send_timeout: ClassVar[float] = DEFAULT_TIMEOUT[1]
    # Both hung creates time out in doubt; Twilio, asked, has one of them and not the other.
    hang_send: ClassVar[Counter[Outcome]] = Counter({Outcome.IN_DOUBT: 2})
    hang_sweep: ClassVar[Counter[Settled]] = Counter({Settled.FOUND: 1, Settled.RETRY: 1})
    # Every message in flight at the kill is found at Twilio or planned again.
    doubt_at_kill: ClassVar[int] = 0

    def person(self, rows: Rows) -> PersonMaker:
        return rows.participant

    def address(self, rows: Rows, participant_id: uuid.UUID) -> str:
        return rows.phones[participant_id]

    def start(self, stack: ExitStack, messages_api: FakeMessagesApi) -> Delivery:
        return SmsDelivery(messages_api)

    def inbound(self, request: pytest.FixtureRequest, rows: Rows) -> Inbound:
        return twilio_status_inbound(request, rows)


@registered
class EmailHarness:
    name: ClassVar[str] = "email"
    channel: ClassVar[MessageChannel] = MessageChannel.EMAIL
    send_task: ClassVar[type[SendTask]] = EmailSend
    delivered: ClassVar[MessageStatus] = MessageStatus.SENT
    send_timeout: ClassVar[float] = SMTP_TIMEOUT
    # The one hung at DATA may be at the server (it is: the server took it and answered late):
    # in doubt, settled as sent by its hand-over record. The one hung at RCPT surely was not
    # handed over: retried with the backoff, and sent once.
    hang_send: ClassVar[Counter[Outcome]] = Counter({Outcome.IN_DOUBT: 1, Outcome.RETRY: 1})
    hang_sweep: ClassVar[Counter[Settled]] = Counter({Settled.FOUND: 1})
    # One SMTP conversation per chunk: at most the one message at DATA when the worker died,
    # which counts as sent by its hand-over record and may never have been taken.
    doubt_at_kill: ClassVar[int] = 1

    def person(self, rows: Rows) -> PersonMaker:
        def make(**options: Any) -> Participant:
            return rows.participant(email=f"p-{uuid.uuid4().hex[:12]}@example.org", **options)

        return make

    def address(self, rows: Rows, participant_id: uuid.UUID) -> str:
        return rows.emails[participant_id]

    def start(self, stack: ExitStack, messages_api: FakeMessagesApi) -> Delivery:
        mailbox = DrillMailbox()
        controller, port = start_controller(mailbox)
        stack.callback(controller.stop)
        return EmailDelivery(
            mailbox=mailbox, url=f"smtp://127.0.0.1:{port}", sms=SmsDelivery(messages_api)
        )

    def inbound(self, request: pytest.FixtureRequest, rows: Rows) -> Inbound:
        server = reply_mailbox(
            request.getfixturevalue("dovecot"),
            request.getfixturevalue("monkeypatch"),
            address=REPLY_ADDRESS,
        )
        event = rows.event()
        address = f"p-{uuid.uuid4().hex[:12]}@example.org"
        person = rows.participant(email=address)
        invitation = make_invitation(
            rows.session, event=event, participant=person, status=InvitationStatus.SENT
        )
        rows.session.commit()
        # Outlook's "Accept", as the participant's calendar mails it to the reply mailbox.
        server.append(
            outlook_reply(
                uid=event_uid(event),
                attendee=address,
                partstat="ACCEPTED",
                starts_at=event.starts_at,
                stamped_at=utcnow().replace(microsecond=0),
                sequence=event.sequence,
            )
        )
        return ReplyMailboxInbound(server=server, engine=rows.engine, invitation_id=invitation.id)


@registered
class WhatsAppHarness:
    name: ClassVar[str] = "whatsapp"
    channel: ClassVar[MessageChannel] = MessageChannel.WHATSAPP
    send_task: ClassVar[type[SendTask]] = WhatsAppSend
    delivered: ClassVar[MessageStatus] = MessageStatus.QUEUED
    send_timeout: ClassVar[float] = DEFAULT_TIMEOUT[1]
    # Twilio, as for SMS: both hung creates in doubt, and asked, it has one and not the other.
    hang_send: ClassVar[Counter[Outcome]] = Counter({Outcome.IN_DOUBT: 2})
    hang_sweep: ClassVar[Counter[Settled]] = Counter({Settled.FOUND: 1, Settled.RETRY: 1})
    # Every message in flight at the kill is found at Twilio or planned again.
    doubt_at_kill: ClassVar[int] = 0

    def person(self, rows: Rows) -> PersonMaker:
        def make(**options: Any) -> Participant:
            participant = rows.participant(**options)
            opt_in(rows.session, participant.id)
            return participant

        return make

    def address(self, rows: Rows, participant_id: uuid.UUID) -> str:
        return f"whatsapp:{rows.phones[participant_id]}"

    def start(self, stack: ExitStack, messages_api: FakeMessagesApi) -> Delivery:
        # The invitation's template approved (the drills' people are outside the 24-hour window).
        stack.enter_context(approved_invitation_templates(get_engine()))
        delivery = WhatsAppDelivery(SmsDelivery(messages_api))
        # WhatsApp is on where Twilio is configured and a WhatsApp sender named.
        twilio = {
            "TWILIO_ACCOUNT_SID": messages_api.account_sid,
            "TWILIO_AUTH_TOKEN": messages_api.auth_token,
            "TWILIO_API_BASE": messages_api.base_url,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
        }
        settings_from(stack, {**twilio, **delivery.worker_env()})
        return delivery

    def inbound(self, request: pytest.FixtureRequest, rows: Rows) -> Inbound:
        # WhatsApp's delivery reports come to Twilio's status webhook, as SMS's do.
        return twilio_status_inbound(request, rows)


@registered
class TelegramHarness:
    name: ClassVar[str] = "telegram"
    channel: ClassVar[MessageChannel] = MessageChannel.TELEGRAM
    send_task: ClassVar[type[SendTask]] = TelegramSend
    delivered: ClassVar[MessageStatus] = MessageStatus.SENT
    send_timeout: ClassVar[float] = TIMEOUT
    # The hand-over mark is committed before every sendMessage, and the Bot API cannot be
    # asked: both hung sends are in doubt and both count as sent by their mark. The one whose
    # request never reached Telegram is lost, never sent twice (at most once).
    hang_send: ClassVar[Counter[Outcome]] = Counter({Outcome.IN_DOUBT: 2})
    hang_sweep: ClassVar[Counter[Settled]] = Counter({Settled.FOUND: 2})
    # At most one marked, unanswered sendMessage per sending thread when the worker died.
    doubt_at_kill: ClassVar[int] = CONCURRENCY

    def __init__(self) -> None:
        self.chats: dict[uuid.UUID, str] = {}

    def person(self, rows: Rows) -> PersonMaker:
        def make(**options: Any) -> Participant:
            participant = rows.participant(**options)
            chat_id = str(new_chat_id())
            channels.link_telegram(session=rows.session, participant=participant, chat_id=chat_id)
            rows.session.commit()
            self.chats[participant.id] = chat_id
            return participant

        return make

    def address(self, rows: Rows, participant_id: uuid.UUID) -> str:
        return self.chats[participant_id]

    def start(self, stack: ExitStack, messages_api: FakeMessagesApi) -> Delivery:
        bot = stack.enter_context(running_fake_bot_api(TOKEN))
        delivery = TelegramDelivery(bot=bot, sms=SmsDelivery(messages_api))
        settings_from(stack, delivery.worker_env())
        return delivery

    def inbound(self, request: pytest.FixtureRequest, rows: Rows) -> Inbound:
        request.getfixturevalue("database_url")
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_BOT_USERNAME", BOT_USERNAME)
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
        get_settings.cache_clear()
        request.addfinalizer(get_settings.cache_clear)
        participant = self.person(rows)()
        client = TestClient(create_app(), raise_server_exceptions=False)
        client.__enter__()
        found = TelegramStopInbound(
            client=client,
            engine=rows.engine,
            chat_id=int(self.chats[participant.id]),
            participant_id=participant.id,
        )
        request.addfinalizer(found.cleanup)
        request.addfinalizer(lambda: client.__exit__(None, None, None))
        return found


def settings_from(stack: ExitStack, env: dict[str, str]) -> None:
    """The test process's settings with the workers' `env`: planning and the still-wanted
    rules refuse a channel the deployment has not switched on."""
    monkeypatch = stack.enter_context(pytest.MonkeyPatch.context())
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    stack.callback(get_settings.cache_clear)


def twilio_status_inbound(request: pytest.FixtureRequest, rows: Rows) -> Inbound:
    request.getfixturevalue("database_url")
    client = TestClient(create_app(), raise_server_exceptions=False)
    client.__enter__()
    found = TwilioStatusInbound(client=client, engine=rows.engine)
    request.addfinalizer(found.cleanup)
    request.addfinalizer(lambda: client.__exit__(None, None, None))
    return found


@dataclass
class TelegramStopInbound:
    """A linked person's /stop on the bot's webhook: the update and the switched-off chat."""

    client: TestClient
    engine: Engine
    chat_id: int
    participant_id: uuid.UUID
    update: dict[str, Any] = field(init=False)
    stored_by: ClassVar[str] = "INSERT INTO TELEGRAM_UPDATE"

    def __post_init__(self) -> None:
        # One update, handed over again with the same id, as Telegram repeats it.
        self.update = text_update(self.chat_id, "/stop")

    def deliver(self) -> bool:
        answer = self.client.post(
            WEBHOOK, json=self.update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        if answer.status_code >= 500:
            return True  # Telegram delivers it again
        assert answer.status_code == 200, answer.text
        return False

    def stored(self) -> Counter[str]:
        with Session(self.engine) as session:
            updates = session.scalar(
                select(func.count()).where(TelegramUpdate.update_id == self.update["update_id"])
            )
            stopped = session.scalar(
                select(func.count()).where(
                    ParticipantChannel.participant_id == self.participant_id,
                    ParticipantChannel.channel == ChannelName.TELEGRAM,
                    ParticipantChannel.opted_out_at.is_not(None),
                )
            )
        return +Counter({"telegram_update": updates or 0, "stopped": stopped or 0})

    def cleanup(self) -> None:
        with Session(self.engine) as session:
            session.execute(
                delete(TelegramUpdate).where(TelegramUpdate.update_id == self.update["update_id"])
            )
            session.commit()


@dataclass
class TwilioStatusInbound:
    """A delivery report on Twilio's status webhook, signed as Twilio signs it."""

    client: TestClient
    engine: Engine
    sid: str = field(default_factory=lambda: "SM" + uuid.uuid4().hex)
    stored_by: ClassVar[str] = "INSERT INTO PROVIDER_CALLBACK"

    def deliver(self) -> bool:
        params = status_params(sid=self.sid, status="delivered")
        answer = self.client.post(
            STATUS_URL, data=params, headers={"X-Twilio-Signature": sign(STATUS_URL, params)}
        )
        if answer.status_code >= 500:
            return True  # Twilio delivers it again
        assert answer.status_code == 204, answer.text
        return False

    def _rows(self) -> tuple[list[int], list[int]]:
        with Session(self.engine) as session:
            callbacks = list(
                session.scalars(
                    select(ProviderCallback.id).where(ProviderCallback.message_sid == self.sid)
                )
            )
            outbox = [
                entry.id
                for entry in session.scalars(
                    select(OutboxEntry).where(OutboxEntry.task_name == CallbackReceived.task_name)
                )
                if str(entry.payload.get("callback_id")) in {str(c) for c in callbacks}
            ]
        return callbacks, outbox

    def stored(self) -> Counter[str]:
        callbacks, outbox = self._rows()
        return +Counter({"provider_callback": len(callbacks), "outbox": len(outbox)})

    def cleanup(self) -> None:
        callbacks, outbox = self._rows()
        with Session(self.engine) as session:
            session.execute(delete(OutboxEntry).where(OutboxEntry.id.in_(outbox)))
            session.execute(delete(ProviderCallback).where(ProviderCallback.id.in_(callbacks)))
            session.commit()


@dataclass
class ReplyMailboxInbound:
    """A calendar answer in the reply mailbox, read by `calendar.read_replies` as beat runs it."""

    server: ImapServer
    engine: Engine
    invitation_id: uuid.UUID
    stored_by: ClassVar[str] = "INSERT INTO CALENDAR_REPLY"

    def deliver(self) -> bool:
        counts = calendar_read_replies()
        assert counts is not None
        # A reply the run could not store stays unread, and the next run reads it again.
        return self.server.flags() == [()]

    def stored(self) -> Counter[str]:
        with Session(self.engine) as session:
            replies = session.scalar(
                select(func.count())
                .select_from(CalendarReply)
                .where(CalendarReply.invitation_id == self.invitation_id)
            )
            accepted = session.scalar(
                select(func.count()).where(
                    Invitation.id == self.invitation_id,
                    Invitation.status == InvitationStatus.ACCEPTED,
                )
            )
        return +Counter({"calendar_reply": replies or 0, "accepted": accepted or 0})


@pytest.fixture(params=list(HARNESSES.values()), ids=list(HARNESSES))
def harness(request: pytest.FixtureRequest) -> ChannelHarness:
    chosen: ChannelHarness = request.param
    return chosen


@pytest.fixture
def delivery(harness: ChannelHarness, messages_api: FakeMessagesApi) -> Iterator[Delivery]:
    with ExitStack() as stack:
        yield harness.start(stack, messages_api)


def statuses(engine: Engine, event: Event, channel: MessageChannel) -> Counter[MessageStatus]:
    """The statuses of the event's messages on `channel`."""
    with Session(engine) as session:
        return Counter(
            session.scalars(
                select(Message.status)
                .join(Invitation, Message.invitation_id == Invitation.id)
                .where(Invitation.event_id == event.id, Message.channel == channel)
            )
        )


def assert_once_each(
    harness: ChannelHarness, delivery: Delivery, rows: Rows, invitations: list[Invitation]
) -> None:
    """Every invited person's address received the invitation exactly once on the channel,
    and nothing else went to the channel's provider."""
    addresses = [harness.address(rows, invitation.participant_id) for invitation in invitations]
    delivered = delivery.deliveries()
    assert {address: delivered[address] for address in addresses} == dict.fromkeys(addresses, 1)
    assert sum(delivered.values()) == len(addresses)
