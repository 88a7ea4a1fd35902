"""The scaling switches (docs/scaling.md): the report replica and its router, the connection pool, and the
bench-only SQL recording that must never reach production."""

import json

import pytest
from django.db import connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from cases.bench_sql import MIDDLEWARE as BENCH_MIDDLEWARE
from cases.models import Case
from portal.routers import ReplicaRouter, replica_reads
from tests.test_api_support import bearer_client
from tests.test_security_settings import _production_env, _run

ROUTED = override_settings(DATABASE_ROUTERS=["portal.routers.ReplicaRouter"])
PRINT_DATABASES = ("import json, django; django.setup(); from django.conf import settings as s; "
                   "print(json.dumps({'databases': s.DATABASES, 'routers': getattr(s, 'DATABASE_ROUTERS', []), "
                   "'middleware': s.MIDDLEWARE}, default=str))")
PG = "postgres://u@db.example:5432/patuh"


def _settings(tmp_path, **env):
    clean = {k: v for k, v in _production_env(tmp_path, **env).items()
             if not k.startswith("DATABASE_") or k in env}
    return _run(["-c", PRINT_DATABASES], clean)


# --- the router ----------------------------------------------------------------------------------------------


def test_router_reads_from_the_replica_only_inside_replica_reads():
    router = ReplicaRouter()
    assert router.db_for_read(Case) == "default"
    with replica_reads():
        assert router.db_for_read(Case) == "replica"
        assert router.db_for_write(Case) == "default"
        with replica_reads():  # nesting keeps it on
            assert router.db_for_read(Case) == "replica"
        assert router.db_for_read(Case) == "replica"
    assert router.db_for_read(Case) == "default"
    assert router.allow_migrate("default", "cases") and not router.allow_migrate("replica", "cases")


@pytest.mark.django_db
def test_router_reads_own_writes_inside_a_transaction():
    with replica_reads():  # the test runs inside a transaction on default
        assert ReplicaRouter().db_for_read(Case) == "default"


def _statements(ctx) -> list[str]:
    return [q["sql"].lstrip().split(None, 1)[0].upper() for q in ctx.captured_queries]


@ROUTED
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_report_reads_go_to_the_replica_and_writes_never_do(analyst, make_case):
    make_case(submit=True)
    client = bearer_client(analyst)
    with CaptureQueriesContext(connections["replica"]) as replica, \
            CaptureQueriesContext(connections["default"]) as default:
        response = client.get("/api/v1/reports/compliance/")
        assert response.status_code == 200 and response.json()["total"]["received"] == 1
    assert replica.captured_queries, "the report read nothing from the replica"
    assert set(_statements(replica)) <= {"SELECT", "WITH"}
    assert any(s == "SELECT" for s in _statements(default))  # authentication reads the primary
    with CaptureQueriesContext(connections["replica"]) as replica:
        assert client.get("/api/v1/cases/").status_code == 200
        with replica_reads():
            make_case(submit=True)  # a write inside replica_reads still goes to default
    assert replica.captured_queries == []
    assert Case.objects.using("default").count() == 2


# --- settings from the environment ------------------------------------------------------------------------------


@pytest.mark.slow
def test_replica_and_pool_settings_from_the_environment(tmp_path):
    result = _settings(tmp_path, DATABASE_URL=PG, DATABASE_REPLICA_URL=PG.replace("db.", "replica."),
                       DATABASE_POOL="1", DATABASE_POOL_MAX_SIZE="8")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    default, replica = out["databases"]["default"], out["databases"]["replica"]
    assert default["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 8, "timeout": 10.0}
    assert default["CONN_MAX_AGE"] == 0
    assert replica["HOST"] == "replica.example" and replica["TEST"]["MIRROR"] == "default"
    assert replica["OPTIONS"]["options"] == "-c jit=off -c work_mem=64MB -c default_transaction_read_only=on"
    assert default["OPTIONS"]["options"] == "-c jit=off -c work_mem=64MB"
    assert out["routers"] == ["portal.routers.ReplicaRouter"]
    assert BENCH_MIDDLEWARE not in out["middleware"]


@pytest.mark.slow
def test_the_session_options_can_be_replaced(tmp_path):
    out = json.loads(_settings(tmp_path, DATABASE_URL=PG, DATABASE_PG_OPTIONS="-c work_mem=16MB").stdout)
    assert out["databases"]["default"]["OPTIONS"]["options"] == "-c work_mem=16MB"


@pytest.mark.slow
def test_without_the_switches_there_is_one_database_and_no_router(tmp_path):
    out = json.loads(_settings(tmp_path, DATABASE_URL=PG).stdout)
    assert list(out["databases"]) == ["default"] and out["routers"] == []
    assert "pool" not in out["databases"]["default"].get("OPTIONS", {})


@pytest.mark.slow
def test_production_keeps_connections_open_unless_told_otherwise(tmp_path):
    def default_db(**env):
        result = _settings(tmp_path, DATABASE_URL=PG, **env)
        assert result.returncode == 0, result.stderr
        db = json.loads(result.stdout)["databases"]["default"]
        return db["CONN_MAX_AGE"], db["CONN_HEALTH_CHECKS"]

    assert default_db() == (60, True)  # production: a minute, checked before reuse
    assert default_db(DATABASE_CONN_MAX_AGE="600") == (600, True)
    assert default_db(DATABASE_CONN_MAX_AGE="0") == (0, False)  # closed after every request, when asked
    assert default_db(DJANGO_DEBUG="1") == (0, False)  # the development server: a thread per request
    assert default_db(DATABASE_POOL="1") == (0, False)  # the pool replaces persistent connections


@pytest.mark.slow
def test_pool_refuses_persistent_connections(tmp_path):
    result = _settings(tmp_path, DATABASE_URL=PG, DATABASE_POOL="1", DATABASE_CONN_MAX_AGE="60")
    assert result.returncode == 1
    assert "DATABASE_POOL and DATABASE_CONN_MAX_AGE exclude each other" in result.stderr


# --- the bench-only SQL recording ---------------------------------------------------------------------------


@pytest.mark.slow
def test_bench_middleware_is_absent_unless_asked_for_and_fails_the_deploy_check(tmp_path):
    out = json.loads(_settings(tmp_path, PATUH_BENCH_SQL="1").stdout)
    assert out["middleware"][0] == BENCH_MIDDLEWARE
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                  _production_env(tmp_path, PATUH_BENCH_SQL="1"))
    assert result.returncode != 0 and "patuh.W001" in result.stderr


def test_bench_middleware_counts_and_dumps_the_queries(analyst, make_case, settings, tmp_path):
    settings.MIDDLEWARE = [BENCH_MIDDLEWARE, *settings.MIDDLEWARE]
    settings.PATUH_BENCH_SQL_DUMP = str(tmp_path)
    make_case(submit=True)
    client = bearer_client(analyst)
    response = client.get("/api/v1/cases/", HTTP_X_PATUH_BENCH_DUMP="list1")
    assert int(response["X-Patuh-Queries"]) >= 2 and float(response["X-Patuh-DB-ms"]) >= 0
    dumped = json.loads((tmp_path / "list1.json").read_text())
    assert len(dumped) == int(response["X-Patuh-Queries"])
    assert all("%s" not in s["sql"] for s in dumped if connections["default"].vendor == "postgresql")
    other = client.get("/api/v1/cases/", REMOTE_ADDR="10.0.0.8")  # only loopback clients get the figures
    assert "X-Patuh-Queries" not in other
