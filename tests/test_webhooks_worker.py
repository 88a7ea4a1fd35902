"""Webhooks end to end: real worker processes (`manage.py worker`, the database queue) deliver to a real HTTP
receiver on loopback, on SQLite and on PostgreSQL.

The test and its workers share one database: on PostgreSQL the test database itself; on SQLite (whose test
database lives in memory) a file copy of it that the test switches to for its own duration. Retries, timeouts and
the stale-claim limit are shortened through the environment, as an operator would set them.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from cases.api.services import webhooks
from cases.api.services.deliveries import housekeeping
from cases.core.choices import Category, EventKind
from cases.models import Case, DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.webhook_receiver import Receiver

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MANAGE = Path(__file__).resolve().parent.parent / "manage.py"
TIMINGS = {"PATUH_WEBHOOK_RETRY_SCHEDULE": "1,1,1", "PATUH_WEBHOOK_READ_TIMEOUT": "1",
           "PATUH_WEBHOOK_CONNECT_TIMEOUT": "1", "PATUH_WEBHOOK_CLAIM_TIMEOUT": "4"}


@contextmanager
def shared_database(tmp_path):
    """The database URL a worker process can reach, with the test's own connection pointed at it too."""
    original = connections["default"]
    params = original.settings_dict
    if original.vendor == "postgresql":
        yield (f"postgres://{params['USER']}@{params['HOST'] or '127.0.0.1'}:{params['PORT'] or 5432}/"
               f"{params['NAME']}")
        return
    path = tmp_path / "shared.sqlite3"
    original.ensure_connection()
    copy = sqlite3.connect(path)
    original.connection.backup(copy)
    copy.close()
    wrapper = original.__class__({**params, "NAME": str(path)}, alias="default")
    connections["default"] = wrapper
    try:
        yield f"sqlite:///{path}"
    finally:
        wrapper.close()
        connections["default"] = original


class Workers:
    def __init__(self, env: dict):
        self.env = env
        self.processes: list[subprocess.Popen] = []

    def start(self, **extra_env) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, str(MANAGE), "worker", "--no-startup-delay", "--interval", "0.1", "-v", "0"],
            env={**self.env, **extra_env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        self.processes.append(process)
        return process

    def sweep(self):
        subprocess.run([sys.executable, str(MANAGE), "sweep_deadlines", "--no-send"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL, timeout=60)

    def stop_all(self):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(transactional_db, tmp_path, settings):
    settings.PATUH_FETCH_ALLOW_LOOPBACK_HTTP = True
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "webhooks"]}}
    settings.PATUH_WEBHOOKS = {**settings.PATUH_WEBHOOKS, "RETRY_SCHEDULE": [1, 1, 1], "READ_TIMEOUT": 1,
                               "CONNECT_TIMEOUT": 1, "CLAIM_TIMEOUT": 4}
    with shared_database(tmp_path) as url:
        # The workers share the web's SECRET_KEY, as in production: signing secrets are sealed with it.
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_SECRET_KEY": settings.SECRET_KEY,
               "DATABASE_URL": url, "PATUH_FETCH_ALLOW_LOOPBACK_HTTP": "1", "PATUH_VAR_DIR": str(tmp_path),
               "PATUH_TASKS_BACKEND": "django_tasks_db.DatabaseBackend", **TIMINGS}
        env.pop("DJANGO_DEBUG", None)
        pool = Workers(env)
        try:
            yield pool
        finally:
            pool.stop_all()


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def _world(make_case_fixture, liaison, platform, receiver, events=("case.submitted",)):
    endpoint = webhooks.create_endpoint(actor=liaison, platform=platform, url=receiver.url, event_types=list(events))
    return endpoint


def _wait(predicate, timeout=20, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_it_delivers_a_submission_once_signed_so_that_standardwebhooks_verifies_it(
        workers, receiver, make_case, liaison_a, platform_a):
    endpoint = _world(make_case, liaison_a, platform_a, receiver)
    workers.start()
    case = make_case(submit=True, category=Category.TERRORISM)
    (got,) = receiver.wait_for(1)
    payload = Webhook(endpoint.secret).verify(got.body, got.headers)
    assert payload["type"] == "case.submitted"
    assert payload["data"]["case"]["reference"] == case.reference
    assert payload["data"]["case"]["url"].endswith(f"/api/v1/cases/{case.reference}/")
    assert "reasons" not in got.body.decode() and case.location_url not in got.body.decode()  # a thin payload
    _wait(lambda: WebhookDelivery.objects.get(case=case).status == DeliveryStatus.DELIVERED, what="delivered")
    delivery = WebhookDelivery.objects.get(case=case)
    assert got.headers["webhook-id"] == delivery.message_id
    assert delivery.attempts == 1
    # Proof of service on the case's timeline, once.
    _wait(lambda: case.events.filter(kind=EventKind.DELIVERED).exists(), what="timeline receipt")
    receipt = case.events.get(kind=EventKind.DELIVERED)
    assert "Telegram" in receipt.note
    time.sleep(1)
    assert len(receiver.requests) == 1  # once


def test_a_receiver_that_fails_twice_gets_it_on_the_third_try_with_the_same_webhook_id(
        workers, receiver, make_case, liaison_a, platform_a):
    _world(make_case, liaison_a, platform_a, receiver)
    receiver.script(500, 500, 200)
    workers.start()
    case = make_case(submit=True)
    got = receiver.wait_for(3, timeout=30)
    assert len({r.headers["webhook-id"] for r in got}) == 1
    _wait(lambda: WebhookDelivery.objects.get(case=case).status == DeliveryStatus.DELIVERED, what="delivered")
    delivery = WebhookDelivery.objects.get(case=case)
    assert [a.status_code for a in delivery.attempt_log.order_by("number")] == [500, 500, 200]
    gaps = [b.at - a.at for a, b in zip(got, got[1:], strict=False)]
    assert all(gap >= 0.9 for gap in gaps), gaps  # backoff: at least the schedule's second, with jitter above it


def test_a_slow_receiver_times_out_and_is_retried(workers, receiver, make_case, liaison_a, platform_a):
    _world(make_case, liaison_a, platform_a, receiver)
    receiver.script((200, 3.0), 200)  # the first answer comes after the 1 s read timeout
    workers.start()
    case = make_case(submit=True)
    got = receiver.wait_for(2, timeout=30)
    assert got[0].headers["webhook-id"] == got[1].headers["webhook-id"]
    _wait(lambda: WebhookDelivery.objects.get(case=case).status == DeliveryStatus.DELIVERED, what="delivered")
    first, second = WebhookDelivery.objects.get(case=case).attempt_log.order_by("number")
    assert first.status_code is None and first.error and first.latency_ms >= 900  # gave up at the 1 s read timeout
    assert second.status_code == 200


def test_410_gone_disables_the_endpoint(workers, receiver, make_case, liaison_a, platform_a):
    endpoint = _world(make_case, liaison_a, platform_a, receiver)
    receiver.script(410)
    workers.start()
    case = make_case(submit=True)
    receiver.wait_for(1)
    _wait(lambda: WebhookEndpoint.objects.get(pk=endpoint.pk).disabled_at is not None, what="disabled")
    assert WebhookDelivery.objects.get(case=case).status == DeliveryStatus.FAILED
    assert "410" in WebhookEndpoint.objects.get(pk=endpoint.pk).disabled_reason
    make_case(submit=True)  # nothing more is queued for a disabled endpoint
    time.sleep(1.5)
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1


def test_a_worker_killed_mid_delivery_leads_to_a_redelivery_with_the_same_id(
        workers, receiver, make_case, liaison_a, platform_a):
    _world(make_case, liaison_a, platform_a, receiver)
    receiver.script((200, 0.8), 200)  # the first request is held open while the worker is killed
    doomed = workers.start()
    case = make_case(submit=True)
    receiver.wait_for(1)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    delivery = WebhookDelivery.objects.get(case=case)
    assert delivery.status == DeliveryStatus.PENDING and delivery.claimed_at is not None  # the dead worker's claim
    workers.start()
    time.sleep(4.5)  # past PATUH_WEBHOOK_CLAIM_TIMEOUT
    workers.sweep()  # the sweeper (cron, or `make run`) queues what nobody is sending
    got = receiver.wait_for(2, timeout=30)
    assert got[0].headers["webhook-id"] == got[1].headers["webhook-id"] == delivery.message_id
    _wait(lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DELIVERED, what="delivered")


def test_jobs_queued_while_no_worker_runs_are_delivered_when_one_starts_and_several_workers_share_them(
        workers, receiver, make_case, liaison_a, platform_a):
    _world(make_case, liaison_a, platform_a, receiver)
    cases = [make_case(submit=True) for _ in range(30)]  # nobody is running: jobs wait in the database
    time.sleep(0.5)
    assert receiver.requests == []
    workers.start()
    workers.start()
    got = receiver.wait_for(30, timeout=60)
    ids = [r.headers["webhook-id"] for r in got]
    assert len(set(ids)) == 30
    _wait(lambda: WebhookDelivery.objects.filter(case__in=cases, status=DeliveryStatus.DELIVERED).count() == 30,
          what="all delivered")
    time.sleep(0.5)
    assert len(receiver.requests) == 30  # each once, although two workers shared the queue


def test_a_rotated_secret_verifies_with_both_secrets_during_the_overlap(
        workers, receiver, make_case, liaison_a, platform_a):
    endpoint = _world(make_case, liaison_a, platform_a, receiver)
    old_secret = endpoint.secret
    rotated = webhooks.rotate_secret(endpoint, actor=liaison_a)
    assert rotated.secret != old_secret
    workers.start()
    make_case(submit=True)
    (got,) = receiver.wait_for(1)
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(old_secret).verify(got.body, got.headers)  # a receiver not yet switched
    Webhook(rotated.secret).verify(got.body, got.headers)  # a receiver already switched
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(got.body, got.headers)


def test_the_worker_refuses_at_send_time_an_address_the_guard_forbids(
        workers, receiver, make_case, liaison_a, platform_a):
    """The URL was accepted while loopback was allowed; a worker without that development setting re-checks the
    address it is about to connect to and refuses (as it would a host whose DNS now points inside)."""
    _world(make_case, liaison_a, platform_a, receiver)
    workers.start(PATUH_FETCH_ALLOW_LOOPBACK_HTTP="0")
    case = make_case(submit=True)
    _wait(lambda: WebhookAttempt.objects.filter(delivery__case=case).exists(), what="an attempt")
    attempt = WebhookAttempt.objects.get(delivery__case=case)
    assert attempt.status_code is None and "loopback" in attempt.error
    assert receiver.requests == []


def test_housekeeping_finds_nothing_to_do_when_all_is_delivered(workers, receiver, make_case, liaison_a, platform_a):
    _world(make_case, liaison_a, platform_a, receiver)
    workers.start()
    case = make_case(submit=True)
    receiver.wait_for(1)
    _wait(lambda: WebhookDelivery.objects.get(case=case).status == DeliveryStatus.DELIVERED, what="delivered")
    assert housekeeping().requeued_endpoints == 0
    assert Case.objects.get(pk=case.pk).service_records.get().delivered_at is not None
    assert django_settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
