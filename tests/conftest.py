"""Test set-up shared by every suite.

The whole run gets its own PostgreSQL database, created here, migrated with Alembic and dropped
at the end, so runs cannot see each other's rows. Each test gets a session inside a transaction
that is rolled back afterwards (savepoint mode), so tests cannot see each other's rows either.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import Fernet

from tests.own_redis import OwnRedis, RedisStartError

# Settings are read once per process: fix them before anything from Birge is imported.
_RUN_ID = f"{os.getpid()}_{secrets.token_hex(3)}"
PG_ADMIN_URL = os.environ.get(
    "BIRGE_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TEST_DB_NAME = f"birge_test_{_RUN_ID}"
TEST_DATABASE_URL = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + TEST_DB_NAME
# The run's own redis-server (started in pytest_configure, before any test), so two runs on
# one machine never share a database, a queue or a login counter. BIRGE_TEST_REDIS_URL names
# another server to use instead.
_REDIS_FOLDER = Path(tempfile.mkdtemp(prefix=f"birge-test-redis-{_RUN_ID}-"))
_OWN_REDIS = None if os.environ.get("BIRGE_TEST_REDIS_URL") else OwnRedis(_REDIS_FOLDER)
TEST_REDIS_URL = os.environ.get("BIRGE_TEST_REDIS_URL") or (_OWN_REDIS.url if _OWN_REDIS else "")


def redis_database_url(number: int) -> str:
    """Database `number` of this run's Redis server, for a test that empties it."""
    return TEST_REDIS_URL.rsplit("/", 1)[0] + f"/{number}"


os.environ.update(
    {
        "ENVIRONMENT": "test",
        "DATABASE_URL": TEST_DATABASE_URL,
        "BROKER_URL": TEST_REDIS_URL,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "PII_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "PII_HASH_KEY": secrets.token_urlsafe(32),
        "PSEUDONYM_KEY": secrets.token_urlsafe(32),
        "PUBLIC_BASE_URL": "http://testserver",
    }
)
for _name in ("TWILIO_ACCOUNT_SID", "SMTP_URL"):
    os.environ.pop(_name, None)

import psycopg  # noqa: E402
import pytest  # noqa: E402
import redis  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Connection, create_engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from birge_api.app import create_app  # noqa: E402
from birge_api.auth import tokens  # noqa: E402
from birge_api.deps import UnitOfWork, get_session, get_unit_of_work  # noqa: E402
from birge_shared.db import get_engine, normalise_database_url  # noqa: E402
from birge_shared.logs import JsonFormatter  # noqa: E402
from birge_shared.migrate import upgrade  # noqa: E402
from birge_shared.models import Role, User  # noqa: E402
from birge_shared.settings import get_settings  # noqa: E402
from birge_shared.users import create_user  # noqa: E402
from tests.pii_scan import broker_texts, leaks  # noqa: E402

TEST_PASSWORD = "correct horse battery staple"


def pytest_configure(config: pytest.Config) -> None:
    if _OWN_REDIS is not None:
        try:
            _OWN_REDIS.start()
        except RedisStartError as exc:
            raise pytest.UsageError(str(exc)) from None


def pytest_unconfigure(config: pytest.Config) -> None:
    if _OWN_REDIS is not None:
        _OWN_REDIS.crash()
    shutil.rmtree(_REDIS_FOLDER, ignore_errors=True)


#: Loggers of the servers the tests stand up in place of the outside world: aiosmtpd plays the
#: receiving mail server, whose job is to log envelope addresses. Birge's own loggers and every
#: library Birge runs in production are searched.
TEST_DOUBLE_LOGGERS = frozenset({"mail.log"})


@pytest.fixture(scope="session", autouse=True)
def no_personal_data_in_any_log_line() -> Iterator[None]:
    """Every log line of the whole run is kept and, at the end, searched for numbers and
    e-mail addresses, and so is every message left in Redis: a leak anywhere fails the run,
    not only in the tests that look for it."""
    lines: list[str] = []
    formatter = JsonFormatter()

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(formatter.format(record))

    handler = Keep(level=logging.INFO)
    root = logging.getLogger()
    previous_level = root.level
    root.setLevel(logging.INFO)  # the production level: what would be logged there is searched
    root.addHandler(handler)
    yield
    root.removeHandler(handler)
    root.setLevel(previous_level)
    leaking = sorted(
        {json.loads(line)["logger"] for line in lines if leaks([line])} - TEST_DOUBLE_LOGGERS
    )
    if leaking:
        # Only the loggers are named: printing what leaked would leak it into the CI log.
        pytest.fail(f"phone numbers or e-mail addresses were logged by: {', '.join(leaking)}")
    leaky_databases = []
    for number in range(16):
        client = redis.Redis.from_url(redis_database_url(number))
        try:
            if leaks(broker_texts(client)):
                leaky_databases.append(number)
        finally:
            client.close()
    if leaky_databases:
        pytest.fail(f"messages left in Redis hold personal data (databases {leaky_databases})")


def _admin_execute(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql.encode())  # DDL takes no parameters, so the name is inlined


def _drop_abandoned_test_databases() -> None:
    """Drop the databases of earlier runs that were killed before they could drop their own.

    A run's database is named after its process id; one whose process is gone is abandoned.
    """
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'birge\\_test\\_%'"
            )
        ]
    for name in names:
        pid = name.split("_")[2]
        if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
            _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated to head, dropped afterwards."""
    try:
        _admin_execute(f'CREATE DATABASE "{TEST_DB_NAME}"')
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL.split('@')[-1]}: start it "
            "(make test does) or set BIRGE_TEST_PG_ADMIN_URL. "
            f"{type(exc).__name__}",
            pytrace=False,
        )
    _drop_abandoned_test_databases()
    upgrade(TEST_DATABASE_URL)
    yield TEST_DATABASE_URL
    get_engine().dispose()
    _admin_execute(f'DROP DATABASE IF EXISTS "{TEST_DB_NAME}" WITH (FORCE)')


@pytest.fixture
def db_connection(database_url: str) -> Iterator[Connection]:
    engine = get_engine()
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def db(db_connection: Connection) -> Iterator[Session]:
    """A session whose commits are savepoints inside a transaction rolled back after the test."""
    session = Session(
        bind=db_connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield session
    session.close()


def use_test_session(application: FastAPI, db: Session) -> None:
    """Route the application's request transactions (either dependency) to the test's `db`."""

    @contextmanager
    def _unit_of_work() -> Iterator[Session]:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def _session() -> Iterator[Session]:
        with _unit_of_work() as session:
            yield session

    async def _units() -> UnitOfWork:
        return _unit_of_work

    application.dependency_overrides[get_session] = _session
    application.dependency_overrides[get_unit_of_work] = _units


@pytest.fixture
def app(db: Session) -> object:
    application = create_app()
    use_test_session(application, db)
    return application


@pytest.fixture
def client(app: object) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:  # type: ignore[arg-type]
        yield test_client


UserFactory = Callable[..., User]


@pytest.fixture
def make_user(db: Session) -> UserFactory:
    def _make(role: Role = Role.ADMIN, cities: tuple[str, ...] = ()) -> User:
        email = f"{role.value}-{uuid.uuid4().hex[:8]}@example.org"
        user = create_user(
            session=db, email=email, password=TEST_PASSWORD, role=role, city_codes=cities
        )
        db.commit()
        return user

    return _make


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.issue(settings=get_settings(), user=user)}"}


@pytest.fixture
def admin_headers(make_user: UserFactory) -> dict[str, str]:
    return bearer(make_user(Role.ADMIN))


@pytest.fixture
def bishkek_headers(make_user: UserFactory) -> dict[str, str]:
    return bearer(make_user(Role.COORDINATOR, ("bishkek",)))


@pytest.fixture
def osh_headers(make_user: UserFactory) -> dict[str, str]:
    return bearer(make_user(Role.COORDINATOR, ("osh",)))


@pytest.fixture
def viewer_headers(make_user: UserFactory) -> dict[str, str]:
    return bearer(make_user(Role.VIEWER, ("bishkek", "osh")))


@pytest.fixture
def raw_engine(database_url: str) -> Iterator[object]:
    """An engine outside the per-test transaction, for tests that need real commits."""
    engine = create_engine(normalise_database_url(database_url))
    yield engine
    engine.dispose()
