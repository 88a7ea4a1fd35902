"""A console list row's checkbox is written from Django's own rendering, made once per language
(`ScopedAdmin.action_checkbox`): the HTML must be exactly Django's, for every row, in both languages, and with a
name that needs escaping."""

import pytest
from django.contrib import admin
from django.utils import translation

from cases.models import Case, Platform

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_row_checkbox_is_djangos(language, make_case, platform_b):
    cases = [make_case(), make_case(submit=True, platform=platform_b, url="https://facebook.com/groups/x/1")]
    odd = Platform.objects.create(name='Tom & "Jerry" <b>', slug="tom-jerry")
    case_admin, platform_admin = admin.site._registry[Case], admin.site._registry[Platform]
    with translation.override(language):
        for model_admin, obj in [(case_admin, cases[0]), (case_admin, cases[1]), (platform_admin, odd)]:
            ours = model_admin.action_checkbox(obj)
            assert ours == admin.ModelAdmin.action_checkbox(model_admin, obj)
            assert f'value="{obj.pk}"' in ours
    assert "&amp; &quot;Jerry&quot; &lt;b&gt;" in platform_admin.action_checkbox(odd)


def test_the_case_list_shows_a_checkbox_per_row(make_case, supervisor):
    from django.test import Client

    cases = [make_case(), make_case(submit=True, url="https://t.me/x/2")]
    client = Client()
    client.force_login(supervisor)
    page = client.get("/admin/cases/case/").content.decode()
    for case in cases:
        assert f'name="_selected_action" value="{case.pk}" class="action-select"' in page
