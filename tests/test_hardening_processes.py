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

from cases.api.services.tokens import create_token
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
    log = open(Path(env["PATUH_VAR_DIR"]) / f"gunicorn-{port}.log", "w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--timeout", str(timeout), "--access-logfile", "-", "--access-logformat", "%(p)s %(s)s"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
    )
    process.log = log
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/api/v1/nothing/", timeout=10)
                break
            except (requests.ConnectionError, requests.Timeout):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(Path(log.name).read_text()) from None
                time.sleep(0.2)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


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
    from cases.core import roles

    return create_token(actor=make_user("crawler", roles.ANALYST), name="crawler").key


@pytest.mark.parametrize("cache", ["database", "redis"])
def test_the_rate_limits_hold_across_two_gunicorn_workers(cache, tmp_path, analyst_token, capsys):
    anon, bulk = _rate("anon"), _rate("bulk")
    with shared_database(tmp_path) as url:
        extra = {"PATUH_REDIS_URL": REDIS_URL, "PATUH_CACHE_PREFIX": f"test-{uuid.uuid4().hex}"} \
            if cache == "redis" else {}
        env = server_env(url, tmp_path, **extra)
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

    from cases.core.cache import TABLE, create_cache_table

    assert TABLE in connection.introspection.table_names()  # made by migrate (post_migrate), whatever the cache
    settings.CACHES = {"default": {"BACKEND": "cases.core.cache.DatabaseCache", "LOCATION": TABLE}}
    create_cache_table(using="default")  # idempotent
    from django.core.cache import caches

    cache = caches.create_connection("default")
    cache.add("n", 0, timeout=600)
    assert [cache.incr("n") for _ in range(3)] == [1, 2, 3] and cache.decr("n") == 2
    with pytest.raises(ValueError):
        cache.incr("missing")


# --- 4. a worker killed in the middle of an upload -----------------------------------------------------------


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def test_a_killed_upload_leaves_bytes_the_orphan_check_lists_and_deletes_and_nothing_else(tmp_path, make_case,
                                                                                          analyst, settings):
    import http.client
    import signal

    from cases.evidence.services.evidence import upload_evidence
    from cases.models import Evidence
    from tests.test_evidence_support import PNG, uploaded

    root = tmp_path / "evidence"
    settings.EVIDENCE_ROOT = root
    case = make_case(submit=True)
    kept = upload_evidence(case=case, actor=analyst, file=uploaded("kept.png", PNG), kind="screenshot",
                           visibility="internal")
    token = create_token(actor=analyst, name="uploader").key
    with shared_database(tmp_path) as url:
        env = server_env(url, tmp_path, PATUH_EVIDENCE_ROOT=str(root))
        with gunicorn(env, workers=1, timeout=120) as (base, process):
            port = int(base.rsplit(":", 1)[1])
            boundary = "killedupload"
            head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\n"
                    f"Content-Type: image/png\r\n\r\n").encode()
            total = 8 * 1024 * 1024
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.putrequest("POST", f"/api/v1/cases/{case.reference}/evidence/")
            connection.putheader("Authorization", f"Bearer {token}")
            connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
            connection.putheader("Content-Length", str(len(head) + total))
            connection.endheaders()
            try:
                connection.send(head + PNG)
                for _ in range(5):  # 5 MB of the 8: past the 2.5 MB that Django keeps in memory
                    connection.send(b"\0" * (1024 * 1024))
            except BrokenPipeError:
                raise AssertionError(Path(process.log.name).read_text()) from None
            incoming = root / ".incoming"
            deadline = time.monotonic() + 30
            while not (incoming.exists() and any(p.stat().st_size > 2 * 1024 * 1024 for p in incoming.iterdir())):
                assert time.monotonic() < deadline, "the upload never reached the spool"
                time.sleep(0.1)
            for pid in worker_pids(process.pid):
                os.kill(pid, signal.SIGKILL)
            connection.close()
        leftovers = sorted(p.name for p in incoming.iterdir())
        manage = [sys.executable, str(MANAGE), "verify_evidence", "--orphans"]
        young = subprocess.run(manage, env=env, capture_output=True, text=True, timeout=60)
        listed = subprocess.run([*manage, "--older-than", "0"], env=env, capture_output=True, text=True, timeout=60)
        kept_young = subprocess.run([*manage, "--delete"], env=env, capture_output=True, text=True, timeout=60)
        after_young = sorted(p.name for p in incoming.iterdir())
        deleted = subprocess.run([*manage, "--delete", "--older-than", "0"], env=env, capture_output=True, text=True,
                                 timeout=60)
        after = subprocess.run([*manage, "--older-than", "0"], env=env, capture_output=True, text=True, timeout=60)
        verify = subprocess.run([sys.executable, str(MANAGE), "verify_evidence", "--no-progress"], env=env,
                                capture_output=True, text=True, timeout=60)
    # (The command speaks the site's language, Indonesian: the checks read names and exit statuses, not sentences.)
    assert young.returncode == 0 and ".incoming/" not in young.stdout, young.stdout
    assert leftovers, "the killed upload left nothing to find"
    assert listed.returncode == 1, listed.stdout + listed.stderr
    assert all(f".incoming/{name}" in listed.stdout for name in leftovers), (leftovers, listed.stdout)
    assert "unfinished" in listed.stdout and kept.file.name not in listed.stdout
    assert kept_young.returncode == 0 and after_young == leftovers  # younger than the safe age: kept
    assert deleted.returncode == 0 and deleted.stdout.count(".incoming/") == len(leftovers), deleted.stdout
    assert "removed orphaned evidence bytes" in deleted.stderr
    assert list(incoming.iterdir()) == [] and after.returncode == 0
    assert (root / kept.file.name).exists() and Evidence.objects.count() == 1
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_the_orphan_check_finds_a_stored_file_whose_row_was_never_committed(tmp_path, make_case, analyst, settings):
    from io import StringIO

    from django.core.files.base import ContentFile
    from django.core.management import CommandError, call_command

    from cases.core.storage import evidence_storage, stored_name
    from cases.evidence.services.evidence import upload_evidence
    from tests.test_evidence_support import PNG, uploaded

    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    case = make_case(submit=True)
    kept = upload_evidence(case=case, actor=analyst, file=uploaded("kept.png", PNG), kind="screenshot",
                           visibility="internal")
    stray = evidence_storage().save(stored_name("ab" * 32, "png"), ContentFile(PNG))
    out = StringIO()
    with pytest.raises(CommandError):  # exit status 1: there are orphans
        call_command("verify_evidence", "--orphans", "--older-than", "0", stdout=out)
    assert stray in out.getvalue() and "unrecorded" in out.getvalue() and kept.file.name not in out.getvalue()
    call_command("verify_evidence", "--orphans", "--delete", "--older-than", "0", stdout=StringIO())
    assert not evidence_storage().exists(stray) and evidence_storage().exists(kept.file.name)
