"""Webhooks in a real browser: the liaison adds an endpoint in the platform console and copies its secret, an
order reaches their receiver, they read the delivery log and click "Redeliver"; the analyst sees the receipt on
the case's timeline. Chromium as in tests/test_browser.py; the README's screenshots (docs/screenshots/webhook-*.png)
are copies of the ones this test leaves in tests/screenshots/."""

import pytest
from standardwebhooks.webhooks import Webhook

from cases.core.choices import Category, EventKind
from cases.models import WebhookDelivery, WebhookEndpoint
from tests.test_browser import SHOTS, _login
from tests.test_browser import browser as browser  # noqa: F401 - its fixture; skips like it without Chromium
from tests.webhook_receiver import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_liaison_subscribes_receives_an_order_and_redelivers_it(live_server, browser, liaison_a, analyst,
                                                                  make_case, settings):
    settings.PATUH_FETCH_ALLOW_LOOPBACK_HTTP = True
    base = live_server.url
    with Receiver() as receiver:
        page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
        _login(page, base, "platform", liaison_a.username)

        # 1. Add an endpoint: URL, events; the secret is shown once.
        page.goto(f"{base}/platform/cases/webhookendpoint/add/")
        page.fill("input[name=url]", receiver.url)
        page.check("input[name=event_types][value='case.overdue']")
        page.fill("input[name=description]", "Trust & safety ticket queue")
        page.click("input[type=submit][name=_save]")
        secret = page.input_value("#webhook-secret-value")
        assert secret.startswith("whsec_")
        endpoint = WebhookEndpoint.objects.get()
        assert endpoint.secret == secret and endpoint.event_types == ["case.submitted", "case.updated",
                                                                      "case.overdue"]
        page.screenshot(path=SHOTS / "webhook-secret.png")

        # 2. An order is submitted: it reaches the receiver, signed with that secret (the immediate job backend
        #    of the test settings sends it when the submission commits).
        case = make_case(submit=True, category=Category.TERRORISM, url="https://t.me/propaganda_channel/7")
        (got,) = receiver.wait_for(1)
        assert Webhook(secret).verify(got.body, got.headers)["data"]["case"]["reference"] == case.reference

        # 3. The endpoint page shows it; the delivery log shows the attempt; Redeliver sends it again, same id.
        page.goto(f"{base}/platform/cases/webhookendpoint/{endpoint.pk}/change/")
        assert case.reference in page.inner_text(".patuh-webhook-endpoint")
        page.screenshot(path=SHOTS / "webhook-endpoint.png", full_page=True)
        page.click("text=The whole delivery log")
        assert case.reference in page.inner_text("#result_list")
        page.screenshot(path=SHOTS / "webhook-deliveries.png", full_page=True)
        page.locator("#result_list tbody th a").first.click()
        page.click("button:has-text('Redeliver')")
        assert "Queued again" in page.inner_text(".messagelist")
        got = receiver.wait_for(2)
        assert got[0].headers["webhook-id"] == got[1].headers["webhook-id"]
        page.reload()
        assert page.locator("#attempt_log-group tbody tr").count() >= 2
        page.screenshot(path=SHOTS / "webhook-delivery.png", full_page=True)
        assert WebhookDelivery.objects.get(case=case).attempts == 2

        # 4. Rotate the secret: a new one, shown once.
        page.goto(f"{base}/platform/cases/webhookendpoint/{endpoint.pk}/change/")
        page.click("button:has-text('Rotate secret')")
        assert page.input_value("#webhook-secret-value") not in ("", secret)

    # 5. The analyst sees the proof of service on the case's timeline.
    ministry = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    _login(ministry, base, "admin", analyst.username)
    ministry.goto(f"{base}/admin/cases/case/{case.pk}/change/")
    assert "Telegram's system" in ministry.inner_text(".patuh-timeline")
    assert case.events.filter(kind=EventKind.DELIVERED).count() == 1
