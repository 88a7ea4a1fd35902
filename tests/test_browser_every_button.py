"""Every button and form of both consoles, clicked in Chromium per persona, with its effect in the database.

How it keeps up with the pages: before a persona acts, the test opens that persona's main pages (dashboard,
case list, case pages in every state, the transition and step pages those link to, commitment and sanction pages,
tokens, two-step login, password change) and collects every form submit control, every bulk action, every
button outside a form and every button-styled link (`inventory`). Then the persona's scenario clicks through
them with `press`/`bulk`, each recording the control it clicked. A control that was rendered and never clicked
fails the test, with its key: a new button without a test case cannot slip in.

Keys look like `form post /admin/cases/case/<id>/comment/ Add comment` (method, action path with ids replaced,
the submit control's name or label), `action /admin/cases/case/ verify_selected`, `link /admin/cases/case/<id>/
act/verify/`, `button theme-toggle`.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.cases.workflow import transition
from cases.core import clock
from cases.core.choices import CaseStatus, EventKind, SanctionStatus, Visibility
from cases.models import (
    ApiToken,
    Case,
    CaseEvent,
    Commitment,
    CommitmentUpdate,
    Evidence,
    IntegrityCheck,
    Meeting,
    Recheck,
    Sanction,
    WebhookEndpoint,
)
from cases.sanctions.services import sanctions
from tests.recheck_server import FixtureServer, Route, fixture
from tests.test_browser import PASSWORD, SHOTS, _login
from tests.test_browser import browser as browser  # noqa: F401 - its fixture; skips like it without Chromium
from tests.test_consoles import PNG
from tests.test_rechecks import recheck_settings

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Shared by both scripts below: an URL's path with ids replaced, and a form's "method action".
HELPERS = r"""
  const pat = (u) => new URL(u, location.href).pathname.replace(/\/\d+(?=\/)/g, '/<id>');
  const formOf = (f) => `${(f.getAttribute('method') || 'get').toLowerCase()} ${pat(f.getAttribute('action') || location.href)}`;
  const keyOf = (el) => {
    if (el.form) return `form ${formOf(el.form)} ${el.getAttribute('name') || el.value || el.textContent.trim()}`;
    if (el.tagName === 'A') return `link ${pat(el.href)}`;
    return `button ${el.className || el.textContent.trim()}`;
  };
"""  # noqa: E501

KEY_OF = "(el) => {" + HELPERS + "return keyOf(el); }"

INVENTORY = "() => {" + HELPERS + r"""
  const out = new Set();
  for (const f of document.querySelectorAll('form')) {
    const submits = f.querySelectorAll('input[type=submit], button:not([type=button])');
    // A view-only change form (no field, no submit) offers nothing to press.
    const fields = f.querySelectorAll('input:not([type=hidden]):not([type=submit]), select, textarea');
    if (!submits.length && fields.length) out.add(`form ${formOf(f)} (enter)`);
    for (const s of submits) out.add(keyOf(s));
    const action = pat(f.getAttribute('action') || location.href);
    for (const o of f.querySelectorAll('select[name=action] option')) {
      if (o.value) out.add(`action ${action} ${o.value}`);
    }
  }
  for (const b of document.querySelectorAll('button')) if (!b.form && b.type !== 'submit') out.add(keyOf(b));
  for (const a of document.querySelectorAll('.object-tools a, a.button')) out.add(keyOf(a));
  return [...out];
}"""

LINKS = "els => els.map(a => new URL(a.href).pathname + new URL(a.href).search)"


class Clicks:
    """What a persona was shown (`seen`) and what the scenario clicked (`done`)."""

    def __init__(self, page, base):
        self.page, self.base, self.seen, self.done = page, base, {}, set()

    def goto(self, path):
        response = self.page.goto(self.base + path)
        assert response.status == 200, f"{path}: {response.status}"

    def inventory(self, path, *, follow_links=False):
        """Collect the controls on `path`; with `follow_links`, also on the pages its button-links open."""
        self.goto(path)
        for key in self.page.evaluate(INVENTORY):
            self.seen.setdefault(key, path)
        if follow_links:
            hrefs = self.page.eval_on_selector_all(".object-tools a.patuh-action, a.button", LINKS)
            for href in hrefs:
                self.inventory(href)

    def press(self, selector):
        """Click the control `selector` (a submit, a button or a button-link), recording it."""
        control = self.page.locator(selector).first
        self.done.add(control.evaluate(KEY_OF))
        control.click()
        self.page.wait_for_load_state()

    def bulk(self, changelist, references, action, *, confirm=None):
        """Tick rows by reference, pick the bulk action and press Go (and `confirm` on an intermediate page)."""
        self.goto(changelist)
        for ref in references:
            self.page.locator("#result_list tr", has_text=ref).locator("input.action-select").check()
        self.page.select_option("select[name=action]", action)
        self.done.add(f"action {changelist.split('?')[0]} {action}")
        self.press("button[name=index]")
        if confirm:
            confirm()

    def download(self, selector) -> str:
        """Click a link that downloads a file (recording it); returns the file's text."""
        control = self.page.locator(selector).first
        self.done.add(control.evaluate(KEY_OF))
        with self.page.expect_download() as info:
            control.click()
        return Path(info.value.path()).read_text()

    def message(self):
        return self.page.inner_text(".messagelist") if self.page.locator(".messagelist").count() else ""

    def assert_all_clicked(self):
        missing = sorted(f"{key}   (on {path})" for key, path in self.seen.items() if key not in self.done)
        assert not missing, "rendered but never clicked by this test:\n" + "\n".join(missing)


def _page(browser):
    return browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US").new_page()


def _code(device) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def account_pages(c: Clicks, site: str):
    return [f"/{site}/two-step/", f"/{site}/two-step/set-up/", f"/{site}/password_change/",
            f"/{site}/cases/apitoken/", f"/{site}/cases/apitoken/add/"]


def click_account_controls(c: Clicks, site: str, user):
    """Shared by every persona: theme, API token create and revoke, two-step set-up, backup codes, removal,
    password change, log out."""
    page = c.page
    # The theme toggle: a client-side preference, its effect is the page's theme attribute.
    c.goto(f"/{site}/")
    before = page.evaluate("document.documentElement.dataset.theme || 'auto'")
    c.press("button.theme-toggle")
    assert page.evaluate("document.documentElement.dataset.theme || 'auto'") != before

    # An API token: created (its key shown once), then revoked by the bulk action.
    c.goto(f"/{site}/cases/apitoken/")
    c.press(".object-tools a.addlink")
    page.fill("input[name=name]", f"{user.username} script")
    c.press("input[name=_save]")
    assert "Bearer pth_" in page.inner_text("#content")
    token = ApiToken.objects.get(user=user, name=f"{user.username} script")
    for name in ("_addanother", "_continue"):
        c.goto(f"/{site}/cases/apitoken/add/")
        page.fill("input[name=name]", f"{user.username} {name}")
        c.press(f"input[name={name}]")
        assert ApiToken.objects.filter(user=user, name=f"{user.username} {name}").exists()
    c.bulk(f"/{site}/cases/apitoken/", [f"{user.username} script"], "revoke_selected")
    token.refresh_from_db()
    assert token.revoked_at is not None

    # Two-step login: set up with the app's code, new backup codes and removal each confirmed with a backup code.
    c.goto(f"/{site}/two-step/")
    page.click("a[href$='/two-step/set-up/']")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.fill("input[name=otp_token]", _code(device))
    c.press("form.patuh-twofactor-form input[type=submit]")
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    codes = re.findall(r"\b[a-z2-7]{8}\b", page.inner_text(".patuh-backup-codes"))
    assert len(codes) == 10
    c.goto(f"/{site}/two-step/backup-codes/")
    page.fill("input[name=otp_token]", codes[0])
    c.press("form.patuh-twofactor-form input[type=submit]")
    fresh = re.findall(r"\b[a-z2-7]{8}\b", page.inner_text(".patuh-backup-codes"))
    assert len(fresh) == 10 and codes[1] not in fresh
    c.goto(f"/{site}/two-step/remove/")
    page.fill("input[name=otp_token]", fresh[0])
    c.press("form.patuh-twofactor-form input[type=submit]")
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()

    # The password change.
    c.goto(f"/{site}/password_change/")
    page.fill("input[name=old_password]", PASSWORD)
    page.fill("input[name=new_password1]", "a-new-long-passphrase-9")
    page.fill("input[name=new_password2]", "a-new-long-passphrase-9")
    c.press("input[type=submit]")
    assert get_user_model().objects.get(pk=user.pk).check_password("a-new-long-passphrase-9")

    # Log out: the session ends, the console asks for a login again.
    c.goto(f"/{site}/")
    c.press("#logout-form button")
    page.goto(f"{c.base}/{site}/")
    assert "/login/" in page.url


@pytest.fixture
def world(settings, tmp_path, platform_a, platform_b, analyst, supervisor, auditor, liaison_a, liaison_b,
          make_case):
    """Cases on A in every state, one on B, a commitment each, a proposed sanction on A; a fixture web server
    answers the re-checks."""
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    with FixtureServer({"/live": Route(200, fixture("telegram/channel_live.html"))}) as server:
        recheck_settings(settings, server)
        w = {
            "draft": make_case(handle="draft handle"),
            "submitted": make_case(submit=True, url=server.url("/live?1")),
            "acknowledged": make_case(submit=True),
            "actioned": make_case(submit=True, url=server.url("/live?2")),
            "actioned2": make_case(submit=True),
            "objected": make_case(submit=True),
            "objected2": make_case(submit=True),
            "b_submitted": make_case(submit=True, platform=platform_b, url="https://facebook.com/page/1"),
        }
        transition(w["acknowledged"], "acknowledge", actor=liaison_a)
        now = clock.now().isoformat()  # after the submissions: an action is never reported before its order
        for key in ("actioned", "actioned2"):
            transition(w[key], "report_action", actor=liaison_a, action_taken="removed", action_taken_at=now)
        for key in ("objected", "objected2"):
            transition(w[key], "object", actor=liaison_a, reason="lawful", text="Satire, not a hoax.")
        meeting = Meeting.objects.create(title="Rapat koordinasi", held_on="2026-08-01")
        meeting.platforms.set([platform_a, platform_b])
        w["commitment"] = Commitment.objects.create(platform=platform_a, meeting=meeting, text="Respond in 24 h")
        w["commitment_b"] = Commitment.objects.create(platform=platform_b, meeting=meeting, text="Respond in 24 h")
        w["sanction"] = sanctions.propose_sanction(platform=platform_a, level=1, actor=supervisor,
                                                   reason="Late on three orders", content_category="hoax")
        yield w


def ministry_pages(w) -> list[str]:
    return ["/admin/", "/admin/my-work/?who=all", "/admin/integrity/", "/admin/cases/case/", "/admin/cases/case/add/",
            *[f"/admin/cases/case/{w[k].pk}/change/" for k in ("draft", "submitted", "acknowledged", "actioned",
                                                               "objected")],
            f"/admin/cases/commitment/{w['commitment'].pk}/change/",
            "/admin/cases/sanction/", f"/admin/cases/sanction/{w['sanction'].pk}/change/"]


def _start(browser, base, site, user, pages) -> Clicks:
    page = _page(browser)
    _login(page, base, site, user.username)
    c = Clicks(page, base)
    for path in pages:
        c.inventory(path, follow_links=True)
    for path in account_pages(c, site):
        c.inventory(path)
    return c


def test_analyst_clicks_every_control_offered(live_server, browser, world, analyst):
    c = _start(browser, live_server.url, "admin", analyst, ministry_pages(world))
    integrity_controls(c, analyst)
    case_controls(c, world, analyst, decider=False)
    click_account_controls(c, "admin", analyst)
    c.assert_all_clicked()


def integrity_controls(c: Clicks, user):
    """The integrity page, opened from the dashboard: start a check, read its result."""
    c.goto("/admin/")
    c.press("#content a.button[href$='/admin/integrity/']")
    c.press("form.patuh-integrity-start input[type=submit]")
    check = IntegrityCheck.objects.filter(started_by=user).get()
    assert check.audit_ok and check.evidence_ok
    c.page.reload()
    assert check.audit_heads[0]["last_hash"] in c.page.inner_text("#integrity-audit")


def work_controls(c: Clicks):
    """My work: opened from the dashboard; in each queue, the oldest case is assigned to the first person offered."""
    page = c.page
    c.goto("/admin/")
    c.press("#content a.button[href$='/admin/my-work/']")
    c.goto("/admin/my-work/?who=all")
    for queue in ("verify", "objections", "drafts", "due_soon"):
        form = page.locator(f"#queue-{queue} form.patuh-assign").first
        if not form.count():
            continue
        case_id = int(page.locator(f"#queue-{queue} tr.patuh-queue-row").first.get_attribute("data-id"))
        person = form.locator("select[name=assignee] option").nth(1).get_attribute("value")
        form.locator("select[name=assignee]").select_option(person)
        c.press(f"#queue-{queue} form.patuh-assign input[type=submit]")
        assert "assigned to" in c.message()
        assert Case.objects.get(pk=case_id).assigned_to_id == int(person), queue


def case_controls(c: Clicks, w, user, *, decider: bool):
    """The case list and case pages of the ministry console, as an analyst or (decider) a supervisor."""
    page = c.page
    analyst = user
    work_controls(c)

    # The case list: search by reference, the date range, bulk actions.
    c.goto("/admin/cases/case/")
    page.fill("#searchbar", w["objected"].reference)
    c.press("#changelist-search input[type=submit]")
    assert page.locator("#result_list tbody tr").count() == 1
    c.goto("/admin/cases/case/")
    day = timezone.localdate(clock.now()).isoformat()  # the Jakarta day, as the filter reads it
    page.fill("input[name=submitted_from]", day)
    page.fill("input[name=submitted_to]", day)
    c.press("form.patuh-range input[type=submit]")
    assert "submitted_from=" + day in page.url
    assert page.locator("#result_list tbody tr").count() == Case.objects.filter(status__in=[
        s for s in CaseStatus if s != CaseStatus.DRAFT]).filter(platform__name="Telegram").count() + 1

    # Export the filtered list: the API's CSV of exactly these rows.
    c.goto("/admin/cases/case/?status=objected")
    exported = c.download(".object-tools a.patuh-export")
    assert sorted(line.split(",")[0] for line in exported.splitlines()[1:]) == sorted(
        Case.objects.filter(status=CaseStatus.OBJECTED).values_list("reference", flat=True))

    # Create a case three ways (_save, _continue, _addanother); each is a draft by the analyst.
    for n, name in enumerate(["_save", "_continue", "_addanother"]):
        c.goto("/admin/cases/case/")
        c.press(".object-tools a.addlink")
        _pick_platform(page, "Telegram")
        page.select_option("select[name=category]", "hoax")
        page.fill("input[name=location_url]", f"https://t.me/new_channel_{n}/1")
        page.fill("input[name=legal_basis]", "UU ITE Art. 28(1)")
        page.fill("textarea[name=reasons]", "A fabricated claim.")
        c.press(f"input[name={name}]")
        assert Case.objects.filter(location_url=f"https://t.me/new_channel_{n}/1", status=CaseStatus.DRAFT,
                                   created_by=user).exists()
        assert "has not been sent to Telegram" in c.message()

    # Create, attach evidence and submit in one form: "Save and submit to the platform". Page loads counted.
    loads = []

    def on_load(loaded):
        loads.append(loaded.url)

    page.on("load", on_load)
    c.goto("/admin/cases/case/")
    c.press(".object-tools a.addlink")
    _pick_platform(page, "Telegram")
    page.select_option("select[name=category]", "hoax")
    page.fill("input[name=location_url]", "https://t.me/one_step/1")
    page.fill("input[name=legal_basis]", "UU ITE Art. 28(1)")
    page.fill("textarea[name=reasons]", "A fabricated claim.")
    page.set_input_files("input[name=evidence_file]", files=[{"name": "one-step.png", "mimeType": "image/png",
                                                              "buffer": PNG}])
    c.press("input[name=_submit]")
    one_step = Case.objects.get(location_url="https://t.me/one_step/1")
    assert one_step.status == CaseStatus.SUBMITTED and one_step.evidence.filter(original_name="one-step.png").exists()
    assert "was sent to Telegram" in c.message()
    assert page.url.endswith(f"/admin/cases/case/{one_step.pk}/change/")
    assert len(loads) == 3, loads  # the list, the add form, the case page (was 9 page loads)
    page.remove_listener("load", on_load)

    # The draft: edit it with each save button; comment; add evidence; submit.
    draft = w["draft"]
    for name in ["_save", "_continue", "_addanother"]:
        c.goto(f"/admin/cases/case/{draft.pk}/change/")
        page.fill("input[name=handle]", f"handle {name}")
        c.press(f"input[name={name}]")
        assert Case.objects.get(pk=draft.pk).handle == f"handle {name}"
    c.goto(f"/admin/cases/case/{draft.pk}/change/")
    page.fill("form.patuh-comment textarea[name=text]", "Legal has checked it.")
    c.press("form.patuh-comment input[type=submit]")
    assert CaseEvent.objects.filter(case=draft, kind=EventKind.COMMENT, note="Legal has checked it.").exists()
    for name in ["_save", "_continue", "_addanother"]:
        c.goto(f"/admin/cases/case/{draft.pk}/change/")
        c.press("a.button[href*='/evidence/add/']")
        page.set_input_files("input[name=upload]", files=[{"name": f"shot{name}.png", "mimeType": "image/png",
                                                         "buffer": PNG}])
        page.select_option("select[name=kind]", "screenshot")
        c.press(f"input[name={name}]")
        assert Evidence.objects.filter(case=draft, original_name=f"shot{name}.png").exists()
    c.goto(f"/admin/cases/case/{draft.pk}/change/")
    c.press("a.patuh-action[href$='/act/submit/']")
    page.fill("textarea[name=note]", "Sent.")
    c.press("form.patuh-form input[type=submit]")
    assert Case.objects.get(pk=draft.pk).status == CaseStatus.SUBMITTED

    # Re-check a submitted case now (a fixture server answers): a re-check is recorded.
    c.goto(f"/admin/cases/case/{w['submitted'].pk}/change/")
    c.press("form.patuh-recheck-now input[type=submit]")
    assert Recheck.objects.filter(case=w["submitted"]).exists()
    # Verify one actioned case, reopen the other.
    c.goto(f"/admin/cases/case/{w['actioned'].pk}/change/")
    c.press("a.patuh-action[href$='/act/verify/']")
    c.press("form.patuh-form input[type=submit]")
    assert Case.objects.get(pk=w["actioned"].pk).status == CaseStatus.VERIFIED
    c.goto(f"/admin/cases/case/{w['actioned2'].pk}/change/")
    c.press("a.patuh-action[href$='/act/reopen/']")
    page.fill("textarea[name=note]", "Still up at 10:00.")
    c.press("form.patuh-form input[type=submit]")
    assert Case.objects.get(pk=w["actioned2"].pk).status == CaseStatus.SUBMITTED

    # History links (object tools).
    for key in ("draft", "submitted", "acknowledged", "actioned", "objected"):
        c.goto(f"/admin/cases/case/{w[key].pk}/change/")
        c.press("a.historylink")
        assert "/history/" in page.url

    for path in (f"/admin/cases/commitment/{w['commitment'].pk}/change/",
                 f"/admin/cases/sanction/{w['sanction'].pk}/change/"):
        c.goto(path)
        c.press("a.historylink")
        assert "/history/" in page.url

    # Commitment progress.
    c.goto(f"/admin/cases/commitment/{w['commitment'].pk}/change/")
    page.fill(".patuh-progress textarea[name=note]", "Reviewed.")
    c.press(".patuh-progress input[type=submit]")
    assert CommitmentUpdate.objects.filter(commitment=w["commitment"], author=analyst).exists()

    # Bulk actions on the list.
    fresh = [Case.objects.get(location_url=f"https://t.me/new_channel_{n}/1") for n in range(3)]
    c.bulk("/admin/cases/case/", [fresh[0].reference], "submit_selected")
    assert Case.objects.get(pk=fresh[0].pk).status == CaseStatus.SUBMITTED
    c.bulk("/admin/cases/case/", [fresh[1].reference], "assign_to_me")
    assert Case.objects.get(pk=fresh[1].pk).assigned_to == analyst
    # A draft saved and submitted from its own page.
    c.goto(f"/admin/cases/case/{fresh[1].pk}/change/")
    page.fill("input[name=handle]", "edited then sent")
    c.press("input[name=_submit]")
    sent = Case.objects.get(pk=fresh[1].pk)
    assert (sent.status, sent.handle) == (CaseStatus.SUBMITTED, "edited then sent")
    transition(fresh[0], "report_action", actor=_liaison(), action_taken="removed",
               action_taken_at=clock.now().isoformat())
    c.bulk("/admin/cases/case/", [fresh[0].reference], "verify_selected")
    assert Case.objects.get(pk=fresh[0].pk).status == CaseStatus.VERIFIED

    def with_note():
        page.fill("textarea[name=note]", "Bulk note.")
        c.press("form.patuh-form input[type=submit]")

    transition(w["acknowledged"], "report_action", actor=_liaison(), action_taken="removed",
               action_taken_at=clock.now().isoformat())
    c.bulk("/admin/cases/case/", [w["acknowledged"].reference], "reopen_selected", confirm=with_note)
    assert Case.objects.get(pk=w["acknowledged"].pk).status == CaseStatus.SUBMITTED
    c.bulk("/admin/cases/case/", [fresh[2].reference], "withdraw_selected", confirm=with_note)
    if decider:
        assert Case.objects.get(pk=fresh[2].pk).status == CaseStatus.WITHDRAWN
    else:  # analysts do not withdraw: refused, and said so
        assert Case.objects.get(pk=fresh[2].pk).status == CaseStatus.DRAFT
        assert fresh[2].reference in c.message()


def _liaison():
    return get_user_model().objects.get(username="liaison_a")


def _pick_platform(page, name):
    """The platform field is an autocomplete (select2): type and pick."""
    if page.locator("select[name=platform].admin-autocomplete").count():
        page.click(".field-platform .select2-selection")
        page.fill(".select2-search__field", name)
        page.click(f".select2-results__option:has-text('{name}')")


def test_supervisor_clicks_every_control_offered(live_server, browser, world, supervisor, platform_b):
    w = world
    pages = [*ministry_pages(w), "/admin/cases/sanction/add/"]
    c = _start(browser, live_server.url, "admin", supervisor, pages)
    page = c.page
    # Screenshots of the new pages, with the fixture's backlog, in both languages (README: docs/screenshots/).
    for locale, suffix in (("en-US", "en"), ("id-ID", "id")):
        shot = browser.new_context(viewport={"width": 1366, "height": 900}, locale=locale).new_page()
        _login(shot, c.base, "admin", supervisor.username)
        for path, name in (("/admin/", "ministry-dashboard"), ("/admin/my-work/?who=all", "my-work"),
                           ("/admin/integrity/", "integrity")):
            shot.goto(c.base + path)
            shot.screenshot(path=SHOTS / f"{name}-{suffix}.png", full_page=True)
        shot.context.close()

    case_controls(c, w, supervisor, decider=True)
    integrity_controls(c, supervisor)

    # Objections: reject one (the clock resumes), uphold the other (the case is withdrawn); withdraw a case.
    for key, action, status in (("objected", "reject_objection", CaseStatus.ACKNOWLEDGED),
                                ("objected2", "uphold_objection", CaseStatus.WITHDRAWN),
                                ("submitted", "withdraw", CaseStatus.WITHDRAWN)):
        c.goto(f"/admin/cases/case/{w[key].pk}/change/")
        c.press(f"a.patuh-action[href$='/act/{action}/']")
        page.fill("textarea[name=note]", f"Decided: {action}.")
        c.press("form.patuh-form input[type=submit]")
        assert Case.objects.get(pk=w[key].pk).status == status, action

    # The sanction proposed on A: issue it, mark it complied.
    sanction = w["sanction"]
    c.goto(f"/admin/cases/sanction/{sanction.pk}/change/")
    c.press("a.patuh-action[href$='/step/issue/']")
    page.fill("input[name=letter_reference]", "ST-1/2026")
    c.press("form.patuh-form input[type=submit]")
    assert Sanction.objects.get(pk=sanction.pk).status == SanctionStatus.ISSUED
    c.goto(f"/admin/cases/sanction/{sanction.pk}/change/")
    c.press("a.patuh-action[href$='/step/comply/']")
    c.press("form.patuh-form input[type=submit]")
    assert Sanction.objects.get(pk=sanction.pk).status == SanctionStatus.COMPLIED
    # Propose on B three ways, lifting each proposal before the next (one open proposal per platform).
    for name in ["_save", "_continue", "_addanother"]:
        c.goto("/admin/cases/sanction/")
        c.press(".object-tools a.addlink")
        page.select_option("select[name=platform]", label=platform_b.name)
        page.select_option("select[name=level]", "1")
        page.fill("textarea[name=reason]", f"Proposal {name}")
        page.select_option("select[name=content_category]", "hoax")  # the content basis (issue 15)
        c.press(f"input[name={name}]")
        proposal = Sanction.objects.get(platform=platform_b, reason=f"Proposal {name}")
        assert proposal.status == SanctionStatus.PROPOSED
        if name == "_save":  # cite one of B's cases on the proposal (issue 15's step): an overdue one
            Case.objects.filter(pk=w["b_submitted"].pk).update(due_at=clock.now() - timedelta(hours=1),
                                                               overdue_at=clock.now() - timedelta(hours=1))
            c.goto(f"/admin/cases/sanction/{proposal.pk}/change/")
            c.press("a.patuh-action[href$='/step/cite/']")
            page.fill("input[name=case]", w["b_submitted"].reference)
            c.press("form.patuh-form input[type=submit]")
            assert list(Sanction.objects.get(pk=proposal.pk).cases.all()) == [w["b_submitted"]]
        c.goto(f"/admin/cases/sanction/{proposal.pk}/change/")
        c.press("a.patuh-action[href$='/step/withdraw/']")  # a proposal is withdrawn (issue 15), not lifted
        page.fill("textarea[name=note]", "Dismissed after the meeting.")
        c.press("form.patuh-form input[type=submit]")
        assert Sanction.objects.get(pk=proposal.pk).status == SanctionStatus.WITHDRAWN

    # The commitment itself (supervisors write it), with each save button.
    commitment = w["commitment"]
    for name in ["_save", "_continue", "_addanother"]:
        c.goto(f"/admin/cases/commitment/{commitment.pk}/change/")
        page.fill("textarea[name=text]", f"Respond in 24 h ({name})")
        c.press(f"#commitment_form input[name={name}]")
        assert Commitment.objects.get(pk=commitment.pk).text == f"Respond in 24 h ({name})"

    click_account_controls(c, "admin", supervisor)
    c.assert_all_clicked()


def test_auditor_is_offered_only_reading_and_their_own_account(live_server, browser, world, auditor):
    w = world
    assert _page(browser).goto(f"{live_server.url}/admin/cases/case/add/").status in (200, 302)  # (login first)
    c = _start(browser, live_server.url, "admin", auditor, [p for p in ministry_pages(w) if not p.endswith("/add/")])
    assert c.page.goto(f"{c.base}/admin/cases/case/add/").status == 403
    write = [key for key in c.seen if re.search(r"/act/|/comment/|/progress/|/recheck/|/step/|(?<!apitoken)/add/ _|"
                                                   r"action /admin/cases/case/", key)]
    assert not write, f"an auditor is offered writes: {write}"
    page = c.page
    c.goto("/admin/cases/case/")
    page.fill("#searchbar", w["objected"].reference)
    c.press("#changelist-search input[type=submit]")
    assert page.locator("#result_list tbody tr").count() == 1
    day = timezone.localdate(clock.now()).isoformat()  # the Jakarta day, as the filter reads it
    c.goto("/admin/cases/case/")
    page.fill("input[name=submitted_from]", day)
    c.press("form.patuh-range input[type=submit]")
    assert page.locator("#result_list tbody tr").count() == Case.objects.exclude(status=CaseStatus.DRAFT).count()
    for path in [f"/admin/cases/case/{w[k].pk}/change/" for k in ("draft", "submitted", "acknowledged", "actioned",
                                                                   "objected")] + [
            f"/admin/cases/commitment/{w['commitment'].pk}/change/",
            f"/admin/cases/sanction/{w['sanction'].pk}/change/"]:
        c.goto(path)
        c.press("a.historylink")
        assert "/history/" in page.url
    c.goto("/admin/cases/case/")
    assert w["objected"].reference in c.download(".object-tools a.patuh-export")
    integrity_controls(c, auditor)
    c.goto("/admin/")
    c.press("#content a.button[href$='/admin/my-work/']")
    assert page.locator(".patuh-queue").count() == 5 and not page.locator("form.patuh-assign").count()
    before = (CaseEvent.objects.count(), CommitmentUpdate.objects.count(), Sanction.objects.count())
    click_account_controls(c, "admin", auditor)
    assert (CaseEvent.objects.count(), CommitmentUpdate.objects.count(), Sanction.objects.count()) == before
    c.assert_all_clicked()


def platform_pages(w, suffix="") -> list[str]:
    own = [w[k] for k in ("submitted", "acknowledged", "actioned", "objected")] if not suffix else [w["b_submitted"]]
    return ["/platform/", "/platform/cases/case/?awaiting=true", "/platform/cases/case/?awaiting=",
            "/platform/scorecard/",
            *[f"/platform/cases/case/{case.pk}/change/" for case in own],
            f"/platform/cases/commitment/{w['commitment' + suffix].pk}/change/",
            "/platform/cases/webhookendpoint/", "/platform/cases/webhookendpoint/add/"]


def liaison_controls(c: Clicks, cases, commitment, user, settings):
    """A liaison's own work: search, acknowledge, report action with evidence, object, comment, progress,
    a webhook endpoint."""
    page = c.page
    first, second, _third = cases
    c.goto("/platform/")  # the dashboard's two buttons: the inbox and the scorecard
    c.press("#content a.button[href$='/platform/cases/case/']")
    assert first.reference in page.inner_text("#result_list")
    c.goto("/platform/")
    c.press("#content a.button[href$='/platform/scorecard/']")
    assert "scorecard" in page.inner_text("h1").lower()
    c.goto("/platform/cases/case/?awaiting=")
    page.fill("#searchbar", first.reference)
    c.press("#changelist-search input[type=submit]")
    assert page.locator("#result_list tbody tr").count() == 1

    exported = c.download(".object-tools a.patuh-export")  # the inbox as filtered: the liaison's own cases
    assert first.reference in exported and all(
        Case.objects.get(reference=line.split(",")[0]).platform_id == first.platform_id
        for line in exported.splitlines()[1:])

    c.goto(f"/platform/cases/case/{first.pk}/change/")
    c.press("a.patuh-action[href$='/act/acknowledge/']")
    c.press("form.patuh-form input[type=submit]")
    assert Case.objects.get(pk=first.pk).status == CaseStatus.ACKNOWLEDGED

    c.goto(f"/platform/cases/case/{first.pk}/change/")
    c.press("a.patuh-action[href$='/act/report_action/']")
    page.select_option("select[name=action_taken]", "removed")
    page.set_input_files("input[name=response_evidence]", files=[{"name": "removed.png", "mimeType": "image/png",
                                                                  "buffer": PNG}])
    c.press("form.patuh-form input[type=submit]")
    assert Case.objects.get(pk=first.pk).status == CaseStatus.ACTIONED
    assert Evidence.objects.filter(case=first, original_name="removed.png", visibility=Visibility.SHARED).exists()

    c.goto(f"/platform/cases/case/{second.pk}/change/")
    c.press("a.patuh-action[href$='/act/object/']")
    page.select_option("select[name=reason]", "lawful")
    page.fill("textarea[name=text]", "This is satire.")
    c.press("form.patuh-form input[type=submit]")
    assert Case.objects.get(pk=second.pk).status == CaseStatus.OBJECTED

    for case in cases:
        c.goto(f"/platform/cases/case/{case.pk}/change/")
        page.fill("form.patuh-comment textarea[name=text]", f"Note on {case.reference}")
        c.press("form.patuh-comment input[type=submit]")
        assert CaseEvent.objects.filter(case=case, kind=EventKind.COMMENT, actor=user,
                                        visibility=Visibility.SHARED).exists()
        c.goto(f"/platform/cases/case/{case.pk}/change/")
        c.press("a.historylink")
        assert "/history/" in page.url

    c.goto(f"/platform/cases/commitment/{commitment.pk}/change/")
    page.fill(".patuh-progress textarea[name=note]", "Rota in place.")
    c.press(".patuh-progress input[type=submit]")
    assert CommitmentUpdate.objects.filter(commitment=commitment, author=user).exists()
    c.goto(f"/platform/cases/commitment/{commitment.pk}/change/")
    c.press("a.historylink")

    settings.PATUH_FETCH_ALLOW_LOOPBACK_HTTP = True  # the endpoints below are on this machine
    for n, name in enumerate(["_save", "_continue", "_addanother"]):
        c.goto("/platform/cases/webhookendpoint/")
        c.press(".object-tools a.addlink")
        page.fill("input[name=url]", f"http://127.0.0.1:9/{user.username}/{n}")
        c.press(f"input[name={name}]")
        assert WebhookEndpoint.objects.filter(url=f"http://127.0.0.1:9/{user.username}/{n}").exists()


def test_liaison_of_a_clicks_every_control_offered(live_server, browser, world, liaison_a, settings):
    w = world
    c = _start(browser, live_server.url, "platform", liaison_a, platform_pages(w))
    # An address that does not resolve is refused on the form (was: a 500).
    c.goto("/platform/cases/webhookendpoint/add/")
    c.page.fill("input[name=url]", "https://hooks.invalid/x")
    c.press("input[name=_save]")
    assert "cannot be resolved" in c.page.inner_text(".field-url")
    liaison_controls(c, (w["submitted"], w["acknowledged"], w["objected"]), w["commitment"], liaison_a, settings)
    click_account_controls(c, "platform", liaison_a)
    c.assert_all_clicked()


def test_liaison_of_b_clicks_every_control_offered_and_never_reaches_a(live_server, browser, world, liaison_b,
                                                                       make_case, platform_b, settings):
    w = world
    more = [make_case(submit=True, platform=platform_b, url=f"https://facebook.com/page/{n}") for n in (2, 3)]
    c = _start(browser, live_server.url, "platform", liaison_b, platform_pages(w, "_b"))
    for key in ("submitted", "objected"):
        assert c.page.goto(f"{c.base}/platform/cases/case/{w[key].pk}/change/").status == 404
    assert c.page.goto(f"{c.base}/platform/cases/commitment/{w['commitment'].pk}/change/").status == 404
    liaison_controls(c, (w["b_submitted"], *more), w["commitment_b"], liaison_b, settings)
    assert not CaseEvent.objects.filter(case__platform__name="Telegram", actor=liaison_b).exists()
    click_account_controls(c, "platform", liaison_b)
    c.assert_all_clicked()
