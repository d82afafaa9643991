"""The `birge` command: servers, migrations, staff accounts, demo data, key rotation and SMS."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from birge_cli import demo, dev, pii, servers, sms
from birge_cli.users import PasswordInputError, read_password
from birge_shared.crypto import get_cipher
from birge_shared.db import session_scope
from birge_shared.logs import configure_logging
from birge_shared.migrate import upgrade
from birge_shared.models import Message, Participant, Role, utcnow
from birge_shared.phones import InvalidPhoneError
from birge_shared.settings import Environment, Settings, get_settings
from birge_shared.users import UserError, create_user

Command = Callable[[argparse.Namespace, Settings], int]


def say(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - the CLI talks to its user on the terminal


def fail(text: str) -> int:
    print(f"birge: {text}", file=sys.stderr, flush=True)  # noqa: T201 - as above
    return 2


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    upgrade(settings.database_url)
    say("The database is at the latest schema.")
    return 0


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    servers.run_api(
        settings=settings,
        host=args.host,
        port=args.port,
        forwarded_allow_ips=args.forwarded_allow_ips,
    )
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    return servers.run_worker(
        settings=settings,
        concurrency=args.concurrency,
        beat=args.beat,
        schedule=args.schedule,
        queues=args.queues,
    )


def cmd_beat(args: argparse.Namespace, settings: Settings) -> int:
    return servers.run_beat(settings=settings, schedule=args.schedule)


def cmd_users_create(args: argparse.Namespace, settings: Settings) -> int:
    try:
        password = read_password(sys.stdin)
        with session_scope() as session:
            user = create_user(
                session=session,
                email=args.email,
                password=password,
                role=Role(args.role),
                city_codes=args.city,
            )
            user_id, role = user.id, user.role
    except (UserError, PasswordInputError) as exc:
        return fail(str(exc))
    say(f"Created {role.value} {user_id}.")
    return 0


def cmd_demo_data(args: argparse.Namespace, settings: Settings) -> int:
    if settings.environment is Environment.PRODUCTION:
        return fail("demo data is for development and staging, not production")
    report = _load_demo(settings)
    say(
        f"Demo data: {report.events_created} events and "
        f"{report.participants_created} participants added."
    )
    _print_logins(report)
    return 0


def cmd_pii_rotate(args: argparse.Namespace, settings: Settings) -> int:
    cipher = get_cipher()
    participants = pii.rotate_all(
        unit_of_work=session_scope,
        cipher=cipher,
        model=Participant,
        columns=pii.PARTICIPANT_COLUMNS,
    )
    messages = pii.rotate_all(
        unit_of_work=session_scope, cipher=cipher, model=Message, columns=pii.MESSAGE_COLUMNS
    )
    say(f"Re-encrypted {participants} participants and {messages} messages under the first key.")
    return 0


def cmd_sms_reply(args: argparse.Namespace, settings: Settings) -> int:
    url = sms.inbound_url(settings)
    try:
        status = sms.post_reply(settings=settings, phone=args.phone, text=args.text)
    except InvalidPhoneError as exc:
        return fail(str(exc))  # the reason never repeats the number
    except (OSError, ValueError) as exc:
        return fail(f"could not post to {url} ({type(exc).__name__}); is the API running?")
    # The status only: the number and the text are the participant's.
    say(f"The webhook answered HTTP {status}.")
    return 0 if 200 <= status < 300 else 1


def cmd_dev(args: argparse.Namespace, settings: Settings) -> int:
    if settings.environment is Environment.PRODUCTION:
        return fail("`birge dev` is for a local machine; run api, worker and beat separately")
    upgrade(settings.database_url)
    report = _load_demo(settings)
    base = f"http://localhost:{settings.port}"
    say(f"Birge is starting at {base} (API docs: {base}/docs). Ctrl-C stops it.")
    _print_logins(report)
    return dev.supervise(dev.child_commands(port=settings.port, concurrency=args.concurrency))


def _load_demo(settings: Settings) -> demo.DemoReport:
    with session_scope() as session:
        return demo.load_demo_data(session=session, settings=settings, now=utcnow())


def _print_logins(report: demo.DemoReport) -> None:
    for login in report.logins:
        password = login.password or "(unchanged; not shown)"
        say(f"  {login.role.value:<12} login: {login.email}  password: {password}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="birge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Command, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    add("migrate", cmd_migrate, "Upgrade the database to the latest schema.")

    api = add("api", cmd_api, "Serve the HTTP API with uvicorn.")
    api.add_argument("--host", default="0.0.0.0", help="default: all interfaces")  # noqa: S104
    api.add_argument("--port", type=int, default=None, help="default: the PORT setting")
    api.add_argument(
        "--forwarded-allow-ips",
        default=None,
        help="proxies trusted for X-Forwarded-* (default: uvicorn's, the local host)",
    )

    worker = add("worker", cmd_worker, "Run a Celery worker.")
    worker.add_argument("--concurrency", type=int, default=None, help="default: one per CPU")
    worker.add_argument("--beat", action="store_true", help="also run beat inside the worker")
    worker.add_argument("--queues", default=None, help="comma-separated queues to consume")
    worker.add_argument("--schedule", type=Path, default=servers.DEFAULT_SCHEDULE)

    beat = add("beat", cmd_beat, "Run Celery beat, which sends the periodic tasks.")
    beat.add_argument("--schedule", type=Path, default=servers.DEFAULT_SCHEDULE)

    users = commands.add_parser("users", help="Manage staff accounts.")
    user_commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    create = user_commands.add_parser(
        "create",
        help="Create a staff account; the password is read from standard input.",
        description="Create a staff account. On a terminal the password is asked for twice; "
        "otherwise the first line of standard input is the password.",
    )
    create.set_defaults(handler=cmd_users_create)
    create.add_argument("email")
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument(
        "--city", action="append", default=[], help="a city code; repeat for several"
    )

    add("demo-data", cmd_demo_data, "Add demo logins, events and participants (idempotent).")

    keys = commands.add_parser("pii", help="Personal-data encryption keys.")
    key_commands = keys.add_subparsers(dest="pii_command", required=True, metavar="ACTION")
    rotate = key_commands.add_parser(
        "rotate", help="Re-encrypt all personal data under the first PII_ENCRYPTION_KEY."
    )
    rotate.set_defaults(handler=cmd_pii_rotate)

    texts = commands.add_parser("sms", help="SMS tools for local runs.")
    text_commands = texts.add_subparsers(dest="sms_command", required=True, metavar="ACTION")
    reply = text_commands.add_parser(
        "reply",
        help="Send an SMS reply from a phone to Birge, as the phone network would.",
        description="Post a signed inbound SMS (as Twilio does) to PUBLIC_BASE_URL's webhook, "
        "for example YES, НЕТ or STOP from a demo participant's number while `birge dev` runs.",
    )
    reply.set_defaults(handler=cmd_sms_reply)
    reply.add_argument("phone", help="the sender's number, E.164 or Kyrgyz local form")
    reply.add_argument("text", help="the text of the SMS")

    run_dev = add("dev", cmd_dev, "Run everything locally: migrate, demo data, API and worker.")
    run_dev.add_argument("--concurrency", type=int, default=2)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings.log_level)
    handler: Command = args.handler
    return handler(args, settings)


if __name__ == "__main__":
    sys.exit(main())
