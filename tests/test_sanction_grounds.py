"""Decisions with their grounds in view (issue 15): the cited cases and the fine preview, per persona."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from cases.cases.services.sweeper import sweep
from cases.core.choices import Category, SanctionLevel
from cases.core.money import format_amount
from cases.models import FineFactorValue, FinePolicy, Sanction, SanctionEvent
from cases.sanctions.services import sanctions

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def traveller():
    with time_machine.travel(T0, tick=False) as t:
        yield t


@pytest.fixture
def policy():
    p = FinePolicy.objects.create(name="PM Kominfo 2026", effective_from=T0.date() - timedelta(days=30),
                                  points_cap=500, tariff_per_point=Decimal("1000000"))
    for factor, key, value in [("content", "csam", "3.0"), ("content", "hoax", "0.8"),
                               ("platform_type", "social_media", "1.0"), ("business_scale", "large", "1.0"),
                               ("virality", "low", "0.16")]:
        FineFactorValue.objects.create(policy=p, factor=factor, key=key, value=Decimal(value))
    return p


@pytest.fixture
def fine_with_cases(traveller, make_case, supervisor, platform_a, policy):
    """Three rungs issued, then two overdue cases (one CSAM): the sweeper proposes a fine citing both."""
    for level in (1, 2, 3):
        s = sanctions.propose_sanction(platform=platform_a, level=level, actor=supervisor, reason="history",
                                       content_category=Category.HOAX, skip_reason="earlier decisions")
        sanctions.issue_sanction(s, actor=supervisor, letter_reference=f"ST{level}")
    csam = make_case(submit=True, category=Category.CSAM)
    hoax = make_case(submit=True, category=Category.HOAX)
    traveller.shift(timedelta(hours=30))
    sweep()
    fine = Sanction.objects.get(level=SanctionLevel.FINE)
    return fine, csam, hoax


def test_money_in_each_language():
    assert format_amount(Decimal("240000000.00"), "IDR", "id") == "Rp 240.000.000"
    assert format_amount(Decimal("240000000.00"), "IDR", "en") == "IDR 240,000,000"


@pytest.mark.parametrize("persona", ["supervisor", "auditor", "analyst"])
def test_ministry_staff_see_the_cited_cases_on_the_sanction_page(persona, request, client, fine_with_cases):
    fine, csam, hoax = fine_with_cases
    client.force_login(request.getfixturevalue(persona))
    page = client.get(reverse("admin:cases_sanction_change", args=[fine.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    for case in (csam, hoax):
        assert case.reference in text
    assert "Child sexual abuse material" in text
    assert "no action yet" in text  # how late


def test_liaisons_do_not_see_a_proposal_or_its_grounds(client, fine_with_cases, liaison_a, liaison_b):
    fine, csam, _hoax = fine_with_cases
    for liaison in (liaison_a, liaison_b):
        client.force_login(liaison)
        assert client.get(f"/platform/cases/sanction/{fine.pk}/change/").status_code in (302, 404)
        assert csam.reference not in client.get("/platform/cases/sanction/").content.decode()


def test_the_supervisor_previews_the_fine_in_words_before_issuing(client, supervisor, fine_with_cases):
    fine, _csam, _hoax = fine_with_cases
    client.force_login(supervisor)
    url = reverse("admin:cases_sanction_step", args=[fine.pk, "issue"])
    for language, amount in (("en", "IDR 240,000,000"), ("id", "Rp 240.000.000")):
        # 3.0 (CSAM, the most serious cited) × 1 × 1 × 1 (ST3: not in the table) × 1 × 0.16 × 500 × Rp 1,000,000
        text = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert amount in text, language
    text = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Child sexual abuse material" in text and "Large" in text and "points cap" in text
    assert "IDR 1,000,000" in text  # the tariff
    assert "defaulted" in text  # the warning level's index is not in the policy: counted as 1, and said
    assert "240000000,00" not in text
    # The preview writes nothing; issuing does, with the same amount.
    assert fine.status == "proposed" and not SanctionEvent.objects.filter(sanction=fine, kind="issue").exists()
    response = client.post(url, {"letter_reference": "DENDA/TG/2026/001", "virality": "low"})
    assert response.status_code == 302
    fine.refresh_from_db()
    assert fine.amount == Decimal("240000000")
    page = client.get(reverse("admin:cases_sanction_change", args=[fine.pk]), HTTP_ACCEPT_LANGUAGE="id")
    assert "Rp 240.000.000" in page.content.decode()


@pytest.mark.parametrize("persona", ["analyst", "auditor"])
def test_only_deciders_reach_the_issue_step(persona, request, client, fine_with_cases):
    fine, _csam, _hoax = fine_with_cases
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("admin:cases_sanction_step", args=[fine.pk, "issue"])).status_code == 403


def test_the_console_refuses_a_proposal_without_basis_and_a_silent_skip(client, traveller, supervisor, platform_a):
    client.force_login(supervisor)
    url = reverse("admin:cases_sanction_add")
    base = {"platform": platform_a.pk, "level": SanctionLevel.WARNING_1, "reason": "Late again."}
    response = client.post(url, base, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "content basis" in response.content.decode()
    response = client.post(url, {**base, "level": SanctionLevel.FINE, "content_category": "csam"},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "Say why" in response.content.decode()
    assert not Sanction.objects.exists()
    response = client.post(url, {**base, "level": SanctionLevel.FINE, "content_category": "csam",
                                 "skip_reason": "CSAM: straight to a fine."})
    assert response.status_code == 302
    event = SanctionEvent.objects.get()
    assert event.kind == "propose" and event.data["skip_reason"] == "CSAM: straight to a fine."


def test_the_api_refuses_a_proposal_without_basis(traveller, supervisor, platform_a):
    from tests.test_api_support import bearer_client

    client = bearer_client(supervisor)
    response = client.post("/api/v1/sanctions/", {"platform": platform_a.slug, "level": 1, "reason": "late"},
                           format="json")
    assert response.status_code == 400 and "content_category" in response.json()["error"]["fields"]
    response = client.post("/api/v1/sanctions/", {"platform": platform_a.slug, "level": 3, "reason": "late",
                                                   "content_category": "hoax"}, format="json")
    assert response.status_code == 400 and "skip_reason" in response.json()["error"]["fields"]
    assert not Sanction.objects.exists()


def test_the_fine_preview_in_the_api(fine_with_cases, supervisor, auditor, liaison_a, analyst):
    from tests.test_api_support import bearer_client

    fine, _csam, _hoax = fine_with_cases
    url = f"/api/v1/sanctions/{fine.pk}/fine-preview/"
    body = bearer_client(supervisor).get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["amount"] == "IDR 240,000,000" and body["amount_value"] == "240000000"
    assert body["basis"] == "cases" and body["points_cap"] == 500
    content = next(line for line in body["lines"] if line["key"] == "csam")
    assert content["words"] == "Child sexual abuse material" and content["defaulted"] is False
    assert bearer_client(auditor).get(url, HTTP_ACCEPT_LANGUAGE="id").json()["amount"] == "Rp 240.000.000"
    assert bearer_client(liaison_a).get(url).status_code == 404  # a proposal is the ministry's deliberation
    assert bearer_client(analyst).get(url + "?virality=viral").status_code == 400
    assert not SanctionEvent.objects.filter(sanction=fine, kind="issue").exists()
