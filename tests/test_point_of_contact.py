"""A platform's point of contact (issue 15): named liaisons, an e-mail and an address; shown on the platform page
and in the API, and the letters' addressee."""

import pytest
from django.urls import reverse

from cases.models import PlatformMembership
from tests.test_api_support import bearer_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(platform_a, liaison_a):
    platform_a.legal_name = "Telegram Messenger Inc."
    platform_a.address = "Dubai Media City, Building 1, Dubai"
    platform_a.contact_email = "abuse@telegram.example"
    platform_a.save()
    liaison_a.first_name, liaison_a.last_name = "Ilya", "Perekopsky"
    liaison_a.save()
    PlatformMembership.objects.filter(user=liaison_a, platform=platform_a).update(is_contact=True)
    return platform_a


def test_the_addressee_names_the_company_and_the_liaisons(contact, liaison_a):
    who = contact.addressee()
    assert who["name"] == "Telegram Messenger Inc." and who["attention"] == ["Ilya Perekopsky"]
    assert who["email"] == "abuse@telegram.example" and "Dubai" in who["address"]
    PlatformMembership.objects.filter(user=liaison_a).update(is_active=False)
    contact.refresh_from_db()
    assert contact.addressee()["attention"] == []  # a liaison who left is no longer addressed


@pytest.mark.parametrize("persona", ["analyst", "supervisor", "auditor"])
def test_the_platform_page_shows_the_point_of_contact(persona, request, client, contact):
    client.force_login(request.getfixturevalue(persona))
    text = client.get(reverse("admin:cases_platform_change", args=[contact.pk])).content.decode()
    assert "Telegram Messenger Inc." in text and "Ilya Perekopsky" in text and "abuse@telegram.example" in text


def test_the_api_gives_the_point_of_contact(contact, liaison_a, liaison_b):
    row = bearer_client(liaison_a).get(f"/api/v1/platforms/{contact.slug}/").json()
    assert row["point_of_contact"]["attention"] == ["Ilya Perekopsky"]
    assert bearer_client(liaison_b).get(f"/api/v1/platforms/{contact.slug}/").status_code == 404
