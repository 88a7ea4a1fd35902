"""Issue 12 over real processes: the rate limits hold across two gunicorn workers (database cache and Redis),
and a worker killed in the middle of an upload leaves bytes that `verify_evidence --orphans` finds and
`--orphans --delete` removes, and nothing else.

Servers run portal.settings (production settings, DEBUG off) on a copy of the test database
(tests/test_webhooks_worker.shared_database), the way `gunicorn portal.wsgi` runs in production.
"""

import os
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings

from cases.services.tokens import create_token
from tests.conftest import make_user
from tests.test_webhooks_worker import shared_database

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "manage.py"
REDIS_URL = os.environ.get("PATUH_TEST_REDIS_URL", "redis://127.0.0.1:6379/2")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, tmp_path, **extra) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_SECRET_KEY": "process-test-key",
           "DATABASE_URL": database_url, "PATUH_VAR_DIR": str(tmp_path), "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
           "PATUH_SSL_REDIRECT": "0", "PATUH_PUBLIC_TRANSPARENCY": "1", **extra}
    for name in ("DJANGO_DEBUG", "PATUH_REDIS_URL", "CACHE_URL"):
        if name not in extra:
            env.pop(name, None)
    return env


@contextmanager
def gunicorn(env: dict, *, workers: int = 2, timeout: int = 30):
    """`gunicorn portal.wsgi` with `workers` sync workers; the access log names the worker (pid) per request."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--timeout", str(timeout), "--access-logfile", "-", "--access-logformat", "%(p)s %(s)s"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/api/v1/nothing/", timeout=2)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.stderr.read()) from None
                time.sleep(0.2)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def pids_of(process) -> Counter:
    """Requests served per worker, from the access log (read after the server stopped)."""
    return Counter(line.split()[0] for line in process.stdout.read().splitlines() if line.strip())


# --- 6. rate limits across two workers ---------------------------------------------------------------------


def _rate(scope: str) -> int:
    return int(django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope].split("/")[0])


def _inside_one_minute():
    """Start well inside a minute, so the burst below is counted in one window of the limit."""
    if time.time() % 60 > 45:
        time.sleep(61 - time.time() % 60)


def burst(method, url, n: int, headers: dict | None = None, **kwargs) -> Counter:
    headers = {"Connection": "close", **(headers or {})}

    def one(_):
        return method(url, headers=headers, timeout=30, **kwargs).status_code

    with ThreadPoolExecutor(8) as pool:
        return Counter(pool.map(one, range(n)))


@pytest.fixture
def analyst_token(transactional_db):
    from cases import roles

    return create_token(actor=make_user("crawler", roles.ANALYST), name="crawler").key


@pytest.mark.parametrize("cache", ["database", "redis"])
def test_the_rate_limits_hold_across_two_gunicorn_workers(cache, tmp_path, analyst_token, capsys):
    anon, bulk = _rate("anon"), _rate("bulk")
    with shared_database(tmp_path) as url:
        extra = {"PATUH_REDIS_URL": REDIS_URL, "PATUH_CACHE_PREFIX": f"test-{uuid.uuid4().hex}"} \
            if cache == "redis" else {}
        env = server_env(url, tmp_path, **extra)
        if cache == "database":
            subprocess.run([sys.executable, str(MANAGE), "createcachetable"], env=env, check=True, timeout=60)
        _inside_one_minute()
        with gunicorn(env) as (base, process):
            public = burst(requests.get, f"{base}/api/v1/public/transparency/", anon + 40)
            crawler = burst(requests.post, f"{base}/api/v1/cases/bulk/", bulk + 80, json={"items": []},
                            headers={"Authorization": f"Bearer {analyst_token}"})
        served = pids_of(process)
    with capsys.disabled():
        print(f"\n[throttle/{cache}] anonymous: {public[200]} of {anon + 40} admitted (limit {anon}/minute); "
              f"bulk: {crawler[200]} of {bulk + 80} admitted (limit {bulk}/minute); requests per worker: "
              f"{sorted(served.values())}")
    assert len(served) == 2 and min(served.values()) > 20, served  # both workers served
    assert public == Counter({200: anon, 429: 40}), public
    assert crawler == Counter({200: bulk, 429: 80}), crawler


def test_the_readme_and_the_api_docs_state_the_limits_the_settings_hold():
    rates = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    readme, api = (ROOT / "README.md").read_text(), (ROOT / "docs" / "api.md").read_text()
    listed = ", ".join(f"`{rates[scope]}`" for scope in ("user", "anon", "ip", "bulk"))
    assert f"| `PATUH_API_RATE_USER` / `_ANON` / `_IP` / `_BULK` | rate limits | {listed} |" in readme
    assert f"{_rate('anon')} anonymous requests a minute" in readme and f"{_rate('bulk')} bulk calls a minute" in readme
    for scope in rates:
        assert f"| `PATUH_API_RATE_{scope.upper()}` |" in api and f"| `{rates[scope]}` |" in api, scope


def test_migrate_creates_the_database_cache_table(transactional_db, settings):
    from django.db import connection

    from cases.cache import TABLE, create_cache_table

    settings.CACHES = {"default": {"BACKEND": "cases.cache.DatabaseCache", "LOCATION": TABLE}}
    create_cache_table(using="default")  # what post_migrate runs
    assert TABLE in connection.introspection.table_names()
    from django.core.cache import caches

    cache = caches.create_connection("default")
    cache.add("n", 0, timeout=600)
    assert [cache.incr("n") for _ in range(3)] == [1, 2, 3] and cache.decr("n") == 2
    with pytest.raises(ValueError):
        cache.incr("missing")
