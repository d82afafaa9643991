"""The `birge` command: servers, migrations, staff accounts, demo data, key rotation, SMS and
benchmarks."""

# Each command imports what it needs when it runs: the API, SQLAlchemy, Alembic and Celery
# together take seconds to import, which `birge --help` or `birge sms reply` would otherwise
# pay for nothing. tests/unit/test_cli_imports.py keeps it so.
# ruff: noqa: PLC0415

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from birge_cli import demo
    from birge_shared.settings import Settings

#: The staff roles (birge_shared.models.Role, whose import pulls in every model).
ROLES = ("admin", "coordinator", "viewer")
#: Where beat keeps its schedule (as birge_cli.servers.DEFAULT_SCHEDULE, which imports uvicorn).
DEFAULT_SCHEDULE = Path("var") / "celerybeat-schedule"

Command = Callable[[argparse.Namespace, "Settings"], int]


def say(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - the CLI talks to its user on the terminal


def fail(text: str) -> int:
    print(f"birge: {text}", file=sys.stderr, flush=True)  # noqa: T201 - as above
    return 2


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from birge_shared.migrate import upgrade

    upgrade(settings.database_url)
    say("The database is at the latest schema.")
    return 0


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli import servers

    say(f"Personal links and webhooks use {settings.public_base_url}.")
    servers.run_api(settings=settings, host=args.host, port=args.port)
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli import servers

    return servers.run_worker(
        settings=settings,
        concurrency=args.concurrency,
        beat=args.beat,
        schedule=args.schedule,
        queues=args.queues,
    )


def cmd_beat(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli import servers

    return servers.run_beat(settings=settings, schedule=args.schedule)


def cmd_users_create(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli.users import PasswordInputError, read_password
    from birge_shared.db import session_scope
    from birge_shared.models import Role
    from birge_shared.users import UserError, create_user

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
    from birge_cli import demo

    refusal = demo.refusal(settings)
    if refusal is not None:
        return fail(f"no demo data loaded: {refusal}")
    report = _load_demo(settings)
    say(
        f"Demo data: {report.events_created} events and "
        f"{report.participants_created} participants added."
    )
    _print_logins(report)
    return 0


def cmd_pii_rotate(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli import pii
    from birge_shared.crypto import get_cipher
    from birge_shared.db import session_scope
    from birge_shared.models import Invitation, Message, Participant

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
    links = pii.rotate_all(
        unit_of_work=session_scope,
        cipher=cipher,
        model=Invitation,
        columns=pii.INVITATION_COLUMNS,
    )
    say(
        f"Re-encrypted {participants} participants, {messages} messages and {links} "
        "personal links under the first key."
    )
    return 0


def cmd_pii_reindex_names(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli import pii
    from birge_shared.crypto import get_cipher
    from birge_shared.db import session_scope

    count = pii.reindex_names(unit_of_work=session_scope, cipher=get_cipher())
    say(f"Indexed the names of {count} participants.")
    return 0


def cmd_sms_reply(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli import sms
    from birge_shared.phones import InvalidPhoneError

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


def cmd_telegram_set_webhook(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli import telegram
    from birge_workers.telegram.provider import TelegramError

    try:
        url, username = telegram.set_webhook(settings)
    except telegram.TelegramNotConfiguredError as exc:
        return fail(str(exc))
    except TelegramError as exc:
        return fail(f"Telegram refused the webhook: {exc.reason}")
    say(f"Telegram posts @{username}'s updates to {url}.")
    if settings.telegram_bot_username and settings.telegram_bot_username != username:
        say(f"TELEGRAM_BOT_USERNAME says {settings.telegram_bot_username}: start links will fail.")
        return 1
    return 0


def cmd_whatsapp_sync_templates(args: argparse.Namespace, settings: Settings) -> int:
    from birge_shared.db import session_scope
    from birge_shared.providers.twilio_content import content_api_from_settings
    from birge_shared.whatsapp_template_sync import SyncFailedError, sync_approvals

    api = content_api_from_settings(settings)
    if api is None:
        return fail("Twilio is not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
    try:
        with session_scope() as session:
            result = sync_approvals(session=session, source=api)
    except SyncFailedError as exc:
        return fail(f"nothing was changed: {exc}")
    counts = ", ".join(f"{count} {approval}" for approval, count in result.approvals.items())
    say(f"Read {result.checked} templates, {result.changed} changed: {counts or 'none'}.")
    return 0


def cmd_dev(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli import demo, dev
    from birge_shared.migrate import upgrade
    from birge_shared.settings import Environment

    if settings.environment is Environment.PRODUCTION:
        return fail("`birge dev` is for a local machine; run api, worker and beat separately")
    upgrade(settings.database_url)
    refusal = demo.refusal(settings)
    report = _load_demo(settings) if refusal is None else None
    say(dev.banner(settings))
    if report is None:
        say(f"No demo data loaded: {refusal}. Create a login with `birge users create`.")
    else:
        _print_logins(report)
    return dev.supervise(dev.child_commands(port=settings.port, concurrency=args.concurrency))


# ------------------------------------------------------------------ benchmarks
#
# One table: each benchmark is a row with its words, its options and a function that checks
# them, imports the benchmark (only when it runs) and runs it. A new benchmark is one more row.


@dataclass(frozen=True)
class Option:
    flag: str
    default: object
    help: str
    #: Parses the value; None keeps it a string.
    kind: Callable[[str], object] | None = None


@dataclass(frozen=True)
class Bench:
    name: str
    help: str
    description: str
    options: tuple[Option, ...]
    run: Command
    #: What an interruption leaves behind (nothing: it says what was removed).
    interrupted: str


def _database_url(args: argparse.Namespace, settings: Settings) -> str | None:
    """--database-url, else DATABASE_URL when it was set (not the development default)."""
    if args.database_url:
        return str(args.database_url)
    return settings.database_url if "database_url" in settings.model_fields_set else None


def _bench_fanout(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli.bench import fanout
    from birge_cli.bench.seed import MAX_PARTICIPANTS

    if not 1 <= args.n <= MAX_PARTICIPANTS:
        return fail(f"--n must be between 1 and {MAX_PARTICIPANTS}")
    if args.concurrency < 1 or (args.per_request is not None and args.per_request < 1):
        return fail("--concurrency and --per-request must be at least 1")
    fields = settings.model_fields_set
    options = fanout.FanoutOptions(
        n=args.n,
        concurrency=args.concurrency,
        per_request=min(args.per_request or args.n, args.n),
        chunk_size=args.chunk_size or settings.sms_chunk_size,
        # Unset means the temporary SQLite file and file broker, not the development defaults.
        database_url=_database_url(args, settings),
        broker_url=args.broker_url or (settings.broker_url if "broker_url" in fields else None),
        timeout=args.timeout or 120.0 + args.n * 0.1,
    )
    return fanout.run(options, say=say, note=_note)


def _bench_webhooks(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli.bench import webhooks

    rates = [int(rate) for rate in args.rates.split(",") if rate.strip()]
    if not rates or min(rates) < 1 or args.seconds <= 0:
        return fail("--rates needs positive numbers and --seconds a positive duration")
    options = webhooks.WebhookOptions(
        rates=rates, seconds=args.seconds, database_url=_database_url(args, settings)
    )
    return webhooks.run(options, say=say, note=_note)


def _bench_reports(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli.bench import reports

    if args.events < 1 or args.answers < 2 * args.events or args.runs < 1:
        return fail("--events and --runs must be at least 1, --answers at least 2 per event")
    options = reports.ReportsOptions(
        events=args.events,
        answers=args.answers,
        runs=args.runs,
        database_url=args.database_url or settings.database_url,
    )
    return reports.run(options, say=say, note=_note)


def _bench_console(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli.bench import console

    if args.participants < 2 * console.FEATURED_INVITATIONS:
        return fail(f"--participants must be at least {2 * console.FEATURED_INVITATIONS}")
    if args.events < 2 or args.repeat < 1 or args.warmup < 0:
        # Two events at least: one of the history, one upcoming with 200 invitations.
        return fail("--events must be at least 2, --repeat at least 1, --warmup at least 0")
    options = console.ConsoleOptions(
        participants=args.participants,
        events=args.events,
        repeat=args.repeat,
        warmup=args.warmup,
        database_url=args.database_url or settings.database_url,
    )
    return console.run(options, say=say, note=_note)


def _bench_groups(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli.bench import groups

    if args.people < 2 or args.groups < 3 or args.weeks < 0 or args.runs < 1:
        return fail("--people ≥ 2, --groups ≥ 3 (one per language), --weeks ≥ 0, --runs ≥ 1")
    return groups.run(
        people=args.people, groups=args.groups, weeks=args.weeks, runs=args.runs, say=say
    )


def _bench_dataset(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli.bench import dataset

    if args.events < 1 or args.answers < 2 * args.events:
        return fail("--events must be at least 1, --answers at least 2 per event")
    options = dataset.DatasetOptions(
        events=args.events,
        answers=args.answers,
        database_url=args.database_url or settings.database_url,
    )
    return dataset.run(options, say=say, note=_note)


def _bench_import(args: argparse.Namespace, settings: Settings) -> int:
    from birge_cli.bench import imports

    if args.rows < 1 or args.runs < 1:
        return fail("--rows and --runs must be at least 1")
    return imports.run(settings, rows=args.rows, runs=args.runs, say=say)


_POSTGRES = Option("--database-url", None, "a PostgreSQL server to use")

BENCHES: tuple[Bench, ...] = (
    Bench(
        "fanout",
        "Invitations per second from the API request to the SMS provider.",
        "Invite n participants to one event through the API and time until a local fake of "
        "Twilio's Messages API has received n messages; compare with the bare Twilio SDK "
        "against the same fake. Runs in scratch stores it removes afterwards: a PostgreSQL "
        "database created on the server of --database-url (or DATABASE_URL) and the empty "
        "Redis database of --broker-url (or BROKER_URL); without them a temporary SQLite "
        "file and file broker, which are much slower.",
        (
            Option("--n", 10_000, "participants invited (10000)", int),
            Option("--concurrency", 2, "worker processes and baseline processes (2)", int),
            _POSTGRES,
            Option("--broker-url", None, "redis://host:port/<empty db>"),
            Option(
                "--per-request",
                None,
                "most ids per invitation request; more are sent back to back (default: all)",
                int,
            ),
            Option("--chunk-size", None, "default: the SMS_CHUNK_SIZE setting", int),
            Option("--timeout", None, "seconds per phase (default: 120 + n/10)", float),
        ),
        _bench_fanout,
        "the processes and scratch stores of the run were removed",
    ),
    Bench(
        "reports",
        "Time the summary reports and the export rows against a plain count.",
        "Fill a scratch PostgreSQL database (created on the server of --database-url or "
        "DATABASE_URL, dropped at the end) with events, invitations and survey answers, then "
        "time the full summary report, filtered summaries and the export's per-event rows, "
        "first and warm, against SELECT count(*) FROM survey_response in the same run.",
        (
            Option("--events", 5000, "events (5000)", int),
            Option("--answers", 1_000_000, "answers (1000000)", int),
            Option("--runs", 5, "warm runs of each query (5)", int),
            _POSTGRES,
        ),
        _bench_reports,
        "the scratch database was dropped",
    ),
    Bench(
        "webhooks",
        "Signed status callbacks at rising rates against GET /healthz on the same server.",
        "Start the API on a scratch database (PostgreSQL from --database-url or "
        "DATABASE_URL, else a temporary SQLite file), post signed Twilio status callbacks at "
        "each rate, and GET /healthz at the same rates as the baseline.",
        (
            Option("--rates", "50,100,200,400", "requests/s (50,100,200,400)"),
            Option("--seconds", 5.0, "seconds per step (5)", float),
            _POSTGRES,
        ),
        _bench_webhooks,
        "the API and the scratch database of the run were removed",
    ),
    Bench(
        "import",
        "Read valid and hostile participant lists with the configured import bounds.",
        "Time reading valid CSV and XLSX lists and hostile ones (a claimed vast dimension, a "
        "shared-strings bomb, a header of 40,000 cells), as the import does.",
        (
            Option("--rows", 5000, "rows of the valid lists (5000)", int),
            Option("--runs", 3, "runs per file, best kept (3)", int),
        ),
        _bench_import,
        "nothing was left behind",
    ),
    Bench(
        "console",
        "Time the console's pages on a full database against GET /healthz; weigh them.",
        "Fill a scratch PostgreSQL database (created on the server of --database-url or "
        "DATABASE_URL, dropped at the end) with participants, events, invitations and survey "
        "answers, serve the application with uvicorn, sign in as a coordinator and time the "
        "dashboard, the event list, an event page with 200 invitations, the participant "
        "search by name and by phone and the reports page (p50 and p95 of the server's own "
        "timing) against GET /healthz, and print each page's compressed weight.",
        (
            Option("--participants", 100_000, "participants (100000)", int),
            Option("--events", 5000, "events (5000)", int),
            Option("--repeat", 50, "timed requests per page (50)", int),
            Option("--warmup", 5, "untimed requests first (5)", int),
            _POSTGRES,
        ),
        _bench_console,
        "the server and the scratch database of the run were removed",
    ),
    Bench(
        "groups",
        "Time splitting a room into mixed groups with a year of history.",
        "Split made-up people into groups (one language each, inside the mix band, people "
        "who met before apart, buddies together) with a year of weekly events as history, "
        "against the same split without history in the same run.",
        (
            Option("--people", 200, "people in the room (200)", int),
            Option("--groups", 25, "groups (25)", int),
            Option("--weeks", 52, "weekly events of history (52)", int),
            Option("--runs", 5, "timed runs of each split (5)", int),
        ),
        _bench_groups,
        "nothing was left behind",
    ),
    Bench(
        "dataset",
        "Time the evaluator's dataset zip and trace its memory over many answers.",
        "Fill a scratch PostgreSQL database as `bench reports` does, build the evaluator's "
        "dataset (every file of the zip) twice, the second time with its memory traced, "
        "against reading every answer in the same order in the same run.",
        (
            Option("--events", 5000, "events (5000)", int),
            Option("--answers", 1_000_000, "answers (1000000)", int),
            _POSTGRES,
        ),
        _bench_dataset,
        "the scratch database was dropped",
    ),
)


def _run_bench(bench: Bench, args: argparse.Namespace, settings: Settings) -> int:
    # The benchmarks' own errors share a base in the package, which imports nothing heavy.
    from birge_cli.bench import BenchError

    try:
        return bench.run(args, settings)
    except KeyboardInterrupt:
        return fail(f"interrupted; {bench.interrupted}")
    except BenchError as exc:
        return fail(str(exc))


def _add_benches(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = commands.add_parser("bench", help="Benchmarks that print figures.")
    bench_commands = bench.add_subparsers(dest="bench_command", required=True, metavar="WHAT")
    for entry in BENCHES:
        command = bench_commands.add_parser(
            entry.name, help=entry.help, description=entry.description
        )
        command.set_defaults(handler=functools.partial(_run_bench, entry))
        for option in entry.options:
            if option.kind is None:
                command.add_argument(option.flag, default=option.default, help=option.help)
            else:
                command.add_argument(
                    option.flag, type=option.kind, default=option.default, help=option.help
                )


def _note(text: str) -> None:
    # Progress goes to standard error, so standard output holds the figures alone.
    print(f"birge bench: {text}", file=sys.stderr, flush=True)  # noqa: T201 - as in say()


def _load_demo(settings: Settings) -> demo.DemoReport:
    from birge_cli import demo
    from birge_shared.db import session_scope
    from birge_shared.models import utcnow

    with session_scope() as session:
        return demo.load_demo_data(session=session, settings=settings, now=utcnow())


def _print_logins(report: demo.DemoReport) -> None:
    for login in report.logins:
        password = login.password or "(unchanged; not shown)"
        say(f"  {login.role.value:<12} login: {login.email}  password: {password}")


def _add_sms(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def _add_telegram(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bot = commands.add_parser("telegram", help="The Telegram bot.")
    bot_commands = bot.add_subparsers(dest="telegram_command", required=True, metavar="ACTION")
    set_hook = bot_commands.add_parser(
        "set-webhook",
        help="Register the bot's webhook with Telegram, with TELEGRAM_WEBHOOK_SECRET.",
        description="Tell Telegram to post the bot's updates to PUBLIC_BASE_URL/webhooks/"
        "telegram, carrying TELEGRAM_WEBHOOK_SECRET in X-Telegram-Bot-Api-Secret-Token.",
    )
    set_hook.set_defaults(handler=cmd_telegram_set_webhook)


def _add_whatsapp(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    whatsapp = commands.add_parser("whatsapp", help="WhatsApp through Twilio.")
    actions = whatsapp.add_subparsers(dest="whatsapp_command", required=True, metavar="ACTION")
    sync = actions.add_parser(
        "sync-templates",
        help="Read every registered template's approval from Twilio's Content API now.",
        description="Read WhatsApp's review of each registered template (approved, pending, "
        "rejected, paused) from Twilio's Content API; a failure changes nothing.",
    )
    sync.set_defaults(handler=cmd_whatsapp_sync_templates)


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

    worker = add("worker", cmd_worker, "Run a Celery worker.")
    worker.add_argument("--concurrency", type=int, default=None, help="default: one per CPU")
    worker.add_argument("--beat", action="store_true", help="also run beat inside the worker")
    worker.add_argument("--queues", default=None, help="comma-separated queues to consume")
    worker.add_argument("--schedule", type=Path, default=DEFAULT_SCHEDULE)

    beat = add("beat", cmd_beat, "Run Celery beat, which sends the periodic tasks.")
    beat.add_argument("--schedule", type=Path, default=DEFAULT_SCHEDULE)

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
    create.add_argument("--role", required=True, choices=ROLES)
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
    reindex = key_commands.add_parser(
        "reindex-names",
        help="Rebuild the name search index under the current PII_HASH_KEY.",
    )
    reindex.set_defaults(handler=cmd_pii_reindex_names)

    _add_sms(commands)

    _add_telegram(commands)
    _add_whatsapp(commands)

    run_dev = add("dev", cmd_dev, "Run everything locally: migrate, demo data, API and worker.")
    run_dev.add_argument("--concurrency", type=int, default=2)

    _add_benches(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from birge_shared.logs import configure_logging
    from birge_shared.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level)
    handler: Command = args.handler
    return handler(args, settings)


if __name__ == "__main__":
    sys.exit(main())
