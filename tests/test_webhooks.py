"""Webhooks, the change feed and bulk responses, per persona, with jobs run in this process (the immediate
backend, when the transaction commits). The worker processes are in tests/test_webhooks_worker.py."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook

from cases.api.services import deliveries, webhooks
from cases.api.services.tokens import create_token
from cases.cases.services.cases import add_comment
from cases.cases.services.sweeper import sweep
from cases.cases.workflow import TransitionError, transition
from cases.core import clock
from cases.core.choices import Category, EventKind, Visibility
from cases.models import DeliveryStatus, ServiceRecord, WebhookDelivery, WebhookEndpoint
from tests.test_api_support import unthrottled  # noqa: F401
from tests.webhook_receiver import Receiver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unthrottled")]
PUBLIC_URL = "https://93.184.216.34/hooks"  # a public address literal: the guard needs no DNS for it


@pytest.fixture
def loopback(settings):
    settings.PATUH_FETCH_ALLOW_LOOPBACK_HTTP = True
    settings.PATUH_WEBHOOKS = {**settings.PATUH_WEBHOOKS, "READ_TIMEOUT": 1, "CONNECT_TIMEOUT": 1}


@pytest.fixture
def receiver(loopback):
    with Receiver() as r:
        yield r


def api(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {create_token(actor=user, name='t').key}")
    return client


# --- the delivery row travels with the event -------------------------------------------------------------------


def test_it_queues_the_delivery_in_the_transaction_of_the_submission(make_case, liaison_a, platform_a, analyst):
    endpoint = webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=PUBLIC_URL,
                                        event_types=["case.submitted"])
    case = make_case()
    transition(case, "submit", actor=analyst)
    delivery = WebhookDelivery.objects.get(case=case)
    assert delivery.endpoint == endpoint and delivery.status == DeliveryStatus.PENDING
    assert delivery.payload["type"] == "case.submitted"
    assert delivery.payload["data"]["event_id"] == case.events.get(kind=EventKind.SUBMITTED).pk
    # A refused transition queues nothing.
    with pytest.raises(TransitionError):
        transition(case, "submit", actor=analyst)
    assert WebhookDelivery.objects.filter(case=case).count() == 1


def test_only_what_the_platform_may_see_is_announced(make_case, liaison_a, platform_a, analyst):
    webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=PUBLIC_URL,
                             event_types=["case.submitted", "case.updated", "comment.shared"])
    draft = make_case()
    add_comment(draft, actor=analyst, text="draft note", visibility=Visibility.SHARED)  # not yet submitted
    case = make_case(submit=True)
    add_comment(case, actor=analyst, text="internal", visibility=Visibility.INTERNAL)
    add_comment(case, actor=analyst, text="shared", visibility=Visibility.SHARED)
    transition(case, "acknowledge", actor=liaison_a)
    kinds = list(WebhookDelivery.objects.order_by("id").values_list("event_type", flat=True))
    assert kinds == ["case.submitted", "comment.shared", "case.updated"]


def test_bulk_intake_queues_one_delivery_per_case_and_a_service_record(make_case, liaison_a, platform_a, analyst):
    webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=PUBLIC_URL, event_types=["case.submitted"])
    items = [{"platform": "telegram", "category": "terrorism", "location_url": f"https://t.me/bulk/{i}",
              "legal_basis": "UU ITE", "reasons": "r"} for i in range(5)]
    response = api(analyst).post("/api/v1/cases/bulk/", {"submit": True, "items": items}, format="json")
    assert response.status_code == 200, response.json()
    assert WebhookDelivery.objects.filter(event_type="case.submitted").count() == 5
    assert ServiceRecord.objects.filter(by_webhook=True, urgent=True).count() == 5


def test_it_delivers_with_a_signature_and_writes_the_receipt_on_the_timeline(
        make_case, liaison_a, platform_a, analyst, receiver, django_capture_on_commit_callbacks):
    endpoint = webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=receiver.url,
                                        event_types=["case.submitted"])
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(submit=True)
    (got,) = receiver.wait_for(1)
    assert Webhook(endpoint.secret).verify(got.body, got.headers)["data"]["case"]["reference"] == case.reference
    delivery = WebhookDelivery.objects.get(case=case)
    assert delivery.status == DeliveryStatus.DELIVERED and got.headers["webhook-id"] == delivery.message_id
    receipt = case.events.get(kind=EventKind.DELIVERED)
    assert receipt.visibility == Visibility.SHARED and "Telegram" in receipt.note
    assert ServiceRecord.objects.get(case=case).delivered_at is not None


def test_a_failure_is_retried_later_with_backoff_and_gives_up_after_the_schedule(
        make_case, liaison_a, platform_a, receiver, settings, django_capture_on_commit_callbacks):
    settings.PATUH_WEBHOOKS = {**settings.PATUH_WEBHOOKS, "RETRY_SCHEDULE": [60, 600]}
    endpoint = webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=receiver.url,
                                        event_types=["case.submitted"])
    receiver.default_status = 503
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(submit=True)
    delivery = WebhookDelivery.objects.get(case=case)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    wait = (delivery.next_attempt_at - delivery.attempt_log.get().attempted_at).total_seconds()
    assert 60 <= wait <= 74  # 60 s plus up to 20% jitter (counted from when the attempt was recorded)
    assert deliveries.deliver_due(endpoint.pk) == 0  # not due yet
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        assert deliveries.deliver_due(endpoint.pk) == 1
    with time_machine.travel(delivery.next_attempt_at + timedelta(hours=1)):
        assert deliveries.deliver_due(endpoint.pk) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 3 and "503" in delivery.last_error
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).failure_streak == 3


def test_redeliver_sends_again_with_the_same_id(make_case, liaison_a, platform_a, receiver,
                                                django_capture_on_commit_callbacks):
    webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=receiver.url, event_types=["case.submitted"])
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(submit=True)
    delivery = WebhookDelivery.objects.get(case=case)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(liaison_a).post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")
    assert response.status_code == 202
    got = receiver.wait_for(2)
    assert got[0].headers["webhook-id"] == got[1].headers["webhook-id"]
    assert delivery.attempt_log.count() == 2
    assert delivery.attempt_log.order_by("-number").first().requested_by == liaison_a
    assert case.events.filter(kind=EventKind.DELIVERED).count() == 1  # the receipt is written once


def test_redirects_are_not_followed_and_answers_are_capped(receiver, settings):
    from cases.core import outbound

    receiver.script((302, 0, b"", {"Location": "http://169.254.169.254/latest/meta-data/"}),
                    (200, 0, b"x" * 200_000, {}))
    moved = outbound.request("POST", receiver.url, body=b"{}", max_bytes=1024)
    assert moved.status == 302 and len(receiver.requests) == 1  # the redirect came back as it was
    big = outbound.request("POST", receiver.url, body=b"{}", max_bytes=1024)
    assert big.status == 200 and big.truncated and len(big.body) == 1024


# --- the SSRF guard on the way in -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "https://169.254.169.254/", "https://10.0.0.5/hook",
    "https://192.168.1.1/hook", "https://127.0.0.1/hook", "https://[::1]/hook", "https://[::ffff:10.0.0.1]/hook",
    "https://100.100.100.200/hook", "https://[fd00:ec2::254]/hook", "https://0.0.0.0/hook", "http://93.184.216.34/x",
    "https://user:pw@93.184.216.34/x", "ftp://93.184.216.34/x", "https://localhost/hook",
])
def test_private_metadata_loopback_and_plain_http_urls_are_refused(url, liaison_a, platform_a):
    response = api(liaison_a).post("/api/v1/webhooks/", {"url": url, "event_types": ["case.submitted"]},
                                   format="json")
    assert response.status_code == 400, response.json()
    assert "url" in response.json()["error"]["fields"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", ["https://[::1/hook", "https://[zz]/hook", "https://a]b/hook",
                                 "https://\u2100.com/hook", "https://[fe80::1%25eth0]/hook", "https://10.0.0.5/hook"])
def test_a_malformed_or_refused_url_gets_a_400_not_a_500(url, liaison_a, platform_a, client):
    """urlsplit raises ValueError for a broken IPv6 literal or a host NFKC turns into a path: it reached a 500 in
    the API and the console's endpoint form. The form also answered 500 for every URL the guard refused (the
    service's ValidationError named its field, which a form field's own clean may not)."""
    response = api(liaison_a).post("/api/v1/webhooks/", {"url": url, "event_types": ["case.submitted"]},
                                   format="json")
    assert response.status_code == 400, response.content[:300]
    assert "url" in response.json()["error"]["fields"]
    client.force_login(liaison_a)
    page = client.post("/platform/cases/webhookendpoint/add/", {"url": url, "event_types": ["case.submitted"],
                                                                "is_active": "on"})
    assert page.status_code == 200 and page.context["adminform"].form.errors["url"]
    assert not WebhookEndpoint.objects.exists()


def test_a_named_host_may_be_allowed_in_spite_of_the_guard(liaison_a, platform_a, settings):
    settings.PATUH_FETCH_ALLOW_HOSTS = ["localhost"]
    endpoint = webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url="https://localhost/hook",
                                        event_types=["case.submitted"])
    assert endpoint.url == "https://localhost/hook"


def test_loopback_over_http_only_with_the_development_setting(liaison_a, platform_a, settings):
    with pytest.raises(Exception, match="loopback"):
        webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url="http://127.0.0.1:9/hook",
                                 event_types=["case.submitted"])
    settings.PATUH_FETCH_ALLOW_LOOPBACK_HTTP = True
    webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url="http://127.0.0.1:9/hook",
                             event_types=["case.submitted"])
    with pytest.raises(Exception, match="link-local"):  # the setting opens loopback, nothing else
        webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url="http://169.254.169.254/",
                                 event_types=["case.submitted"])


# --- personas -----------------------------------------------------------------------------------------------------


def test_a_liaison_manages_only_their_platforms_endpoints(liaison_a, liaison_b, platform_a, platform_b):
    a = api(liaison_a)
    created = a.post("/api/v1/webhooks/", {"url": PUBLIC_URL, "event_types": ["case.submitted", "case.updated"],
                                           "description": "ticket queue"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["platform"] == "telegram" and body["secret"].startswith("whsec_")
    assert created["Cache-Control"] == "no-store"
    pk = body["id"]
    read = a.get(f"/api/v1/webhooks/{pk}/").json()
    assert "secret" not in read  # shown once
    assert a.patch(f"/api/v1/webhooks/{pk}/", {"event_types": ["case.overdue"]}, format="json").status_code == 200
    rotated = a.post(f"/api/v1/webhooks/{pk}/rotate-secret/").json()
    assert rotated["secret"] != body["secret"] and rotated["previous_secret_valid_until"]
    # Liaison B: A's endpoint does not exist for them, whatever they try; they cannot add one for A either.
    b = api(liaison_b)
    assert b.get("/api/v1/webhooks/").json()["results"] == []
    for method, path in [("get", f"/api/v1/webhooks/{pk}/"), ("patch", f"/api/v1/webhooks/{pk}/"),
                         ("post", f"/api/v1/webhooks/{pk}/rotate-secret/")]:
        assert getattr(b, method)(path, {}, format="json").status_code == 404
    refused = b.post("/api/v1/webhooks/", {"platform": "telegram", "url": PUBLIC_URL,
                                           "event_types": ["case.submitted"]}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["fields"]["platform"]
    assert WebhookEndpoint.objects.get().event_types == ["case.overdue"]


def test_ministry_reads_endpoints_administrators_manage_them_and_analysts_cannot(
        liaison_a, analyst, administrator, auditor, platform_a):
    endpoint = webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=PUBLIC_URL,
                                        event_types=["case.submitted"])
    for user in (analyst, auditor, administrator):
        assert api(user).get(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 200
    assert api(analyst).patch(f"/api/v1/webhooks/{endpoint.pk}/", {"is_active": False},
                              format="json").status_code == 403
    assert api(administrator).patch(f"/api/v1/webhooks/{endpoint.pk}/", {"is_active": False},
                                    format="json").status_code == 200
    assert api(administrator).post("/api/v1/webhooks/", {"url": PUBLIC_URL, "event_types": ["case.submitted"]},
                                   format="json").status_code == 400  # must say which platform


def test_a_liaison_sees_only_their_deliveries(make_case, liaison_a, liaison_b, platform_a, platform_b, analyst):
    webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=PUBLIC_URL, event_types=["case.submitted"])
    webhooks.create_endpoint(actor=liaison_b, platform=platform_b, url=PUBLIC_URL, event_types=["case.submitted"])
    case_a = make_case(submit=True)
    make_case(submit=True, platform=platform_b, url="https://facebook.com/x/1")
    a_delivery = WebhookDelivery.objects.get(case=case_a)
    listed = api(liaison_b).get("/api/v1/webhook-deliveries/").json()["results"]
    assert len(listed) == 1 and listed[0]["case"] != case_a.reference
    assert api(liaison_b).get(f"/api/v1/webhook-deliveries/{a_delivery.pk}/").status_code == 404
    assert api(liaison_b).post(f"/api/v1/webhook-deliveries/{a_delivery.pk}/redeliver/").status_code == 404
    assert api(liaison_b).get(f"/api/v1/webhook-deliveries/?endpoint={a_delivery.endpoint_id}").json()[
        "results"] == []
    assert len(api(analyst).get("/api/v1/webhook-deliveries/").json()["results"]) == 2


def test_consoles_answer_404_for_another_platforms_endpoint_and_delivery(client, make_case, liaison_a, liaison_b,
                                                                         platform_a, platform_b):
    endpoint = webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=PUBLIC_URL,
                                        event_types=["case.submitted"])
    delivery = WebhookDelivery.objects.get(case=make_case(submit=True))
    client.force_login(liaison_b)
    for url in [f"/platform/cases/webhookendpoint/{endpoint.pk}/change/",
                f"/platform/cases/webhookdelivery/{delivery.pk}/change/"]:
        assert client.get(url).status_code == 404
    for url in [f"/platform/cases/webhookendpoint/{endpoint.pk}/rotate-secret/",
                f"/platform/cases/webhookdelivery/{delivery.pk}/redeliver/"]:
        assert client.post(url).status_code == 404
    assert endpoint.url not in client.get("/platform/cases/webhookendpoint/").content.decode()
    client.force_login(liaison_a)
    assert client.get(f"/platform/cases/webhookendpoint/{endpoint.pk}/change/").status_code == 200
    assert client.get(f"/platform/cases/webhookdelivery/{delivery.pk}/change/").status_code == 200


# --- the change feed ------------------------------------------------------------------------------------------------


def test_the_change_feed_is_resumable_and_never_shows_another_platforms_events(
        make_case, liaison_a, liaison_b, platform_b, analyst):
    case_a = make_case(submit=True)
    add_comment(case_a, actor=analyst, text="internal note", visibility=Visibility.INTERNAL)
    case_b = make_case(submit=True, platform=platform_b, url="https://facebook.com/y/1")
    second_a = make_case(submit=True)
    a = api(liaison_a)
    first = a.get("/api/v1/events/?limit=1").json()
    assert [e["case"] for e in first["events"]] == [case_a.reference] and first["has_more"] is True
    rest = a.get(f"/api/v1/events/?after={first['next']}").json()
    seen = first["events"] + rest["events"]
    assert [e["case"] for e in seen] == [case_a.reference, second_a.reference]
    assert [e["kind"] for e in seen] == ["submitted", "submitted"]  # not the drafts' creation, not internal notes
    assert rest["has_more"] is False
    transition(case_a, "acknowledge", actor=liaison_a)
    transition(case_b, "acknowledge", actor=liaison_b)
    later = a.get(f"/api/v1/events/?after={rest['next']}").json()
    assert [(e["case"], e["kind"]) for e in later["events"]] == [(case_a.reference, "acknowledged")]
    everything = api(analyst).get("/api/v1/events/?limit=1000").json()["events"]
    assert {e["case"] for e in everything} == {case_a.reference, case_b.reference, second_a.reference}
    assert a.get("/api/v1/events/?after=abc").status_code == 400


def test_cases_filter_by_updated_since(make_case, liaison_a):
    old = make_case(submit=True)
    with time_machine.travel(clock.now() + timedelta(hours=1)):
        new = make_case(submit=True)
        since = (clock.now() - timedelta(minutes=1)).isoformat()
    listed = api(liaison_a).get("/api/v1/cases/", {"updated_since": since}).json()["results"]
    assert [c["reference"] for c in listed] == [new.reference] and old.reference not in str(listed)


@pytest.mark.postgres
def test_updated_since_is_read_from_an_index_on_postgresql(make_case, liaison_a):
    """A platform polling every minute asks for the few cases changed since its last poll: PostgreSQL can find them
    by `updated_at` (review r16: there was no index, so each poll read every case of the platform)."""
    from django.db import connection

    from cases.models import Case

    make_case(submit=True)
    sql, params = Case.objects.filter(updated_at__gte=clock.now()).values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "case_updated_since" in plan, plan


# --- bulk responses --------------------------------------------------------------------------------------------------


def test_bulk_responses_judge_each_item_on_its_own(make_case, liaison_a, platform_b):
    ok, objected, done_already = make_case(submit=True), make_case(submit=True), make_case(submit=True)
    transition(done_already, "acknowledge", actor=liaison_a)
    other = make_case(submit=True, platform=platform_b, url="https://facebook.com/z/1")
    now = clock.now().isoformat()
    items = [
        {"reference": ok.reference, "action": "report_action", "action_taken": "removed", "action_taken_at": now},
        {"reference": objected.reference, "action": "object", "reason": "lawful", "text": "Satire."},
        {"reference": done_already.reference, "action": "acknowledge"},
        {"reference": other.reference, "action": "acknowledge"},
        {"reference": ok.reference, "action": "verify"},
        {"reference": objected.reference, "action": "report_action"},
        "not an object",
    ]
    client = api(liaison_a)
    response = client.post("/api/v1/cases/transitions/bulk/", {"items": items}, format="json",
                           HTTP_IDEMPOTENCY_KEY="sync-1")
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [r["result"] for r in results] == ["done", "done", "refused", "not_found", "invalid", "refused",
                                              "invalid"]
    assert results[0]["status"] == "actioned" and results[1]["status"] == "objected"
    assert results[2]["code"] == "state"
    assert response.json()["counts"] == {"done": 2, "refused": 2, "invalid": 2, "not_found": 1}
    replay = client.post("/api/v1/cases/transitions/bulk/", {"items": items}, format="json",
                         HTTP_IDEMPOTENCY_KEY="sync-1")
    assert replay.json() == response.json() and replay["Idempotent-Replayed"] == "true"
    too_many = client.post("/api/v1/cases/transitions/bulk/", {"items": [{}] * 1001}, format="json")
    assert too_many.status_code == 400


# --- proof of service and the fallback ------------------------------------------------------------------------------


def test_an_urgent_order_not_delivered_nor_opened_falls_back_to_email_and_alerts_supervisors(
        make_case, liaison_a, platform_a, supervisor, client):
    webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=PUBLIC_URL, event_types=["case.submitted"])
    case = make_case(submit=True, category=Category.TERRORISM)
    quiet = make_case(submit=True, category=Category.TERRORISM)
    client.force_login(liaison_a)
    client.get(f"/platform/cases/case/{quiet.pk}/change/")  # a liaison opened this one: it was seen
    mail.outbox.clear()
    with time_machine.travel(clock.now() + timedelta(minutes=14)):
        sweep()
    assert not [m for m in mail.outbox if "Not yet received" in m.subject]
    with time_machine.travel(clock.now() + timedelta(minutes=16)):
        report = sweep()
        assert report.webhooks.fallbacks == [case.reference]
        sweep()  # once only
    fallback = [m for m in mail.outbox if "Not yet received" in m.subject]
    assert {m.to[0] for m in fallback} == {liaison_a.email, platform_a.contact_email}
    client.force_login(supervisor)
    page = client.get("/admin/").content.decode()
    assert "Orders that have not reached the platform" in page and case.reference in page
    assert quiet.reference not in page.split('id="webhook-alerts"')[1].split("</div>")[0]


def test_a_failing_endpoint_shows_on_the_dashboard(liaison_a, platform_a, supervisor, client):
    endpoint = webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=PUBLIC_URL,
                                        event_types=["case.submitted"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_streak=7)
    client.force_login(supervisor)
    page = client.get("/admin/").content.decode()
    assert PUBLIC_URL in page and "7 failures in a row" in page


def test_an_administrator_adds_an_endpoint_for_any_platform_in_the_ministry_console(
        client, administrator, analyst, platform_a, platform_b, caplog):
    client.force_login(administrator)
    page = client.get("/admin/cases/webhookendpoint/add/")
    assert page.status_code == 200 and "Facebook" in page.content.decode()
    response = client.post("/admin/cases/webhookendpoint/add/", {
        "platform": platform_b.pk, "url": PUBLIC_URL, "event_types": ["case.submitted"], "description": "",
        "is_active": "on", "_save": "Save"})
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.platform == platform_b and endpoint.secret in response.content.decode()  # shown once
    assert "no-store" in response["Cache-Control"]
    assert endpoint.secret not in client.get(f"/admin/cases/webhookendpoint/{endpoint.pk}/change/").content.decode()
    assert any("webhook endpoint" in r.getMessage() and endpoint.secret not in r.getMessage() for r in caplog.records)
    client.force_login(analyst)  # analysts read endpoints, but neither add nor change them
    assert client.get("/admin/cases/webhookendpoint/add/").status_code == 403
    assert client.get(f"/admin/cases/webhookendpoint/{endpoint.pk}/change/").status_code == 200
    assert client.post(f"/admin/cases/webhookendpoint/{endpoint.pk}/rotate-secret/").status_code == 404


# --- signing secrets at rest (review r16) ------------------------------------------------------------------------


def _stored(endpoint) -> tuple[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret, previous_secret FROM cases_webhookendpoint WHERE id = %s", [endpoint.pk])
        return cursor.fetchone()


def test_the_database_holds_no_signing_secret_in_plain_text(liaison_a, platform_a, make_case, receiver):
    """Whoever reads the database alone (a backup, the reporting replica) could sign orders as the ministry."""
    endpoint = webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=receiver.url,
                                        event_types=["case.submitted"])
    shown = endpoint.secret
    rotated = webhooks.rotate_secret(endpoint, actor=liaison_a)
    secret, previous = _stored(endpoint)
    assert secret.startswith("fernet:") and previous.startswith("fernet:")
    assert rotated.secret not in secret and shown not in previous and shown[6:] not in previous
    # Read back through the model, both sign: a receiver holding either secret verifies the delivery.
    case = make_case(submit=True)
    deliveries.deliver_due(endpoint.pk)
    got = receiver.requests[-1]
    for key in (shown, rotated.secret):
        assert Webhook(key).verify(got.body, got.headers)["data"]["case"]["reference"] == case.reference


def test_a_secret_key_rotated_with_its_fallback_still_signs(liaison_a, platform_a, settings):
    endpoint = webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=PUBLIC_URL,
                                        event_types=["case.submitted"])
    shown = endpoint.secret
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 50, [settings.SECRET_KEY]
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == shown


def test_a_secret_that_cannot_be_opened_fails_the_attempt_with_a_sentence(liaison_a, platform_a, make_case, receiver,
                                                                           settings):
    endpoint = webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=receiver.url,
                                        event_types=["case.submitted"])
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 50, []  # the old key is gone
    make_case(submit=True)
    deliveries.deliver_due(endpoint.pk)
    assert receiver.requests == []  # never signed with an empty key
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and "rotate" in delivery.last_error
    fresh = webhooks.rotate_secret(WebhookEndpoint.objects.get(pk=endpoint.pk), actor=liaison_a)
    webhooks.redeliver(delivery, actor=liaison_a)
    deliveries.deliver_due(endpoint.pk)
    Webhook(fresh.secret).verify(receiver.requests[-1].body, receiver.requests[-1].headers)


def test_a_secret_written_before_sealing_is_read_and_sealed_by_the_migration(liaison_a, platform_a):
    from django.db import connection

    endpoint = webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=PUBLIC_URL,
                                        event_types=["case.submitted"])
    plain = "whsec_" + "A" * 44
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_webhookendpoint SET secret = %s WHERE id = %s", [plain, endpoint.pk])
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == plain  # read as it is
    import importlib

    from django.apps import apps

    migration = importlib.import_module("cases.migrations.0024_webhook_secrets_sealed")
    migration.seal_existing(apps, connection.schema_editor())
    assert _stored(endpoint)[0].startswith("fernet:")
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == plain


# --- a hanging endpoint does not hold a worker (review r16) ------------------------------------------------------


def test_a_receiver_that_hangs_holds_a_job_for_its_time_budget_not_its_whole_batch(make_case, liaison_a, platform_a,
                                                                                      receiver, settings):
    """A job sent its whole batch (50) before looking at its 30 s budget: to a receiver that never answers, 50 read
    timeouts (12 minutes of a worker) while other platforms' orders waited in the queue. It now stops at its budget
    and hands the unsent ones back at once, unclaimed, for the next job (or another worker)."""
    settings.PATUH_WEBHOOKS = {**settings.PATUH_WEBHOOKS, "READ_TIMEOUT": 0.3}
    endpoint = webhooks.create_endpoint(actor=liaison_a, platform=platform_a, url=receiver.url,
                                        event_types=["case.submitted"])
    for _n in range(6):
        make_case(submit=True)
    receiver.script(*[(200, 1.0)] * 6)  # each answer comes after the read timeout
    attempts = deliveries.deliver_due(endpoint.pk, time_budget=0.5)
    assert 1 <= attempts < 6
    waiting = WebhookDelivery.objects.filter(attempts=0)
    assert waiting.count() == 6 - attempts
    assert all(d.claim_token == "" and d.claimed_at is None for d in waiting)  # claimable now, not after 60 s
    assert len(deliveries.claim(endpoint.pk)) == 6 - attempts
