"""Platforms, meetings, commitments (and progress updates) and sanctions over the API, per persona; and the
OpenAPI schema and its docs page."""

import pytest
from django.core.management import call_command

from cases.core.choices import CommitmentKind, SanctionLevel, SanctionStatus
from cases.models import Commitment, CommitmentUpdate, Meeting, Sanction
from cases.sanctions.services.sanctions import propose_sanction
from tests.test_api_support import bearer_client, unthrottled  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def reference_data(platform_a, platform_b, supervisor):
    meeting_a = Meeting.objects.create(title="Telegram 1 Aug 2017", held_on="2017-08-01")
    meeting_a.platforms.set([platform_a])
    joint = Meeting.objects.create(title="Joint", held_on="2017-08-04")
    joint.platforms.set([platform_a, platform_b])
    meeting_b = Meeting.objects.create(title="Facebook 2 Aug 2017", held_on="2017-08-02")
    meeting_b.platforms.set([platform_b])
    return {
        "meetings": (meeting_a, joint, meeting_b),
        "commitment_a": Commitment.objects.create(meeting=meeting_a, platform=platform_a,
                                                  kind=CommitmentKind.LOCAL_MODERATORS, text="Moderator berbahasa"),
        "commitment_b": Commitment.objects.create(meeting=meeting_b, platform=platform_b,
                                                  kind=CommitmentKind.LOCAL_TEAM, text="Tim lokal"),
        "proposal_a": propose_sanction(platform=platform_a, level=SanctionLevel.WARNING_1, actor=supervisor,
                                       reason="Six unanswered requests.", content_category="terrorism"),
    }


def ids(response, key="id"):
    assert response.status_code == 200, response.content
    return {row[key] for row in response.json()["results"]}


def test_platforms_per_persona(reference_data, analyst, auditor, liaison_a, liaison_b):
    assert ids(bearer_client(analyst).get("/api/v1/platforms/"), "slug") == {"telegram", "facebook"}
    assert ids(bearer_client(auditor).get("/api/v1/platforms/"), "slug") == {"telegram", "facebook"}
    assert ids(bearer_client(liaison_a).get("/api/v1/platforms/"), "slug") == {"telegram"}
    assert bearer_client(liaison_a).get("/api/v1/platforms/facebook/").status_code == 404
    assert bearer_client(liaison_b).get("/api/v1/platforms/facebook/").json()["standing"] == "active"
    assert bearer_client(None).get("/api/v1/platforms/").status_code == 401


def test_meetings_per_persona(reference_data, analyst, liaison_a, liaison_b):
    a, joint, b = reference_data["meetings"]
    assert ids(bearer_client(analyst).get("/api/v1/meetings/")) == {a.pk, joint.pk, b.pk}
    # A joint meeting's minutes speak for other platforms too: the ministry's only (Meeting.visible_to).
    assert ids(bearer_client(liaison_a).get("/api/v1/meetings/")) == {a.pk}
    assert bearer_client(liaison_a).get(f"/api/v1/meetings/{a.pk}/").json()["platforms"] == ["telegram"]
    for other in (b, joint):
        assert bearer_client(liaison_a).get(f"/api/v1/meetings/{other.pk}/").status_code == 404
    assert bearer_client(analyst).get(f"/api/v1/meetings/{joint.pk}/").json()["platforms"] == ["facebook", "telegram"]
    assert ids(bearer_client(analyst).get("/api/v1/meetings/?platform=facebook")) == {joint.pk, b.pk}


def test_commitments_and_progress_updates(reference_data, analyst, auditor, liaison_a, liaison_b):
    mine, theirs = reference_data["commitment_a"], reference_data["commitment_b"]
    assert ids(bearer_client(liaison_a).get("/api/v1/commitments/")) == {mine.pk}
    assert ids(bearer_client(analyst).get("/api/v1/commitments/?platform=facebook")) == {theirs.pk}
    client = bearer_client(liaison_a)
    response = client.post(f"/api/v1/commitments/{mine.pk}/updates/",
                           {"note": "Hired 12 moderators.", "status": "in_progress", "progress_percent": 40},
                           format="json")
    assert response.status_code == 201, response.content
    mine.refresh_from_db()
    assert mine.status == "in_progress"
    assert [u["note"] for u in client.get(f"/api/v1/commitments/{mine.pk}/updates/").json()] == ["Hired 12 moderators."]
    # A liaison cannot declare a commitment fulfilled, and cannot touch another platform's.
    refused = client.post(f"/api/v1/commitments/{mine.pk}/updates/", {"note": "Done", "status": "fulfilled"},
                          format="json")
    # Refused as case transitions are: 409 with the step's sentence (only the ministry declares it fulfilled).
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "forbidden"
    assert client.post(f"/api/v1/commitments/{theirs.pk}/updates/", {"note": "x"}, format="json").status_code == 404
    assert client.get(f"/api/v1/commitments/{theirs.pk}/updates/").status_code == 404
    assert bearer_client(liaison_b).get(f"/api/v1/commitments/{mine.pk}/").status_code == 404
    assert bearer_client(auditor).post(f"/api/v1/commitments/{mine.pk}/updates/", {"note": "x"},
                                       format="json").status_code == 409
    response = bearer_client(analyst).post(f"/api/v1/commitments/{mine.pk}/updates/",
                                           {"note": "Verified.", "status": "fulfilled"}, format="json")
    assert response.status_code == 201
    assert CommitmentUpdate.objects.count() == 2


def test_sanctions_per_persona_and_the_supervisors_steps(reference_data, analyst, supervisor, liaison_a, liaison_b,
                                                          platform_b):
    proposal = reference_data["proposal_a"]
    assert ids(bearer_client(analyst).get("/api/v1/sanctions/")) == {proposal.pk}
    assert ids(bearer_client(liaison_a).get("/api/v1/sanctions/")) == set()  # proposals are internal
    assert bearer_client(liaison_a).get(f"/api/v1/sanctions/{proposal.pk}/").status_code == 404
    # Analysts may read but not decide.
    assert bearer_client(analyst).post(f"/api/v1/sanctions/{proposal.pk}/issue/", {"letter_reference": "x"},
                                       format="json").status_code == 409
    client = bearer_client(supervisor)
    response = client.post(f"/api/v1/sanctions/{proposal.pk}/issue/", {"letter_reference": "ST1/2017/7"},
                           format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == SanctionStatus.ISSUED
    body = bearer_client(liaison_a).get(f"/api/v1/sanctions/{proposal.pk}/").json()
    assert body["letter_reference"] == "ST1/2017/7" and "fine_inputs" not in body
    assert bearer_client(liaison_b).get(f"/api/v1/sanctions/{proposal.pk}/").status_code == 404
    again = client.post(f"/api/v1/sanctions/{proposal.pk}/issue/", {"letter_reference": "x"}, format="json")
    assert again.status_code == 409  # the lifecycle refuses: already issued
    assert client.post(f"/api/v1/sanctions/{proposal.pk}/comply/", {}, format="json").json()["status"] == "complied"
    created = client.post("/api/v1/sanctions/", {"platform": "facebook", "level": 1, "reason": "Overdue orders.",
                                                  "content_category": "hoax"}, format="json")
    assert created.status_code == 201
    lifted = client.post(f"/api/v1/sanctions/{created.json()['id']}/lift/", {"reason": "Complied in the meeting."},
                         format="json")
    assert lifted.json()["status"] == SanctionStatus.WITHDRAWN  # `lift` on a proposal withdraws it
    assert bearer_client(liaison_b).post("/api/v1/sanctions/", {"platform": "facebook", "level": 1, "reason": "x",
                                                                "content_category": "hoax"},
                                         format="json").status_code == 409
    assert Sanction.objects.count() == 2


# --- the schema -----------------------------------------------------------------------------------------


def test_the_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/v1/cases/bulk/", "/api/v1/cases/{reference}/transitions/", "/api/v1/reports/compliance/",
                 "/api/v1/public/transparency/", "/api/v1/evidence/{id}/download/"):
        assert f"{path}:" in text


def test_the_docs_page_loads_its_assets_locally(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page.lower()
    assert "cdn" not in page.lower() and "jsdelivr" not in page and "unpkg" not in page
    assert "/static/drf_spectacular_sidecar/" in page
    assert client.get("/api/schema/").status_code == 200
