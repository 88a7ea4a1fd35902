"""The dashboards' charts and the compliance share, as people use them (issue 13, items 2, 7 and 9).

- Every bar of the charts (and every day of the daily chart) links to the case list it counts, through the
  FilterSet's parameters; the list has as many rows as the bar says, per persona, and liaison B's charts count
  only B's cases.
- The charts speak the page's language.
- The share within the deadline reads the same on the scorecard, both dashboards and the measured commitment's
  page: "67 %" in Indonesian, "67%" in English.
"""

import html as htmlmod
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from cases.cases.services.sweeper import sweep
from cases.cases.workflow import transition
from cases.core import clock
from cases.models import Commitment, Meeting
from tests.conftest import SharedWorld
from tests.test_languages import other_language
from tests.test_work_queues import _listed

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 9, 5, 2, 0, tzinfo=UTC)  # 09.00 WIB
NOW = T0 + timedelta(hours=30, minutes=10)


def _act(case, liaison):
    transition(case, "report_action", actor=liaison, action_taken="removed", action_taken_at=clock.now())


@pytest.fixture(scope="class")
def world(make_case, liaison_a, liaison_b, platform_a, platform_b):
    """Platform A (Telegram), 24-hour hoax orders: 4 actioned in time, 1 actioned late, 1 overdue, 1 due within
    the hour, 2 on time, 1 objected: within the deadline 4 of 6 decided = 67 %. Platform B (Facebook): 1
    actioned in time, 1 awaiting. A commitment of A measured on the same orders (hoax, 24 h).

    Built once for the tests of `TestTheWorld`; the clock stays at NOW (stopped) until the last of them is done."""
    with time_machine.travel(T0, tick=False) as t:
        ok = [make_case(submit=True) for _ in range(4)]
        late, overdue = make_case(submit=True), make_case(submit=True)
        b_done = make_case(submit=True, platform=platform_b)
        t.shift(timedelta(hours=1))
        for case in ok:
            _act(case, liaison_a)
        _act(b_done, liaison_b)
        t.shift(timedelta(hours=5, minutes=30))  # T0 + 6 h 30
        soon = make_case(submit=True)  # due T0 + 30 h 30: within the hour at NOW
        t.shift(timedelta(hours=4))
        objected = make_case(submit=True)
        transition(objected, "object", actor=liaison_a, reason="lawful", text="Satire.")
        t.shift(timedelta(hours=10))  # T0 + 20 h 30
        b_open = make_case(submit=True, platform=platform_b)
        t.shift(timedelta(hours=9, minutes=30))  # T0 + 30 h
        sweep(deliver=False)  # late and overdue miss their deadline
        _act(late, liaison_a)
        fresh = [make_case(submit=True) for _ in range(2)]
        meeting = Meeting.objects.create(title="Rapat", held_on="2026-08-01")
        meeting.platforms.set([platform_a])
        commitment = Commitment.objects.create(platform=platform_a, meeting=meeting, text="Janji 24 jam",
                                               text_en="24-hour promise", measured_category="hoax",
                                               target_hours=24)
        t.move_to(NOW)
        yield {"commitment": commitment, "soon": soon, "overdue": overdue, "fresh": fresh, "b_open": b_open}


def _links(page: str) -> list[tuple[str, str]]:
    """(href, tooltip) of every chart link."""
    found = re.findall(r'<a href="([^"]+)" class="patuh-chart-link">.*?<title>([^<]*)</title>', page, re.S)
    return [(htmlmod.unescape(href), htmlmod.unescape(title)) for href, title in found]


PERSONAS = [("analyst", "admin"), ("liaison_a", "platform"), ("liaison_b", "platform")]


def _chart_text(page: str) -> str:
    svgs = re.findall(r"<svg\b.*?</svg>", page, re.S)
    return htmlmod.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", " ".join(svgs))))


class TestTheWorld(SharedWorld):
    """Every test here reads `world`, built once for all of them (tests/conftest.py, `SharedWorld`), and at its
    clock: NOW, as each of them was when it built its own."""

    @pytest.mark.parametrize("persona,site", PERSONAS)
    def test_every_chart_bar_opens_the_list_it_counts(self, client, request, world, persona, site):
        client.force_login(request.getfixturevalue(persona))
        page = client.get(f"/{site}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        links = _links(page)
        bars = [(h, t) for h, t in links if re.match(r"^(Telegram|Facebook): \d+ [a-z]", t)]
        days = [(h, t) for h, t in links if re.match(r"^\d{1,2} \w{3}: \d+ received", t)]
        shares = [(h, t) for h, t in links if " decided order" in t]
        platforms = {t.split(":")[0] for h, t in bars}
        assert platforms == {"liaison_a": {"Telegram"}, "liaison_b": {"Facebook"}}.get(persona,
                                                                                         {"Telegram", "Facebook"})
        # Open cases by deadline state: overdue, due within the hour, on time, with the ministry.
        counted = {}
        for href, title in bars:
            name, n, label = re.match(r"^(\w+): (\d+) (.+)$", title).groups()
            assert _listed(client, href) == int(n), (persona, title, href)
            counted[(name, label)] = int(n)
        if persona != "liaison_b":
            assert counted[("Telegram", "overdue")] == 1 and counted[("Telegram", "due within 1 h")] == 1
            assert counted[("Telegram", "on time")] == 2 and counted[("Telegram", "with the ministry")] == 6
        # Each day of the daily chart opens the cases first submitted that day ("received").
        assert len(days) == 90
        received = 0
        for href, title in days:
            n = int(re.match(r"^\d{1,2} \w{3}: (\d+) received", title).group(1))
            if n or title.startswith(("5 Sep", "6 Sep")):
                assert _listed(client, href) == n, (persona, title, href)
            received += n
        assert received == {"liaison_a": 10, "liaison_b": 2}.get(persona, 12)
        # The share's bar opens the platform's cases of the same 30 days.
        assert len(shares) == len(platforms)
        for href, title in shares:
            expected = {"Telegram": 10, "Facebook": 2}[title.split(":")[0]]
            assert _listed(client, href) == expected

    def test_liaison_b_s_chart_links_show_none_of_a_s_cases(self, client, world, liaison_b):
        client.force_login(liaison_b)
        page = client.get("/platform/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        for href, _title in _links(page):
            html = client.get(href, HTTP_ACCEPT_LANGUAGE="en").content.decode()
            assert world["overdue"].reference not in html and world["soon"].reference not in html
        # A's list, asked for by hand, lists nothing of A.
        html = client.get("/platform/cases/case/?awaiting=&platform=telegram").content.decode()
        assert world["overdue"].reference not in html

    @pytest.mark.parametrize("persona,site", [("analyst", "admin"), ("liaison_a", "platform")])
    @pytest.mark.parametrize("language,words", [
        ("id", ["Kasus terbuka menurut platform", "tepat waktu", "diterima", "melewati tenggat", "Sep"]),
        ("en", ["Open cases by platform and deadline state", "on time", "received", "became overdue", "Sep"]),
    ])
    def test_the_charts_speak_the_page_s_language(self, client, request, world, persona, site, language, words):
        client.force_login(request.getfixturevalue(persona))
        text = _chart_text(client.get(f"/{site}/", HTTP_ACCEPT_LANGUAGE=language).content.decode())
        assert not other_language(text, language), other_language(text, language)
        for word in words:
            assert word in text, (word, text[:2000])
        english_only = ["in 90 days", "no cases", "target ", "decided order"]
        if language == "id":
            assert not [w for w in english_only if w in text], text[:2000]

    @pytest.mark.parametrize("language,shown", [("id", "67 %"), ("en", "67%")])
    def test_the_share_reads_the_same_on_every_page(self, client, world, analyst, liaison_a, platform_a, language,
                                                    shown):
        """Within the deadline, platform A: 4 of 6 orders decided. The same figure, in the same form, everywhere."""
        def cells(page: str) -> list[str]:
            return re.findall(r"\b\d{1,3}(?: ?%|/\d+ \(0\.\d+\))", htmlmod.unescape(page))

        commitment = world["commitment"].pk
        client.force_login(liaison_a)
        scorecard = client.get("/platform/scorecard/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert re.findall(r'<td class="share">([^<]*)</td>', scorecard) == [shown, shown]  # 30 and 90 days
        dashboard = _chart_text(client.get("/platform/", HTTP_ACCEPT_LANGUAGE=language).content.decode())
        assert f"Telegram: {shown}" in dashboard
        mine = client.get(f"/platform/cases/commitment/{commitment}/change/", HTTP_ACCEPT_LANGUAGE=language)
        assert cells(mine.content.decode()).count(shown) == 3  # 30, 90 and 365 days
        client.force_login(analyst)
        ministry = _chart_text(client.get("/admin/", HTTP_ACCEPT_LANGUAGE=language).content.decode())
        assert f"Telegram: {shown}" in ministry
        theirs = client.get(f"/admin/cases/commitment/{commitment}/change/", HTTP_ACCEPT_LANGUAGE=language)
        assert cells(theirs.content.decode()).count(shown) == 3
        platform_page = client.get(f"/admin/cases/platform/{platform_a.pk}/change/", HTTP_ACCEPT_LANGUAGE=language)
        assert htmlmod.unescape(platform_page.content.decode()).count(f"<td>{shown}</td>") == 2  # its scorecard
        for page in (scorecard, mine.content.decode(), theirs.content.decode()):
            assert not re.search(r"\d+/\d+ \(0\.\d+\)", page)  # not "4/6 (0.67)"
            other = "67%" if language == "id" else "67 %"
            assert other not in htmlmod.unescape(page)
