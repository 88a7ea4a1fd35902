"""Lists that fit (issue 13): the case list and the inbox at 1366 px, the inbox on a 390 px phone, in Chromium.

"Fits" means what a person sees: the page does not scroll sideways, every column header of the list lies inside
the window, and on the phone each order shows its reference, status and deadline, with the reference a link that
opens the case. Long URLs and handles (the crawler's real ones run to hundreds of characters) are in the data,
since they are what pushed columns off the screen.

The screenshots are written to tests/screenshots/ (ignored by git); `make screenshots` copies the README's set
into docs/screenshots/.
"""

import re

import pytest

from cases import demo
from cases.core.choices import CaseStatus, Category
from cases.models import Case
from tests.test_browser import SHOTS, _login
from tests.test_browser import browser as browser  # noqa: F401 - its fixture; skips like it without Chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LONG = "https://www.example-video-platform.com/watch/" + "very-long-slug-of-a-reuploaded-video-" * 6 + "?v=abc123"

OVERFLOW = """() => {
  const doc = document.documentElement;
  const off = [...document.querySelectorAll('#result_list thead th')]
    .filter(th => th.offsetParent !== null)
    .filter(th => { const r = th.getBoundingClientRect(); return r.right > window.innerWidth + 1 || r.left < -1; })
    .map(th => th.textContent.trim());
  return {page: doc.scrollWidth - window.innerWidth, columns_off: off};
}"""


@pytest.fixture
def orders(make_case, platform_b):
    """Submitted orders on platform A with long URLs, one of B's, and a draft."""
    cases = [make_case(submit=True, url=f"{LONG}&n={n}", category=category)
             for n, category in enumerate([Category.TERRORISM, Category.GAMBLING, Category.HOAX, Category.FRAUD])]
    make_case(submit=True, platform=platform_b, url=f"{LONG}&b=1")
    make_case(url=f"{LONG}&draft=1")
    return cases


def _page(browser, width, height, locale="id-ID"):
    return browser.new_context(viewport={"width": width, "height": height}, locale=locale).new_page()


# Who, which list, and how many rows they see: the ministry all six (draft and B's included), liaison A its four
# submitted orders.
LISTS_1366 = {"case-list": ("analyst", "admin", "/admin/cases/case/", 6),
              "inbox": ("liaison_a", "platform", "/platform/cases/case/?awaiting=true", 4)}


@pytest.mark.parametrize("locale", ["id-ID", "en-US"])
@pytest.mark.parametrize("name", LISTS_1366)
def test_the_case_list_and_the_inbox_fit_1366(request, live_server, browser, orders, name, locale):
    persona, site, path, rows = LISTS_1366[name]
    page = _page(browser, 1366, 900, locale)
    _login(page, live_server.url, site, request.getfixturevalue(persona).username)
    page.goto(live_server.url + path)
    fit = page.evaluate(OVERFLOW)
    page.screenshot(path=SHOTS / f"fit-{name}-1366-{locale[:2]}.png", full_page=True)
    assert fit == {"page": 0, "columns_off": []}
    assert page.locator("#result_list tbody tr").count() == rows, page.inner_text("#content")[:800]


@pytest.mark.parametrize("locale", ["id-ID", "en-US"])
def test_the_inbox_on_a_phone(live_server, browser, liaison_a, orders, locale):
    page = _page(browser, 390, 844, locale)
    _login(page, live_server.url, "platform", liaison_a.username)
    page.goto(f"{live_server.url}/platform/cases/case/?awaiting=true")
    page.screenshot(path=SHOTS / f"fit-inbox-390-{locale[:2]}.png", full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") == 0
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 4
    for i in range(4):
        row = rows.nth(i)
        for column in ("field-reference", "field-status_badge", "field-deadline"):
            cell = row.locator(f".{column}")
            assert cell.is_visible(), column
            box = cell.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, (column, box)
    # The reference opens the case, on the phone too.
    reference = rows.first.locator(".field-reference a")
    text = reference.inner_text()
    reference.click()
    page.wait_for_url(re.compile(r".*/platform/cases/case/\d+/change/"))
    assert text in page.content()
    page.screenshot(path=SHOTS / f"fit-case-390-{locale[:2]}.png", full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") == 0


MINISTRY_PAGES = (("ministry-dashboard", "/admin/"), ("case-list", "/admin/cases/case/"),
                  ("ministry-case", "/admin/cases/case/{pk}/change/"), ("my-work", "/admin/my-work/?who=all"))
PLATFORM_PAGES = (("platform-dashboard", "/platform/"), ("inbox", "/platform/cases/case/?awaiting=true"),
                  ("platform-case", "/platform/cases/case/{pk}/change/"))


def _demo_login(page, base, site, username):
    page.goto(f"{base}/{site}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", demo.DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(rf".*/{site}/$"))


def test_the_main_pages_in_both_languages(live_server, browser):
    """The README's screenshots (`make screenshots` copies them to docs/screenshots/): each main page of the demo
    (`make run`'s data) in Indonesian and in English at 1366 px, and the inbox on a phone, as the demo's
    analyst, auditor and Telegram liaison. None of them scrolls sideways."""
    demo.load()
    case = Case.objects.filter(platform__slug="telegram", status=CaseStatus.ACKNOWLEDGED).order_by("-pk").first()
    shots = []
    for locale, lang in (("id-ID", "id"), ("en-US", "en")):
        for username, site, pages, width in (("analyst", "admin", MINISTRY_PAGES, 1366),
                                             ("auditor", "admin", (("integrity", "/admin/integrity/"),), 1366),
                                             ("telegram", "platform", PLATFORM_PAGES, 1366),
                                             ("telegram", "platform", (("inbox-phone", PLATFORM_PAGES[1][1]),), 390)):
            page = _page(browser, width, 900 if width > 390 else 844, locale)
            _demo_login(page, live_server.url, site, username)
            for name, path in pages:
                response = page.goto(live_server.url + path.format(pk=case.pk))
                assert response.status == 200, (path, page.inner_text("body")[:600])
                assert page.evaluate("() => document.documentElement.lang") == lang
                assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") == 0, path
                page.screenshot(path=SHOTS / f"docs-{name}-{lang}.png", full_page=True)
                shots.append(f"{name}-{lang}")
            page.context.close()
    # Every page of both languages left its picture (what `make screenshots` copies), none of them empty.
    assert all((SHOTS / f"docs-{name}.png").stat().st_size > 10_000 for name in shots)
