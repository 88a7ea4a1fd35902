"""Mixed writers on the same few cases, on PostgreSQL with real connections (issue 8).

Sixteen threads edit and move four cases at once: the ministry's field edits through `update_case` with the
version they read, transitions through `transition()` with the version they read, and transitions through the
API with the ETag they read sent back as `If-Match`. (The API has no field-edit endpoint: a case's order is
edited in the console, through the same service.) Every write that succeeds bumps the case's version by one
and writes one event; everything else is refused. At the end, for every case:

- no lost update: version == initial version + successful writes, and the order's text is the one written by
  the successful edit with the highest version;
- no duplicate event: events == initial events + successful writes, one per version;
- the API answered every request with 2xx, or 4xx in the error shape: never a 500;
- nothing but the expected refusals was raised.
"""

import random
import threading
from collections import Counter, defaultdict

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from rest_framework.test import APIClient

from cases.api.services.tokens import create_token
from cases.cases.services.cases import update_case
from cases.cases.workflow import TRANSITIONS, TransitionError, transition
from cases.core import clock
from cases.core.choices import ActionTaken, ObjectionReason
from cases.models import Case, CaseEvent
from tests.test_api_support import unthrottled  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16
OPS_PER_THREAD = 12
CASES = 4
# Who applies which action (one person per role is enough: the races are between writers, not roles).
ACTOR_OF = {"submit": "analyst", "verify": "analyst", "reopen": "analyst", "acknowledge": "liaison_a",
            "report_action": "liaison_a", "object": "liaison_a", "uphold_objection": "supervisor",
            "reject_objection": "supervisor", "withdraw": "supervisor"}


def _data(action: str) -> dict:
    if action == "report_action":
        return {"action_taken": ActionTaken.REMOVED, "action_taken_at": clock.now().isoformat()}
    if action == "object":
        return {"reason": ObjectionReason.LAWFUL, "text": "Satire."}
    return {}


def _pick_action(rng, status: str) -> str:
    fitting = [a for a, spec in TRANSITIONS.items() if status in spec.sources]
    # Submitting ends the drafts' edits, closing ends a case's story: keep them rare, so the cases stay busy.
    rare = ("submit", "withdraw", "uphold_objection", "verify")
    weighted = [a for a in fitting for _ in range(1 if a in rare else 6)]
    return rng.choice(weighted or list(TRANSITIONS))


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.successes = Counter()  # case pk -> successful writes
        self.edits = defaultdict(list)  # case pk -> [(new version, reasons)]
        self.outcomes = Counter()
        self.problems = []

    def add(self, key, case_pk=None, edit=None):
        with self.lock:
            self.outcomes[key] += 1
            if case_pk is not None:
                self.successes[case_pk] += 1
            if edit is not None:
                self.edits[case_pk].append(edit)

    def problem(self, text):
        with self.lock:
            self.problems.append(text)


def _worker(index, cases, people, keys, tally, barrier):
    rng = random.Random(index)
    clients = {}
    try:
        barrier.wait()
        for step in range(OPS_PER_THREAD):
            case = rng.choice(cases)
            kind = rng.choice(["edit", "edit", "service", "api", "api"])
            current = Case.objects.values("status", "version").get(pk=case.pk)
            if current["status"] == "draft" and rng.random() < 0.7:
                kind = "edit"  # drafts are mostly edited, sometimes submitted: the race of an edit and a submit
            if kind == "edit":
                reasons = f"Edited by writer {index}, step {step}."
                try:
                    updated = update_case(case, actor=people["analyst"], expected_version=current["version"],
                                          reasons=reasons)
                except ValidationError as refused:  # stale, or no longer a draft
                    tally.add(f"edit refused ({getattr(refused, 'code', None) or 'not a draft'})")
                else:
                    if updated.version != current["version"] + 1:
                        tally.problem(f"edit {index}/{step}: version {current['version']} -> {updated.version}")
                    tally.add("edit", case.pk, (updated.version, reasons))
            elif kind == "service":
                action = _pick_action(rng, current["status"])
                note = "concurrent"
                try:
                    transition(case, action, actor=people[ACTOR_OF[action]], note=note,
                               expected_version=current["version"], **_data(action))
                except TransitionError as refused:
                    if refused.code not in ("state", "stale"):
                        tally.problem(f"transition {action}: unexpected refusal {refused.code}: {refused.message}")
                    tally.add(f"transition refused ({refused.code})")
                else:
                    tally.add("transition", case.pk)
            else:
                action = _pick_action(rng, current["status"])
                persona = ACTOR_OF[action]
                client = clients.get(persona)
                if client is None:
                    client = clients[persona] = APIClient()
                    client.credentials(HTTP_AUTHORIZATION=f"Bearer {keys[persona]}")
                read = client.get(f"/api/v1/cases/{case.reference}/")
                if read.status_code == 404 and persona == "liaison_a":
                    tally.add("api read 404 (a draft, hidden from the platform)")
                    continue
                if read.status_code != 200:
                    tally.problem(f"GET {case.reference} as {persona}: {read.status_code}")
                    continue
                etag = read["ETag"]
                response = client.post(f"/api/v1/cases/{case.reference}/transitions/",
                                       {"action": action, "note": "concurrent", **_data(action)},
                                       format="json", HTTP_IF_MATCH=etag)
                status = response.status_code
                body = response.json()
                if status == 200:
                    if response["ETag"] != f'"{int(etag.strip(chr(34))) + 1}"':
                        tally.problem(f"API {action}: If-Match {etag}, new ETag {response['ETag']}")
                    tally.add("api transition", case.pk)
                elif 400 <= status < 500 and set(body) == {"error"} and {"code", "message"} <= set(body["error"]):
                    if status != 409 or body["error"]["code"] not in ("state", "stale"):
                        tally.problem(f"API {action}: {status} {body}")
                    tally.add(f"api refused ({status} {body['error']['code']})")
                else:
                    tally.problem(f"API {action} on {case.reference}: {status} {response.content[:300]!r}")
    except Exception as exc:  # noqa: BLE001 - anything else is what the test is looking for
        tally.problem(f"writer {index}: {type(exc).__name__}: {exc}")
    finally:
        connection.close()


def test_sixteen_mixed_writers_lose_no_update_and_duplicate_no_event(make_case, analyst, supervisor, liaison_a):
    people = {"analyst": analyst, "supervisor": supervisor, "liaison_a": liaison_a}
    keys = {name: create_token(actor=user, name="race").key for name, user in people.items()}
    cases = [make_case(url=f"https://t.me/mixed_race/{i}") for i in range(CASES)]
    initial = {c.pk: (c.version, CaseEvent.objects.filter(case=c).count()) for c in cases}
    tally = Tally()
    barrier = threading.Barrier(THREADS)
    threads = [threading.Thread(target=_worker, args=(i, cases, people, keys, tally, barrier))
               for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    summary = (f"{THREADS} threads × {OPS_PER_THREAD} operations on {CASES} cases: "
               + ", ".join(f"{k}: {v}" for k, v in sorted(tally.outcomes.items())))
    print(f"\n[concurrency] {summary}")
    assert not tally.problems, summary + "\n" + "\n".join(tally.problems[:30])
    assert sum(tally.outcomes.values()) == THREADS * OPS_PER_THREAD, summary
    for case in cases:
        final = Case.objects.get(pk=case.pk)
        version0, events0 = initial[case.pk]
        wins = tally.successes[case.pk]
        assert final.version == version0 + wins, f"{case.reference}: lost update ({summary})"
        events = CaseEvent.objects.filter(case=case).count()
        assert events == events0 + wins, f"{case.reference}: {events - events0} events for {wins} writes"
        if tally.edits[case.pk]:
            assert final.reasons == max(tally.edits[case.pk])[1], f"{case.reference}: the last edit was lost"
    # The race was real: writers collided, and writes of every kind went through.
    assert sum(tally.successes.values()) >= CASES * 2, summary
    assert any("stale" in key for key in tally.outcomes), summary
