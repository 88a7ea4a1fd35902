"""The ministry's "My work" page and the dashboards' links (issue 13), per persona: what waits, how long, in
which order, whose; who a case can be assigned to; every headline figure opens the list it counts."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from cases.cases.workflow import transition
from cases.core import roles
from cases.models import Case, CaseEvent
from cases.sanctions.services import sanctions
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 9, 5, 2, 0, tzinfo=UTC)


def _rows(html: str, queue: str) -> list[str]:
    section = html.split(f'id="queue-{queue}"', 1)[1].split('class="module patuh-queue"', 1)[0]
    return re.findall(r"(PTH-\d{4}-\d+|Telegram|Facebook)</a>", section)


def _waited(html: str, queue: str) -> list[str]:
    section = html.split(f'id="queue-{queue}"', 1)[1].split('class="module patuh-queue"', 1)[0]
    return re.findall(r'<td class="waited">([^<]+)</td>', section)


@pytest.fixture
def backlog(make_case, liaison_a, liaison_b, platform_b, supervisor):
    """Three actions reported at 5 Sep 09:00, 10:00 and 11:00 WIB, two objections, a proposal; now is 13:00."""
    out = {"actioned": [], "objected": []}
    with time_machine.travel(T0, tick=False) as t:
        cases = [make_case(submit=True) for _ in range(3)] + [make_case(submit=True, platform=platform_b)]
        out["draft"] = make_case()
        for case in (cases[1], cases[0], cases[2]):  # reported out of creation order
            t.shift(timedelta(hours=1))
            transition(case, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=_now_iso())
            out["actioned"].append(case)
        transition(cases[3], "object", actor=liaison_b, reason="lawful", text="Satire.")
        out["objected"].append(cases[3])
        out["proposal"] = sanctions.propose_sanction(platform=platform_b, level=1, actor=supervisor,
                                                     reason="Late", content_category="hoax")
        t.shift(timedelta(hours=1))
        yield out


def _now_iso():
    from cases.core import clock

    return clock.now().isoformat()


def test_analyst_sees_the_actions_to_verify_oldest_first_with_their_age(client, analyst, backlog):
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        client.force_login(analyst)
        r = client.get("/admin/my-work/", HTTP_ACCEPT_LANGUAGE="en")
        html = r.content.decode()
    assert r.status_code == 200, r
    assert _rows(html, "verify") == [c.reference for c in backlog["actioned"]]  # by the time reported
    assert _waited(html, "verify") == ["4 h 0 min", "3 h 0 min", "2 h 0 min"]
    assert _rows(html, "drafts") == [backlog["draft"].reference]
    # An analyst cannot decide objections or issue sanctions: those queues are not theirs.
    assert 'id="queue-objections"' not in html and 'id="queue-sanctions"' not in html


def test_supervisor_sees_objections_and_proposals_too(client, supervisor, backlog):
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        client.force_login(supervisor)
        html = client.get("/admin/my-work/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert _rows(html, "objections") == [backlog["objected"][0].reference]
    assert _rows(html, "sanctions") == ["Facebook"]
    assert _waited(html, "objections") == ["2 h 0 min"]  # objected at 12:00 WIB
    assert _rows(html, "drafts") == []  # the analyst's draft is not the supervisor's...
    html = client.get("/admin/my-work/?who=all", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert _rows(html, "drafts") == [backlog["draft"].reference]  # ...but is in everyone's


def test_mine_means_assigned_to_me_or_to_nobody(client, analyst, supervisor, backlog):
    first, second, third = backlog["actioned"]
    from cases.cases.services.cases import assign_case

    assign_case(first, actor=supervisor, assignee=supervisor)
    assign_case(second, actor=supervisor, assignee=analyst)
    client.force_login(analyst)
    html = client.get("/admin/my-work/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert _rows(html, "verify") == [second.reference, third.reference]
    html = client.get("/admin/my-work/?who=all", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert _rows(html, "verify") == [first.reference, second.reference, third.reference]


def test_auditor_reads_every_queue_and_may_assign_nothing(client, auditor, backlog):
    client.force_login(auditor)
    html = client.get("/admin/my-work/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for queue in ("verify", "objections", "sanctions", "drafts", "due_soon"):
        assert f'id="queue-{queue}"' in html
    assert "patuh-assign" not in html
    case = backlog["actioned"][0]
    assert client.post(f"/admin/my-work/verify/{case.pk}/assign/", {"assignee": auditor.pk}).status_code == 403
    assert Case.objects.get(pk=case.pk).assigned_to is None


def test_liaisons_have_no_ministry_queue(client, liaison_a, backlog):
    client.force_login(liaison_a)
    assert client.get("/admin/my-work/").status_code == 404
    case = backlog["actioned"][0]
    assert client.post(f"/admin/my-work/verify/{case.pk}/assign/", {"assignee": liaison_a.pk}).status_code == 404


def test_assignee_choices_are_people_who_can_act_by_full_name(client, analyst, supervisor, auditor, liaison_a,
                                                              backlog):
    analyst.first_name, analyst.last_name = "Siti", "Rahma"
    analyst.save()
    other = make_user("dewi", roles.ANALYST, first_name="Dewi", last_name="Lestari")
    client.force_login(supervisor)
    html = client.get("/admin/my-work/?who=all", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    verify = html.split('id="queue-verify"', 1)[1].split('id="queue-objections"', 1)[0]
    choices = re.findall(r'<option value="(\d*)"[^>]*>([^<]+)</option>', verify.split("</select>", 1)[0])
    assert [label for _v, label in choices] == ["nobody", "Dewi Lestari (dewi)", "Siti Rahma (analyst)",
                                               "supervisor"]
    objections = html.split('id="queue-objections"', 1)[1].split('id="queue-sanctions"', 1)[0]
    assert "Siti Rahma" not in objections.split("</select>", 1)[0]  # analysts do not decide objections
    assert "auditor" not in verify and "liaison_a" not in verify

    # Assigning to another analyst (not only "me"), through the service: an audited event.
    case = backlog["actioned"][0]
    done = client.post(f"/admin/my-work/verify/{case.pk}/assign/", {"assignee": other.pk, "next": "/admin/my-work/"})
    assert done.status_code == 302 and done["Location"] == "/admin/my-work/"
    assert Case.objects.get(pk=case.pk).assigned_to == other
    assert CaseEvent.objects.filter(case=case, kind="assigned").exists()
    # An auditor is not a valid choice even when posted by hand.
    client.post(f"/admin/my-work/verify/{case.pk}/assign/", {"assignee": auditor.pk})
    assert Case.objects.get(pk=case.pk).assigned_to == other
    # The case page's own "assigned to" offers the same people.
    draft_page = client.get(f"/admin/cases/case/{backlog['draft'].pk}/change/").content.decode()
    select = draft_page.split('name="assigned_to"', 1)[1].split("</select>", 1)[0]
    assert "Siti Rahma (analyst)" in select and "auditor" not in select and "liaison" not in select


def _kpis(html: str) -> dict[str, tuple[str, int]]:
    found = re.findall(r'<a class="patuh-kpi[^"]*" href="([^"]+)"><span class="n">(\d+)</span>([^<]+)</a>', html)
    return {label.strip(): (href.replace("&amp;", "&"), int(n)) for href, n, label in found}


def _listed(client, href: str) -> int:
    html = client.get(href, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "?e=1" not in html and "errornote" not in html
    return html.count('<th class="field-')  # each row's first (link) cell; headers are <th scope="col">


@pytest.mark.parametrize("persona,site", [("analyst", "admin"), ("supervisor", "admin"), ("auditor", "admin"),
                                          ("liaison_a", "platform"), ("liaison_b", "platform")])
def test_every_dashboard_figure_links_to_the_list_it_counts(client, request, persona, site, backlog):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    html = client.get(f"/{site}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    kpis = _kpis(html)
    expected = {"open cases", "overdue now", "due within 1 hour", "objections pending",
                "actions awaiting verification"} | ({"sanction proposals"} if site == "admin" else set())
    assert set(kpis) == expected
    assert kpis["open cases"][1] > 0
    for label, (href, n) in kpis.items():
        assert _listed(client, href) == n, (persona, label, href)
