"""Both languages, completely (issue 13): Indonesian by default, English on request, neither showing the other's
words; the catalogue has no untranslated or fuzzy entry.

The other language is recognised from the catalogue itself: every entry whose English and Indonesian differ and
that is a phrase (two words or more) is a marker. A page rendered in Indonesian must not show any English marker
as text, and one rendered in English no Indonesian marker.
"""

import html as htmlmod
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings

from cases.cases.services.cases import add_comment
from cases.cases.workflow import transition
from cases.core import clock
from cases.models import Commitment, Meeting
from cases.sanctions.services import sanctions

PO = Path(settings.BASE_DIR) / "locale" / "id" / "LC_MESSAGES" / "django.po"


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="gettext's msgfmt is not installed")
def test_the_catalogue_has_no_untranslated_or_fuzzy_entry():
    result = subprocess.run(["msgfmt", "--statistics", "--check-format", "-o", "/dev/null", str(PO)],  # noqa: S607
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    stats = result.stderr.strip()
    assert "untranslated" not in stats and "fuzzy" not in stats, stats


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="gettext's msgfmt is not installed")
def test_the_compiled_catalogue_is_the_current_one(tmp_path):
    """The .mo the server reads says what the .po says (compilemessages was run after the last edit)."""
    import gettext

    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(PO)], check=True)  # noqa: S607
    with open(fresh, "rb") as a, open(PO.with_suffix(".mo"), "rb") as b:
        assert gettext.GNUTranslations(a)._catalog == gettext.GNUTranslations(b)._catalog


@cache
def markers() -> tuple[set[str], set[str]]:
    """(English phrases, Indonesian phrases) that belong to one language only, from the compiled catalogue."""
    import gettext

    with open(PO.with_suffix(".mo"), "rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)._catalog  # msgid -> msgstr; plurals are keyed by tuples
    english, indonesian = set(), set()
    for en, id_ in catalogue.items():
        if not isinstance(en, str) or not en:
            continue
        en, id_ = en.strip(), id_.strip()
        if not id_ or en == id_ or "%" in en or "{" in en or "<" in en or "\n" in en:
            continue
        if len(en.split()) >= 2 and len(en) >= 8:
            english.add(en)
        if len(id_.split()) >= 2 and len(id_) >= 8:
            indonesian.add(id_)
    return english - indonesian, indonesian - english


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style|svg|textarea)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", htmlmod.unescape(page))


def other_language(text: str, language: str) -> list[str]:
    english, indonesian = markers()
    foreign = english if language == "id" else indonesian
    # The substring test first: most phrases are not on the page at all, and a regular expression per phrase
    # (thousands of them, more than re's cache holds) would be compiled anew for every page.
    return sorted(m for m in foreign if m in text and re.search(rf"(?<![\w-]){re.escape(m)}(?![\w-])", text))


@pytest.fixture
def pages(make_case, liaison_a, supervisor, platform_a):
    submitted = make_case(submit=True)
    actioned = make_case(submit=True)
    transition(actioned, "report_action", actor=liaison_a, action_taken="removed",
               action_taken_at=clock.now().isoformat())
    objected = make_case(submit=True)
    transition(objected, "object", actor=liaison_a, reason="lawful", text="Satire.")
    draft = make_case()
    add_comment(submitted, actor=liaison_a, text="ok")
    meeting = Meeting.objects.create(title="Rapat", held_on="2026-08-01")
    meeting.platforms.set([platform_a])
    commitment = Commitment.objects.create(platform=platform_a, meeting=meeting, text="Janji", text_en="Promise")
    sanction = sanctions.propose_sanction(platform=platform_a, level=1, actor=supervisor, reason="Late",
                                          content_category="hoax")
    ministry = ["/admin/", "/admin/my-work/?who=all", "/admin/integrity/", "/admin/cases/case/",
                "/admin/cases/case/add/",
                *[f"/admin/cases/case/{c.pk}/change/" for c in (submitted, actioned, objected, draft)],
                f"/admin/cases/case/{submitted.pk}/act/withdraw/",
                f"/admin/cases/case/{objected.pk}/act/reject_objection/",
                f"/admin/cases/commitment/{commitment.pk}/change/", f"/admin/cases/sanction/{sanction.pk}/change/",
                "/admin/cases/sanction/", "/admin/two-step/", "/admin/no-such-page/"]
    platform = ["/platform/", "/platform/cases/case/?awaiting=true", "/platform/cases/case/?awaiting=",
                "/platform/scorecard/",
                *[f"/platform/cases/case/{c.pk}/change/" for c in (submitted, actioned, objected)],
                f"/platform/cases/case/{submitted.pk}/act/report_action/",
                f"/platform/cases/case/{submitted.pk}/act/object/",
                f"/platform/cases/commitment/{commitment.pk}/change/", "/platform/two-step/",
                f"/platform/cases/case/{draft.pk}/change/"]
    return {"ministry": ministry, "platform": platform}


@pytest.mark.parametrize("language", ["id", "en"])
def test_main_pages_speak_one_language(client, supervisor, liaison_a, pages, language):
    found = {}
    for user, paths in ((supervisor, pages["ministry"]), (liaison_a, pages["platform"])):
        client.force_login(user)
        for path in paths:
            response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code in (200, 404), (path, response.status_code)
            assert response["Content-Language"] == language
            if foreign := other_language(visible_text(response.content.decode()), language):
                found[path] = foreign
    assert not found, f"pages in {language} showing the other language: {found}"


def test_timelines_show_status_labels_not_codes(client, analyst, make_case):
    from django.utils import translation

    from cases.core.choices import CaseStatus

    case = make_case(submit=True)
    client.force_login(analyst)
    for language in ("en", "id"):
        with translation.override(language):
            expected = f"{CaseStatus.DRAFT.label} → {CaseStatus.SUBMITTED.label}"
        text = visible_text(client.get(f"/admin/cases/case/{case.pk}/change/",
                                       HTTP_ACCEPT_LANGUAGE=language).content.decode())
        assert expected in text and "draft → submitted" not in text


ERRORS = {
    "en": {404: "Page not found", 403: "Not allowed", 500: "Something went wrong"},
    "id": {404: "Halaman tidak ditemukan", 403: "Tidak diizinkan", 500: "Terjadi kesalahan"},
}


@pytest.mark.parametrize("language", ["id", "en"])
def test_error_pages_are_console_pages_in_both_languages(client, auditor, liaison_a, rf, language):
    from django.utils import translation
    from django.views import defaults

    from cases.sites import MinistrySite

    client.force_login(auditor)
    missing = client.get("/admin/cases/case/999999/change/", HTTP_ACCEPT_LANGUAGE=language)
    assert missing.status_code == 404
    page = missing.content.decode()
    assert ERRORS[language][404] in page
    with translation.override(language):
        assert str(MinistrySite.site_header) in page  # a page of the ministry console
    assert 'id="header"' in page and "/admin/" in page
    denied = client.get("/admin/cases/case/add/", HTTP_ACCEPT_LANGUAGE=language)  # auditors read
    assert denied.status_code == 403 and ERRORS[language][403] in denied.content.decode()
    client.force_login(liaison_a)
    elsewhere = client.get("/platform/cases/case/999999/change/", HTTP_ACCEPT_LANGUAGE=language)
    assert elsewhere.status_code == 404 and 'href="/platform/"' in elsewhere.content.decode()
    with translation.override(language):
        crashed = defaults.server_error(rf.get("/admin/"))
    assert crashed.status_code == 500 and ERRORS[language][500] in crashed.content.decode()
    for response in (missing, denied, elsewhere, crashed):
        text = visible_text(response.content.decode())
        assert not other_language(text, language), other_language(text, language)
