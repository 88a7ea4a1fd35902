"""Opening cases: references, the one-open-case-per-location rule, and who may open them."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from cases.cases.services.cases import create_case, update_case
from cases.cases.workflow import transition
from cases.core.choices import CaseStatus, Category, EventKind, Tier
from cases.models import Case

pytestmark = pytest.mark.django_db


def test_it_gives_each_case_a_sayable_sequential_reference(make_case):
    first, second = make_case(), make_case()
    assert first.reference[:4] == "PTH-"
    year = first.reference.split("-")[1]
    assert second.reference == f"PTH-{year}-{int(first.reference.split('-')[2]) + 1:06d}"


def test_it_refuses_a_second_open_case_for_the_same_location_naming_the_first(make_case, platform_a):
    first = make_case(url="https://t.me/terror_news/15")
    # The same content, pasted differently: http, www, a tracking parameter, a trailing slash, telegram.me.
    for spelling in ("http://t.me/terror_news/15", "https://telegram.me/terror_news/15/",
                     "https://www.t.me/terror_news/15?utm_source=wa", "T.ME/Terror_News/15"):
        with pytest.raises(ValidationError) as err:
            make_case(url=spelling)
        assert first.reference in str(err.value), spelling
    assert Case.objects.count() == 1


def test_it_allows_the_same_location_on_another_platform(make_case, platform_b):
    make_case(url="https://example.org/a")
    other = make_case(url="https://example.org/a", platform=platform_b)
    assert other.pk


def test_it_allows_a_new_case_once_the_first_is_closed(make_case, supervisor):
    first = make_case(url="https://t.me/channel/1", submit=True)
    transition(first, "withdraw", actor=supervisor, note="Sent to the wrong platform.")
    second = make_case(url="https://t.me/channel/1")
    assert second.reference != first.reference
    assert Case.objects.filter(normalized_location=second.normalized_location).count() == 2


def test_the_database_itself_refuses_two_open_cases_for_one_location(make_case):
    first = make_case(url="https://t.me/channel/9")
    clone = Case(platform=first.platform, category=first.category, tier=first.tier, reference="PTH-1999-000001",
                 normalized_location=first.normalized_location, legal_basis="x", reasons="y")
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_it_needs_a_location(analyst, platform_a):
    with pytest.raises(ValidationError) as err:
        create_case(actor=analyst, platform=platform_a, category=Category.HOAX, legal_basis="x", reasons="y")
    assert "URL, a handle or a platform-native id" in str(err.value)
    assert not Case.objects.exists()


def test_it_accepts_a_handle_or_native_id_instead_of_a_url(analyst, platform_a):
    case = create_case(actor=analyst, platform=platform_a, category=Category.TERRORISM, handle="@SomeChannel",
                       legal_basis="x", reasons="y")
    assert case.normalized_location == "handle:somechannel"
    assert case.tier == Tier.URGENT  # terrorism defaults to urgent (MR5 Art. 14)
    with pytest.raises(ValidationError):
        create_case(actor=analyst, platform=platform_a, category=Category.TERRORISM, handle="somechannel",
                    legal_basis="x", reasons="y")


@pytest.mark.parametrize("persona", ["auditor", "liaison_a", "anonymous"])
def test_only_ministry_writers_open_cases(persona, request, platform_a):
    actor = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        create_case(actor=actor, platform=platform_a, category=Category.HOAX, location_url="https://t.me/x/1",
                    legal_basis="x", reasons="y")
    assert not Case.objects.exists()


def test_a_supervisor_opens_and_submits_in_one_step(supervisor, platform_a):
    case = create_case(actor=supervisor, platform=platform_a, category=Category.GAMBLING,
                       location_url="https://t.me/slot/1", legal_basis="UU ITE 27(2)", reasons="Gambling", submit=True)
    assert case.status == CaseStatus.SUBMITTED
    assert list(case.events.order_by("id").values_list("kind", flat=True)) == [EventKind.CREATED, EventKind.SUBMITTED]


def test_a_stale_edit_is_refused_and_loses_nothing(make_case, analyst, supervisor):
    case = make_case()
    opened_version = case.version
    update_case(case, actor=supervisor, expected_version=opened_version, reasons="Supervisor's sharper reasons.")
    with pytest.raises(ValidationError, match="changed by someone else"):
        update_case(case, actor=analyst, expected_version=opened_version, reasons="Analyst's older text.")
    case.refresh_from_db()
    assert case.reasons == "Supervisor's sharper reasons."
    assert case.events.filter(kind=EventKind.EDITED).count() == 1


def test_a_submitted_order_cannot_be_edited(make_case, analyst):
    case = make_case(submit=True)
    with pytest.raises(ValidationError, match="can no longer be edited"):
        update_case(case, actor=analyst, expected_version=case.version, reasons="changed")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_keeps_references_unique_under_concurrent_creation(analyst, platform_a):
    threads, per_thread = 8, 12
    barrier = threading.Barrier(threads)
    references, errors = [], []

    def worker(n):
        try:
            barrier.wait()
            for i in range(per_thread):
                case = create_case(actor=analyst, platform=platform_a, category=Category.HOAX,
                                   location_url=f"https://t.me/c{n}/{i}", legal_basis="x", reasons="y")
                references.append(case.reference)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    assert len(references) == threads * per_thread
    assert len(set(references)) == len(references)
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in references)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # no gaps either
