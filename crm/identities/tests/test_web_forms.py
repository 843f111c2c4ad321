"""The identity form (ID-1, ID-4): numbers typed with Persian digits are stored E.164,
Jalali dates in fa become the right Gregorian day, nested rows and custom fields save
through the services, and service errors land on the fields they are about."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from crm.core.customfields.services import custom_field_define
from crm.identities import services
from crm.identities.models import Identity
from crm.identities.tests.test_web_support import (  # noqa: F401 - fixtures
    bob_identities_fixture,
    form_data,
    make_identity,
    vip_fixture,
)

pytestmark = pytest.mark.django_db


def created() -> Identity:
    return Identity.objects.order_by("-id").first()


class TestCreate:
    def test_persian_digit_phone_is_stored_in_e164(self, client, alice):
        client.force_login(alice)

        response = client.post(
            reverse("identity_create"),
            form_data(first_name="سارا", last_name="احمدی", **{"phones-0-number": "۰۹۱۲۱۲۳۴۵۶۷"}),
        )

        identity = created()
        assert response.status_code == 302
        assert response["Location"] == reverse("identity_detail", args=[identity.pk])
        assert [p.number for p in identity.phones.all()] == ["+989121234567"]
        assert identity.display_name == "سارا احمدی"

    def test_jalali_birthday_in_fa_is_the_right_gregorian_day(self, client, alice):
        alice.language = "fa"
        alice.save(update_fields=["language"])
        client.force_login(alice)

        client.post(reverse("identity_create"), form_data(first_name="مریم", birth_date="۱۳۷۰/۰۵/۱۲"))

        assert created().birth_date == dt.date(1991, 8, 3)

    def test_form_in_fa_shows_the_jalali_date_picker(self, client, alice):
        person = make_identity(alice, first_name="مریم", birth_date=dt.date(1991, 8, 3))
        alice.language = "fa"
        alice.save(update_fields=["language"])
        client.force_login(alice)

        html = client.get(reverse("identity_edit", args=[person.pk])).content.decode()

        assert 'data-datepicker="date"' in html
        assert 'data-calendar="jalali"' in html
        assert 'value="1370/05/12"' in html

    def test_everything_at_once(self, client, alice, bob_identities):
        custom_field_define(actor=alice, model=Identity, key="referral", kind="text", labels={"en": "Referred by"})
        category = services.category_save(
            actor=alice, category=None, name="Leads", parent=None, restricted=False, positions=[]
        )
        client.force_login(alice)

        client.post(
            reverse("identity_create"),
            form_data(
                **{
                    "kind": "organisation",
                    "organisation_name": "Acme",
                    "national_id": "۱۰۱۰۲۰۳۰۴۰۵",
                    "colour": "green",
                    "class_code": "A",
                    "cf_referral": "Ali",
                    "categories": [category.pk],
                    "assignees": [bob_identities.pk],
                    "phones-TOTAL_FORMS": "2",
                    "phones-0-number": "+98 21 8888 1234",
                    "phones-0-kind": "work",
                    "phones-1-number": "0912 111 2233",
                    "phones-1-kind": "mobile",
                    "phones-1-is_primary": "on",
                    "emails-0-address": "info@acme.example",
                    "addresses-0-city": "Tehran",
                    "addresses-0-line": "Valiasr St.",
                    "websites-0-url": "acme.example",
                    "special_dates-0-label": "Founded",
                    "special_dates-0-date": "2001-02-03",
                }
            ),
        )

        acme = created()
        assert acme.kind == "organisation"
        assert acme.display_name == "Acme"
        assert acme.national_id == "10102030405"
        assert acme.custom == {"referral": "Ali"}
        assert [(p.number, p.is_primary) for p in acme.phones.all()] == [
            ("+989121112233", True),
            ("+982188881234", False),
        ]
        assert [e.address for e in acme.emails.all()] == ["info@acme.example"]
        assert [a.city for a in acme.addresses.all()] == ["Tehran"]
        assert [w.url for w in acme.websites.all()] == ["https://acme.example"]
        assert [(d.label, d.date) for d in acme.special_dates.all()] == [("Founded", dt.date(2001, 2, 3))]
        assert list(acme.categories.all()) == [category]
        assert list(acme.assignees.all()) == [bob_identities]

    def test_invalid_phone_error_is_on_its_row(self, client, alice):
        client.force_login(alice)

        response = client.post(reverse("identity_create"), form_data(first_name="X", **{"phones-0-number": "12"}))

        assert response.status_code == 200
        phones = {n: fs for n, _t, fs in response.context["nested"].formsets}["phones"]
        assert "not a valid phone number" in str(phones.forms[0].errors["number"])
        assert not Identity.objects.exists()

    def test_organisation_without_a_name_error_is_on_the_organisation_name(self, client, alice):
        client.force_login(alice)

        response = client.post(reverse("identity_create"), form_data(kind="organisation", first_name="Not used"))

        assert response.status_code == 200
        assert "organisation_name" in response.context["form"].errors
        assert not Identity.objects.exists()

    def test_service_error_lands_on_the_right_row(self, client, alice, monkeypatch):
        """When the service refuses a number the form accepted, the row still shows why."""
        from crm.identities.web import forms

        monkeypatch.setattr(forms, "normalize_phone", lambda raw: "+1")
        client.force_login(alice)

        response = client.post(reverse("identity_create"), form_data(first_name="X", **{"phones-0-number": "1234"}))

        phones = {n: fs for n, _t, fs in response.context["nested"].formsets}["phones"]
        assert "not a valid phone number" in str(phones.forms[0].errors["number"])

    def test_add_a_row_without_javascript(self, client, alice):
        client.force_login(alice)

        response = client.post(reverse("identity_create"), form_data(first_name="Keep me", add_row="phones"))

        assert response.status_code == 200
        phones = {n: fs for n, _t, fs in response.context["nested"].formsets}["phones"]
        assert len(phones.forms) == 2
        assert not response.context["form"].errors
        assert 'value="Keep me"' in response.content.decode()
        assert not Identity.objects.exists()

    def test_bob_without_add_right_is_refused(self, client, bob):
        client.force_login(bob)

        assert client.get(reverse("identity_create")).status_code == 403


class TestEdit:
    def test_alice_edits_name_and_replaces_phones(self, client, alice):
        person = make_identity(alice, first_name="Old", phones=[{"number": "09121234567"}])
        client.force_login(alice)
        page = client.get(reverse("identity_edit", args=[person.pk]))
        assert 'value="0912 123 4567"' in page.content.decode()  # shown as people write it

        response = client.post(
            reverse("identity_edit", args=[person.pk]),
            form_data(
                **{
                    "first_name": "New",
                    "phones-TOTAL_FORMS": "2",
                    "phones-INITIAL_FORMS": "1",
                    "phones-0-number": "+989121234567",
                    "phones-0-kind": "mobile",
                    "phones-0-DELETE": "on",
                    "phones-1-number": "09359876543",
                    "phones-1-kind": "home",
                }
            ),
        )

        assert response.status_code == 302
        person.refresh_from_db()
        assert person.display_name == "New"
        assert [(p.number, p.kind) for p in person.phones.all()] == [("+989359876543", "home")]

    def test_bob_keeps_the_restricted_category_he_cannot_see(self, client, alice, bob_identities, vip):
        shared = services.category_save(
            actor=alice, category=None, name="Shared", parent=None, restricted=False, positions=[]
        )
        person = make_identity(alice, first_name="Both", categories=[vip, shared])
        client.force_login(bob_identities)

        page = client.get(reverse("identity_edit", args=[person.pk])).content.decode()
        assert ">VIP<" not in page
        client.post(reverse("identity_edit", args=[person.pk]), form_data(first_name="Both2"))

        assert set(person.categories.all()) == {vip}  # bob un-chose Shared; VIP stays

    def test_assignees_are_set(self, client, alice, bob_identities):
        person = make_identity(alice, first_name="Assign")
        client.force_login(alice)

        client.post(
            reverse("identity_edit", args=[person.pk]),
            form_data(first_name="Assign", assignees=[bob_identities.pk, alice.pk]),
        )

        assert set(person.assignees.all()) == {alice, bob_identities}

    def test_convert_unknown_contact(self, client, alice):
        unknown, _created = services.resolve_contact(phone="09120001111")
        client.force_login(alice)
        assert client.get(reverse("identity_convert", args=[unknown.pk])).status_code == 200

        response = client.post(
            reverse("identity_convert", args=[unknown.pk]),
            form_data(
                **{
                    "first_name": "Known",
                    "last_name": "Caller",
                    "phones-INITIAL_FORMS": "1",
                    "phones-0-number": "+989120001111",
                    "phones-0-kind": "mobile",
                }
            ),
        )

        assert response.status_code == 302
        unknown.refresh_from_db()
        assert not unknown.is_unknown
        assert unknown.display_name == "Known Caller"
        assert [p.number for p in unknown.phones.all()] == ["+989120001111"]
