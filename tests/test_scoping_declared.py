"""Scoping fails closed (issue 19): a model with rows of a platform must declare its scoping, or Patuh refuses
to start (system check patuh.E001); the consoles' base serves such rows to nobody."""

import pytest
from django.apps import apps
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import models
from django.db.models import Q, QuerySet

from cases.core.choices import Category
from cases.core.scoping import MinistryOnlyQuerySet, ScopedQuerySet, declares_scoping, platform_path, visible
from cases.models import Case, Notification, Platform, PlatformMembership


def _new_model(name: str, **attrs):
    """Define a model of the `cases` app for one test (never migrated); `_forget` removes it again."""
    attrs.update(__module__=__name__, __str__=lambda self: name,
                 Meta=type("Meta", (), {"app_label": "cases", "managed": False}))
    return type(name, (models.Model,), attrs)


def _forget(model) -> None:
    del apps.all_models["cases"][model._meta.model_name]
    apps.clear_cache()


@pytest.fixture
def leaflet_model():
    """A new model holding rows of a platform, with no scoping declared: what a developer might add."""
    model = _new_model("Leaflet", platform=models.ForeignKey(Platform, on_delete=models.CASCADE),
                       text=models.TextField())
    yield model
    _forget(model)


def test_the_start_up_check_refuses_a_model_with_a_platform_and_no_scoping(leaflet_model):
    errors = [e for e in run_checks() if e.id == "patuh.E001"]
    assert [(e.obj, e.level >= 40) for e in errors] == [(leaflet_model, True)]  # an error, not a warning
    assert "cases.Leaflet holds rows of a platform (through platform) but declares no scoping" in errors[0].msg
    with pytest.raises(SystemCheckError, match="patuh.E001"):
        call_command("check")


def test_declaring_scoping_satisfies_the_check(leaflet_model):
    flyer = _new_model("Flyer", case=models.ForeignKey(Case, on_delete=models.CASCADE),
                       objects=MinistryOnlyQuerySet.as_manager())
    try:
        flagged = {e.obj for e in run_checks() if e.id == "patuh.E001"}
        assert leaflet_model in flagged and flyer not in flagged
    finally:
        _forget(flyer)


def test_the_real_models_pass_and_their_platform_paths_are_found():
    assert not [e for e in run_checks() if e.id == "patuh.E001"]
    assert platform_path(Case) == "platform"
    assert platform_path(Notification) == "case__platform"
    assert platform_path(Platform) == "pk"


@pytest.mark.django_db
def test_the_consoles_base_serves_undeclared_platform_rows_to_nobody(leaflet_model, analyst, liaison_a):
    # Not even to the ministry: the fallback is nothing, never everything.
    assert visible(leaflet_model.objects.all(), analyst).query.is_empty()
    assert visible(leaflet_model.objects.all(), liaison_a).query.is_empty()
    # Declared ministry-only rows: the ministry reads them, a liaison none.
    assert not visible(PlatformMembership.objects.all(), analyst).query.is_empty()
    assert visible(PlatformMembership.objects.all(), liaison_a).query.is_empty()


@pytest.mark.django_db
def test_a_hand_written_visible_to_does_not_count_as_declared(leaflet_model, analyst, liaison_a):
    """Scoping is declared, not written: a queryset with its own `visible_to` (which may forget the case's
    submission or the visibility) is refused like no scoping at all."""

    class HandWritten(QuerySet):
        def visible_to(self, user):
            return self  # the kind of slip the declared base makes impossible

    class OverridingTheBase(ScopedQuerySet):
        scope_platform = "platform"

        def visible_to(self, user):
            return self  # on the base, but writing its own rule all the same

    poster = _new_model("Poster", platform=models.ForeignKey(Platform, on_delete=models.CASCADE),
                        objects=HandWritten.as_manager())
    sticker = _new_model("Sticker", platform=models.ForeignKey(Platform, on_delete=models.CASCADE),
                         objects=OverridingTheBase.as_manager())
    try:
        flagged = {e.obj for e in run_checks() if e.id == "patuh.E001"}
        for model in (poster, sticker):
            assert not declares_scoping(model)
            assert model in flagged
            # The consoles' base serves it to nobody either, though it answers visible_to.
            assert visible(model.objects.all(), analyst).query.is_empty()
            assert visible(model.objects.all(), liaison_a).query.is_empty()
    finally:
        _forget(poster)
        _forget(sticker)


def test_every_model_with_rows_of_a_platform_is_on_the_declared_base():
    """One scoping rule: every such model's queryset is a ScopedQuerySet, and none writes its own visible_to."""
    checked = []
    for model in apps.get_app_config("cases").get_models():
        if platform_path(model) is None:
            continue
        queryset_class = model._default_manager._queryset_class
        assert issubclass(queryset_class, ScopedQuerySet), model
        assert "visible_to" not in queryset_class.__dict__, model
        checked.append(model._meta.label)
    assert {"cases.Case", "cases.Evidence", "cases.Sanction", "cases.Commitment", "cases.Letter",
            "cases.Meeting"} <= set(checked)


@pytest.mark.django_db
def test_a_declared_scope_per_persona(make_case, platform_b, analyst, supervisor, auditor, liaison_a, liaison_b,
                                      anonymous):
    """What a declaration gives each persona: on cases, platform + case (submitted only) + a further condition."""

    class GamblingCases(ScopedQuerySet):
        scope_platform = "platform"
        scope_case = ""
        scope_extra = Q(category=Category.GAMBLING)

    sent_gambling = make_case(submit=True, category=Category.GAMBLING)
    sent_hoax = make_case(submit=True)
    draft_gambling = make_case(category=Category.GAMBLING)
    b_gambling = make_case(submit=True, category=Category.GAMBLING, platform=platform_b)
    everything = {sent_gambling.pk, sent_hoax.pk, draft_gambling.pk, b_gambling.pk}

    def seen(user):
        return set(GamblingCases(model=Case).visible_to(user).values_list("pk", flat=True))

    for ministry in (analyst, supervisor, auditor):
        assert seen(ministry) == everything
    assert seen(liaison_a) == {sent_gambling.pk}  # not the hoax (extra), not the draft (never sent), not B's
    assert seen(liaison_b) == {b_gambling.pk}
    assert seen(anonymous) == set()
