"""The profile (ID-3, ID-6, ID-7, ID-8): tabs with details, paginated history, audit
changes and contacts; actions for customer numbers, numbers from a call, delete and
restore, contact persons; custom fields hidden by field rules stay hidden."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from crm.core.customfields.services import custom_field_define
from crm.core.numbering.models import NumberSequence
from crm.core.permissions.models import FieldAccessRule
from crm.core.timeline.services import timeline_record
from crm.identities import services
from crm.identities.models import Identity
from crm.identities.tests.test_web_support import bob_identities_fixture, make_identity  # noqa: F401
from crm.org.testing import make_position, perms

pytestmark = pytest.mark.django_db


def detail(client, identity, **params):
    return client.get(reverse("identity_detail", args=[identity.pk]), params)


class TestTabs:
    def test_details_tab(self, client, alice):
        custom_field_define(actor=alice, model=Identity, key="referral", kind="text", labels={"en": "Referred by"})
        person = make_identity(
            alice,
            first_name="Sara",
            last_name="Ahmadi",
            national_id="0012345678",
            birth_date=dt.date(1991, 8, 3),
            phones=[{"number": "09121234567"}],
            emails=["sara@example.com"],
            websites=["https://sara.example"],
            addresses=[{"line": "Valiasr 1", "city": "Tehran"}],
            special_dates=[{"label": "Wedding", "date": dt.date(2015, 5, 5)}],
            custom={"referral": "Reza"},
        )
        client.force_login(alice)

        response = detail(client, person)

        html = response.content.decode()
        assert response.status_code == 200
        assert 'href="tel:+989121234567"' in html
        assert "0912 123 4567" in html
        assert 'href="mailto:sara@example.com"' in html
        assert "https://sara.example" in html
        assert "Valiasr 1, Tehran" in html
        assert "Wedding" in html
        assert "Reza" in html
        assert 'aria-current="page" data-tab="details"' in html

    def test_fa_profile_uses_persian_digits_and_jalali(self, client, alice):
        person = make_identity(
            alice, first_name="سارا", birth_date=dt.date(1991, 8, 3), phones=[{"number": "09121234567"}]
        )
        alice.language = "fa"
        alice.save(update_fields=["language"])
        client.force_login(alice)

        html = detail(client, person).content.decode()

        assert "۰۹۱۲ ۱۲۳ ۴۵۶۷" in html
        assert "۱۲ مرداد ۱۳۷۰" in html
        assert 'dir="rtl"' in html

    def test_history_tab_shows_created_and_customer_milestones(self, client, alice):
        person = make_identity(alice, first_name="Milestone")
        services.customer_number_give(actor=alice, identity=person, number="C-9")
        client.force_login(alice)

        response = detail(client, person, tab="history")

        html = response.content.decode()
        assert "identity created" in html.lower()
        assert "became a customer" in html
        assert "C-9" in html

    def test_history_is_paginated_without_counting(self, client, alice, django_assert_max_num_queries):
        person = make_identity(alice, first_name="Busy")
        start = timezone.now() - dt.timedelta(days=100)
        for n in range(60):
            timeline_record(
                identity_ids=[person.pk],
                item_type="identities.event",
                item_id=f"x{n}",
                occurred_at=start + dt.timedelta(hours=n),
                summary=f"item {n:02d}",
                extra={"action": "identity.phone_added"},
            )
        client.force_login(alice)

        first = detail(client, person, tab="history")
        third = detail(client, person, tab="history", page=3)

        assert first.context["has_next"] and len(first.context["rows"]) == 25
        assert "item 59" in first.content.decode()
        assert not third.context["has_next"]
        assert "tab=history" in first.content.decode().split('aria-label="Pages"')[1]  # pager keeps the tab

    def test_changes_tab_hides_hidden_custom_fields(self, client, alice, bob_identities):
        custom_field_define(actor=alice, model=Identity, key="salary", kind="text", labels={"en": "Salary"})
        ct = ContentType.objects.get_for_model(Identity)
        FieldAccessRule.objects.create(
            content_type=ct, field_name="custom.salary", view_permission=perms("identities.merge_identity")[0]
        )
        person = make_identity(alice, first_name="Paid", custom={"salary": "9999999"})
        client.force_login(bob_identities)

        changes = detail(client, person, tab="changes").content.decode()
        details = detail(client, person).content.decode()

        assert "identity created" in changes.lower()
        assert "9999999" not in changes
        assert "9999999" not in details
        assert "Salary" not in details

    def test_unknown_tab_falls_back_to_details(self, client, alice):
        person = make_identity(alice, first_name="X")
        client.force_login(alice)

        assert detail(client, person, tab="<script>").context["tab"] == "details"


class TestActions:
    def test_give_next_customer_number(self, client, alice):
        # the 'customer' sequence comes with the migrations (C10001 onwards); transactional
        # tests flush migration data, so make sure it is there
        from crm.core.numbering.models import DocumentNumbering

        sequence, _ = NumberSequence.objects.get_or_create(
            key="customer", defaults={"name": "Customers", "prefix": "C", "pattern": "{prefix}{number}", "start": 10001}
        )
        DocumentNumbering.objects.get_or_create(
            doc_type="customer", defaults={"label": "Customer", "sequence": sequence}
        )
        person = make_identity(alice, first_name="Buyer")
        client.force_login(alice)

        client.post(reverse("identity_customer_number", args=[person.pk]), {"number": ""})

        person.refresh_from_db()
        assert person.customer_number == "C10001"
        assert 'data-testid="customer-badge"' in detail(client, person).content.decode()

    def test_next_number_without_a_sequence_is_a_message(self, client, alice):
        from crm.core.numbering.models import DocumentNumbering

        DocumentNumbering.objects.filter(doc_type="customer").delete()
        NumberSequence.objects.filter(key="customer").delete()
        person = make_identity(alice, first_name="Buyer")
        client.force_login(alice)

        response = client.post(reverse("identity_customer_number", args=[person.pk]), {"number": ""}, follow=True)

        assert "No numbering sequence is set up" in response.content.decode()

    def test_give_number_by_hand_taken_number_is_a_message(self, client, alice):
        first = make_identity(alice, first_name="First")
        second = make_identity(alice, first_name="Second")
        services.customer_number_give(actor=alice, identity=first, number="42")
        client.force_login(alice)

        response = client.post(reverse("identity_customer_number", args=[second.pk]), {"number": "۴۲"}, follow=True)

        second.refresh_from_db()
        assert second.customer_number is None
        assert "already belongs to someone else" in response.content.decode()

    def test_customer_number_needs_the_right(self, client, alice, bob_identities):
        person = make_identity(alice, first_name="Buyer")
        client.force_login(bob_identities)

        assert 'data-testid="give-number"' not in detail(client, person).content.decode()
        client.post(reverse("identity_customer_number", args=[person.pk]), {"number": "1"})

        person.refresh_from_db()
        assert person.customer_number is None

    def test_add_phone_from_a_call(self, client, alice):
        person = make_identity(alice, first_name="Caller", phones=[{"number": "09121234567"}])
        client.force_login(alice)
        assert 'value="09350001122"' in detail(client, person, phone="09350001122").content.decode()

        client.post(reverse("identity_add_phone", args=[person.pk]), {"number": "۰۹۳۵ ۰۰۰ ۱۱۲۲", "kind": "mobile"})

        assert sorted(p.number for p in person.phones.all()) == ["+989121234567", "+989350001122"]
        assert "phone number added" in detail(client, person, tab="history").content.decode()

    def test_add_invalid_phone_is_a_message(self, client, alice):
        person = make_identity(alice, first_name="Caller")
        client.force_login(alice)

        response = client.post(
            reverse("identity_add_phone", args=[person.pk]), {"number": "12", "kind": "mobile"}, follow=True
        )

        assert "not a valid phone number" in response.content.decode()
        assert not person.phones.exists()

    def test_delete_and_restore(self, client, alice):
        person = make_identity(alice, first_name="Gone")
        client.force_login(alice)

        client.post(reverse("identity_delete", args=[person.pk]))
        assert "Gone" not in client.get(reverse("identity_list")).content.decode()
        assert "Restore" in detail(client, person).content.decode()
        client.post(reverse("identity_restore", args=[person.pk]))

        assert "Gone" in client.get(reverse("identity_list")).content.decode()

    def test_actions_need_post(self, client, alice):
        person = make_identity(alice, first_name="X")
        client.force_login(alice)

        assert client.get(reverse("identity_delete", args=[person.pk])).status_code == 405

    def test_unknown_contact_shows_badge_and_convert(self, client, alice):
        unknown, _created = services.resolve_contact(phone="09120001111")
        client.force_login(alice)

        html = detail(client, unknown).content.decode()

        assert 'data-testid="unknown-badge"' in html
        assert reverse("identity_convert", args=[unknown.pk]) in html


class TestContacts:
    def test_link_find_and_unlink_a_contact_person(self, client, alice):
        org = make_identity(alice, kind="organisation", organisation_name="Acme")
        person = make_identity(alice, first_name="Sara", last_name="Contact")
        client.force_login(alice)

        found = detail(client, org, tab="contacts", find="Sara").content.decode()
        assert f'name="other" value="{person.pk}"' in found
        client.post(reverse("identity_contact_link", args=[org.pk]), {"other": str(person.pk), "role": "Buyer"})
        link = org.contact_links.get()
        assert (link.person, link.role) == (person, "Buyer")
        assert "Acme" in detail(client, person, tab="contacts").content.decode()  # the other side

        client.post(reverse("identity_contact_unlink", args=[org.pk, link.pk]))

        assert not org.contact_links.exists()

    def test_a_person_links_an_organisation_by_id_typed_in_persian_digits(self, client, alice):
        org = make_identity(alice, kind="organisation", organisation_name="Acme")
        person = make_identity(alice, first_name="Digits")
        client.force_login(alice)
        persian_id = str(org.pk).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))

        client.post(reverse("identity_contact_link", args=[person.pk]), {"other": persian_id})

        assert org.contact_links.get().person == person

    def test_cannot_link_what_one_cannot_see(self, client, alice, bob_identities):
        board = make_position("Board")
        vip = services.category_save(
            actor=alice, category=None, name="VIP", parent=None, restricted=True, positions=[board]
        )
        org = make_identity(alice, kind="organisation", organisation_name="Acme")
        secret = make_identity(alice, first_name="Secret", categories=[vip])
        services.contact_person_link(actor=alice, organisation=org, person=secret)
        client.force_login(bob_identities)

        assert "Secret" not in detail(client, org, tab="contacts").content.decode()
        client.post(reverse("identity_contact_link", args=[org.pk]), {"other": str(secret.pk)})
        assert client.get(reverse("identity_detail", args=[secret.pk])).status_code == 404
