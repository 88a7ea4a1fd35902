"""Commitments in the consoles go through the commitments lifecycle (issue 15): an edit in the ministry console is
an audited `edit` step, the status is never typed, and progress from either console is a step too."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from cases.commitments.services import commitments
from cases.models import Commitment, CommitmentEvent

pytestmark = pytest.mark.django_db


class FormFields(HTMLParser):
    """The values a browser would submit from the page's main form (#<model>_form)."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.fields, self.select, self.textarea = form_id, False, {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "checkbox", "button"):
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
            self.fields[a["name"]] = "on"
        elif tag == "select" and a.get("name"):
            self.select = a["name"]
            self.fields.setdefault(self.select, "")
        elif tag == "option" and self.select and "selected" in a:
            self.fields[self.select] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self.textarea = a["name"]
            self.fields[self.textarea] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += data.lstrip("\n") if not self.fields[self.textarea] else data


def form_of(response, form_id):
    parser = FormFields(form_id)
    parser.feed(response.content.decode())
    return parser.fields


def test_an_edit_in_the_ministry_console_is_an_audited_step(client, supervisor, platform_a):
    c = commitments.open_commitment(actor=supervisor, platform=platform_a, text="Moderator lokal",
                                    kind="local_moderators")
    client.force_login(supervisor)
    url = reverse("admin:cases_commitment_change", args=[c.pk])
    data = form_of(client.get(url), "commitment_form")
    # The status is a step of the lifecycle, never typed: a posted one is ignored.
    data.update({"due_on": "2026-06-30", "text_en": "Local moderators", "status": "withdrawn", "_save": "Save"})
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    c.refresh_from_db()
    assert c.status == "open"
    event = CommitmentEvent.objects.filter(commitment=c).latest("id")
    assert event.kind == "edit" and event.actor == supervisor
    assert event.data["fields"]["due_on"] == [None, "2026-06-30"]
    assert event.data["fields"]["text_en"] == ["", "Local moderators"]


def test_a_new_commitment_in_the_console_is_recorded_through_the_lifecycle(client, supervisor, platform_a):
    client.force_login(supervisor)
    url = reverse("admin:cases_commitment_add")
    data = form_of(client.get(url), "commitment_form")
    data.update({"platform": platform_a.pk, "kind": "direct_line", "text": "Jalur langsung", "owner": "platform",
                 "_save": "Save"})
    assert client.post(url, data).status_code == 302
    c = Commitment.objects.get()
    assert c.status == "open" and CommitmentEvent.objects.get(commitment=c).kind == "open"


def test_progress_from_the_platform_console_is_a_step(client, supervisor, liaison_a, liaison_b, platform_a):
    c = commitments.open_commitment(actor=supervisor, platform=platform_a, text="Jalur langsung")
    client.force_login(liaison_a)
    url = f"/platform/cases/commitment/{c.pk}/progress/"
    response = client.post(url, {"note": "Line opened.", "status": "in_progress", "progress_percent": 30})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == "in_progress"
    assert list(CommitmentEvent.objects.filter(commitment=c).order_by("id").values_list("kind", flat=True)) == [
        "open", "start"]
    # The ministry's verdict is not the liaison's to give: refused, with the sentence, nothing written.
    response = client.post(url, {"note": "Done!", "status": "fulfilled"}, follow=True)
    assert "cannot be declared fulfilled" in response.content.decode() or "tidak dapat" in response.content.decode()
    assert CommitmentEvent.objects.filter(commitment=c).count() == 2
    client.force_login(liaison_b)
    assert client.post(url, {"note": "not mine"}).status_code == 404


def test_commitments_added_in_a_meeting_are_recorded_through_the_lifecycle(client, supervisor, platform_a):
    client.force_login(supervisor)
    url = reverse("admin:cases_meeting_add")
    data = form_of(client.get(url), "meeting_form")
    data.update({"title": "Rapat dengan Telegram", "held_on": "2026-03-01", "platforms": str(platform_a.pk),
                 "commitments-TOTAL_FORMS": "1", "commitments-0-platform": platform_a.pk,
                 "commitments-0-kind": "direct_line", "commitments-0-owner": "platform",
                 "commitments-0-text": "Jalur langsung 24 jam", "_save": "Save"})
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    c = Commitment.objects.get()
    assert c.meeting.title == "Rapat dengan Telegram" and c.status == "open"
    event = CommitmentEvent.objects.get(commitment=c)
    assert event.kind == "open" and event.data["fields"]["meeting"] == c.meeting_id


def test_the_liaison_sees_the_commitments_audited_steps(client, supervisor, liaison_a, liaison_b, platform_a):
    c = commitments.open_commitment(actor=supervisor, platform=platform_a, text="Jalur langsung")
    commitments.transition(c, "start", actor=liaison_a, note="Line opened.")
    client.force_login(liaison_a)
    page = client.get(f"/platform/cases/commitment/{c.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "history (audited steps)" in page.lower() and "Line opened." in page and "Started" in page
    client.force_login(liaison_b)
    assert client.get(f"/platform/cases/commitment/{c.pk}/change/").status_code == 404
