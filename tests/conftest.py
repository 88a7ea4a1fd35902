"""Personas, set up once per test: an analyst, a supervisor, an administrator, an auditor, a liaison of
platform A (Telegram), a liaison of platform B (Facebook), and the anonymous visitor.

Data is created through the services, so the audit trail is exercised by every test that uses it.
"""

import contextlib
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.core.servers.basehttp import WSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread

from cases.cases.services.cases import create_case
from cases.core import roles
from cases.core.choices import Category
from cases.models import Platform, PlatformMembership

_counter = itertools.count(1)


class _OneRequestAtATimeServer(WSGIServer):
    """The live server for SQLite's in-memory test database. Its threads would all share the test's one
    connection (Django hands it to them: an in-memory database exists only in it), so two requests at once,
    a select2 lookup still running when a form is posted, say, interleave their transactions on that one
    connection ("no such savepoint", then an IntegrityError and a 500 that production, with a connection per
    thread, never sees). Served one at a time, in the server's thread, which holds the shared connection."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


if connection.vendor == "sqlite":
    LiveServerThread.server_class = _OneRequestAtATimeServer


@pytest.fixture(autouse=True, scope="session")
def _flush_through_the_audit_triggers():
    """Let the test database be emptied between transactional tests.

    On PostgreSQL the audit tables refuse TRUNCATE (migration 0008). The test run connects as a superuser,
    so the flush that pytest-django runs after each transactional test skips ordinary triggers for its
    own transaction (`session_replication_role = replica`, superusers only). Nothing outside the tests
    does this; the application never flushes.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return ["SET LOCAL session_replication_role = replica", *statements] if statements else statements

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


def make_user(username: str, role: str | None, *, platform: Platform | None = None, **extra):
    User = get_user_model()
    user = User.objects.create_user(
        username=username, password="correct-horse-battery", email=f"{username}@example.org",
        is_staff=role in roles.MINISTRY_ROLES, **extra,
    )
    if role:  # the migration's groups; a flush makes them again (cases.apps.restore_defaults_after_flush)
        user.groups.add(Group.objects.get(name=role))
    if platform is not None:
        PlatformMembership.objects.create(user=user, platform=platform)
    return user


def new_platform_a() -> Platform:
    return Platform.objects.create(name="Telegram", slug="telegram", hosts="t.me telegram.org",
                                   contact_email="abuse@telegram.example")


def new_platform_b() -> Platform:
    return Platform.objects.create(name="Facebook", slug="facebook", hosts="facebook.com",
                                   contact_email="legal@facebook.example")


@pytest.fixture
def platform_a(db):
    return new_platform_a()


@pytest.fixture
def platform_b(db):
    return new_platform_b()


@pytest.fixture
def analyst(db):
    return make_user("analyst", roles.ANALYST)


@pytest.fixture
def supervisor(db):
    return make_user("supervisor", roles.SUPERVISOR)


@pytest.fixture
def administrator(db):
    return make_user("administrator", roles.ADMINISTRATOR)


@pytest.fixture
def auditor(db):
    return make_user("auditor", roles.AUDITOR)


@pytest.fixture
def liaison_a(platform_a):
    return make_user("liaison_a", roles.LIAISON, platform=platform_a)


@pytest.fixture
def liaison_b(platform_b):
    return make_user("liaison_b", roles.LIAISON, platform=platform_b)


@pytest.fixture
def anonymous():
    return AnonymousUser()


@pytest.fixture
def make_case(analyst, platform_a):
    """Create a case through the service. Defaults: a standard-tier hoax on platform A, as a draft."""
    return case_maker(analyst, platform_a)


def case_maker(analyst, platform_a):
    """`make_case`'s function, for the given analyst and platform A."""

    def _make(*, platform=None, actor=None, submit=False, url=None, category=Category.HOAX, **kwargs):
        n = next(_counter)
        return create_case(
            actor=actor or analyst,
            platform=platform or platform_a,
            category=category,
            location_url=url or f"https://t.me/example_channel_{n}/{n}",
            legal_basis=kwargs.pop("legal_basis", "UU ITE Art. 28(1)"),
            reasons=kwargs.pop("reasons", "Spreads a fabricated claim about a public health measure."),
            submit=submit,
            **kwargs,
        )

    return _make


@pytest.fixture(scope="class")
def demo_database(django_db_setup, django_db_blocker):
    """The demo as `make run` loads it (300 recent cases), for tests that only read it: loaded once, lazily (when
    the first of them runs), in a transaction rolled back after the last of them, so every other test still starts
    on an empty database. Its readers sit in one class (the class is the fixture's scope); each of them runs in its
    own savepoint inside that transaction, as any `django_db` test does. Returns the loader's summary."""
    from cases import demo

    with rolled_back(django_db_blocker):
        yield demo.load(n_cases=300)


@contextlib.contextmanager
def rolled_back(django_db_blocker):
    """A transaction for data several tests share, rolled back when they are done (the fixture's scope ends).
    Each of the tests runs in its own savepoint inside it, as any `django_db` test does, so what a test writes
    is gone before the next one starts and every test sees the shared data as it was built. On PostgreSQL too:
    a rollback, unlike the flush of a transactional test, needs nothing of the audit tables' triggers."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


def make_personas() -> dict:
    """Every persona of the fixtures above (and platforms A and B), created at once, by the same code."""
    platform_a, platform_b = new_platform_a(), new_platform_b()
    return {
        "platform_a": platform_a, "platform_b": platform_b,
        "analyst": make_user("analyst", roles.ANALYST), "supervisor": make_user("supervisor", roles.SUPERVISOR),
        "administrator": make_user("administrator", roles.ADMINISTRATOR),
        "auditor": make_user("auditor", roles.AUDITOR),
        "liaison_a": make_user("liaison_a", roles.LIAISON, platform=platform_a),
        "liaison_b": make_user("liaison_b", roles.LIAISON, platform=platform_b),
    }


PERSONAS = ("platform_a", "platform_b", "analyst", "supervisor", "administrator", "auditor", "liaison_a",
            "liaison_b")


def _class_persona(name: str):
    """The class-scoped fixture `name` of `SharedWorld`: that persona of the class's one `personas` set."""

    def persona(cls, personas):
        return personas[name]

    return pytest.fixture(scope="class", name=name)(classmethod(persona))


class SharedWorld:
    """A base for a class of tests that only read one data set (a "world"): the class builds it once, in a
    transaction rolled back after its last test (`rolled_back`), instead of once per test.

    Within the class the persona fixtures (`analyst`, `liaison_a`, `platform_a`, ... and `make_case`) are
    overridden: class-scoped, taken from one `personas` set, so that the world's class-scoped fixture can use
    them and the tests get the same users the world was built with. All of them are created at once, before the
    first test: one created lazily, by a test's `request.getfixturevalue`, would be created inside that test's
    savepoint and gone (rolled back) when the next test of the class received it. A test of the class writes
    what it likes (each test runs in its own savepoint), but must not change the Python objects of the world or
    of the personas in ways the next test would see. Tests that do not read the world stay outside the class:
    they run before or after its transaction, on an empty database with their own personas."""

    # Each test in its own savepoint, whether or not it asks for `db` (a class-scoped persona does not). Never
    # `transaction=True`: a transactional test would flush the shared world.
    pytestmark = pytest.mark.django_db

    @pytest.fixture(scope="class")
    @classmethod
    def personas(cls, django_db_setup, django_db_blocker):
        with rolled_back(django_db_blocker):
            yield make_personas()

    platform_a, platform_b, analyst, supervisor, administrator, auditor, liaison_a, liaison_b = (
        _class_persona(name) for name in PERSONAS)

    @pytest.fixture(scope="class")
    @classmethod
    def make_case(cls, personas):
        return case_maker(personas["analyst"], personas["platform_a"])


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


def pytest_configure(config):
    """Tell modules whose collection is costly what -m selects (`make test-fast`: not slow)."""
    from tests import selection

    selection.MARK_EXPRESSION = config.getoption("markexpr", "") or ""
    config.pluginmanager.register(_LongFilesFirst(), "patuh-long-files-first")


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` are skipped on SQLite, with the reason shown."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


class _LongFilesFirst:
    """Under `make test` (pytest-xdist, `--dist loadfile --no-loadscope-reorder`) each file runs in one worker, in
    the order the files are listed. The files with `slow` tests (Chromium, processes, full-depth property tests)
    come first, in their usual order, then the rest: the long files start while there is short work left to
    balance the workers, and no minute-long file is left running alone at the end. The order is the same in
    every worker, as xdist requires; a run without workers keeps pytest's order."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        if not hasattr(config, "workerinput"):  # not an xdist worker
            return
        slow_files = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")}
        items.sort(key=lambda item: item.nodeid.split("::")[0] not in slow_files)


@pytest.fixture(autouse=True)
def _language_of_the_settings():
    """Each test starts in the settings' language: a console request in Indonesian activates it for the thread
    (LocaleMiddleware does not switch back), and messages a later test reads would follow."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


def pytest_sessionstart(session):
    """Collect garbage less often: a test run allocates many short-lived objects (queries, requests, forms), and
    the default thresholds start a collection every 700 allocations, most of them finding nothing."""
    import gc

    gc.set_threshold(50_000, 50, 100)


def pytest_collection_finish(session):
    """What is loaded by now (Django, the apps, the test modules) lives for the whole run: move it out of the
    collector's way, so the full collections no longer walk it each time."""
    import gc

    gc.collect()
    gc.freeze()
