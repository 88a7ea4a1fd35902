from cases.choices import CaseStatus, EventKind


def test_it_creates_a_draft_with_a_reference_and_a_created_event(make_case, analyst):
    case = make_case()
    assert case.status == CaseStatus.DRAFT
    assert case.reference.startswith("PTH-")
    assert list(case.events.values_list("kind", flat=True)) == [EventKind.CREATED]
