"""Identity lists, quick search and export (ID-2, ID-4, ID-5, PL-8): alice finds people
however she types them, charlie is refused, bob never meets an identity that is only in a
category he has no access to, exports are formula-safe and the page cost does not grow
with its rows."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.services import custom_field_define
from crm.core.permissions.models import FieldAccessRule
from crm.identities import services
from crm.identities.models import Identity
from crm.identities.tests.test_web_support import (  # noqa: F401 - fixtures
    bob_identities_fixture,
    make_identity,
    vip_fixture,
)
from crm.org.testing import perms

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def names(response) -> str:
    return response.content.decode()


def export_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


class TestList:
    def test_alice_sees_the_list_with_phone_number_and_categories(self, client, alice):
        customers = services.category_save(
            actor=alice, category=None, name="Customers", parent=None, restricted=False, positions=[]
        )
        make_identity(
            alice, first_name="Sara", last_name="Ahmadi", phones=[{"number": "09121234567"}], categories=[customers]
        )
        client.force_login(alice)

        response = client.get(reverse("identity_list"))

        assert response.status_code == 200
        html = names(response)
        assert "Sara Ahmadi" in html
        assert "0912 123 4567" in html  # display_phone, in an LTR span
        assert ">Customers</span>" in html

    def test_phone_shows_persian_digits_in_fa(self, client, alice):
        make_identity(alice, first_name="Sara", phones=[{"number": "09121234567"}])
        alice.language = "fa"
        alice.save(update_fields=["language"])
        client.force_login(alice)

        html = names(client.get(reverse("identity_list")))

        assert "۰۹۱۲ ۱۲۳ ۴۵۶۷" in html

    @pytest.mark.parametrize("query", ["+98 912 123 4567", "09121234567", "۰۹۱۲۱۲۳۴۵۶۷", "9121234567"])
    def test_search_by_phone_in_any_format(self, client, alice, query):
        make_identity(alice, first_name="Found", phones=[{"number": "0912 123 4567"}])
        make_identity(alice, first_name="Other", phones=[{"number": "09350000000"}])
        client.force_login(alice)

        html = names(client.get(reverse("identity_list"), {"q": query}))

        assert "Found" in html
        assert "Other" not in html

    def test_search_by_customer_number_and_email(self, client, alice):
        person = make_identity(alice, first_name="Numbered", emails=["numbered@example.com"])
        services.customer_number_give(actor=alice, identity=person, number="C-77")
        make_identity(alice, first_name="Other")
        client.force_login(alice)

        assert "Numbered" in names(client.get(reverse("identity_list"), {"q": "C-77"}))
        assert "Numbered" in names(client.get(reverse("identity_list"), {"q": "NUMBERED@example.com"}))
        assert "Other" not in names(client.get(reverse("identity_list"), {"q": "C-77"}))

    def test_arabic_letters_find_persian_names(self, client, alice):
        make_identity(alice, first_name="علی", last_name="کریمی")
        client.force_login(alice)

        html = names(client.get(reverse("identity_list"), {"q": "كريمي"}))  # Arabic ك and ي

        assert "علی کریمی" in html

    def test_space_finds_a_name_written_with_zwnj(self, client, alice):
        make_identity(alice, first_name="رضا", last_name="نیک\u200cنام")
        client.force_login(alice)

        assert "نیک\u200cنام" in names(client.get(reverse("identity_list"), {"q": "نیک نام"}))

    def test_filters_kind_customers_and_custom_choice(self, client, alice):
        custom_field_define(
            actor=alice,
            model=Identity,
            key="industry",
            kind="choice",
            labels={"en": "Industry"},
            choices=[{"value": "it", "labels": {"en": "IT"}}, {"value": "food", "labels": {}}],
        )
        org = make_identity(alice, kind="organisation", organisation_name="Acme IT", custom={"industry": "it"})
        make_identity(alice, kind="organisation", organisation_name="Food Co", custom={"industry": "food"})
        make_identity(alice, first_name="Person One")
        services.customer_number_give(actor=alice, identity=org, number="100")
        client.force_login(alice)

        html = names(client.get(reverse("identity_list"), {"kind": "organisation", "cf_industry": "it"}))
        assert "Acme IT" in html
        assert "Food Co" not in html
        assert "Person One" not in html
        customers = names(client.get(reverse("customer_list")))
        assert "Acme IT" in customers
        assert "Food Co" not in customers

    def test_bad_number_filter_is_a_warning_not_an_error(self, client, alice):
        custom_field_define(actor=alice, model=Identity, key="budget", kind="money", labels={"en": "Budget"})
        client.force_login(alice)

        response = client.get(reverse("identity_list"), {"cf_budget": "lots", "sort": "-cf_budget", "city": "Tehran"})

        assert response.status_code == 200
        assert "is not valid" in names(response)

    def test_my_identities_lists_only_mine(self, client, alice, bob_identities):
        mine = make_identity(alice, first_name="Mine")
        make_identity(alice, first_name="NotMine")
        services.identity_assign(actor=alice, identity=mine, users=[bob_identities])
        client.force_login(bob_identities)

        html = names(client.get(reverse("my_identities")))

        assert "Mine" in html
        assert "NotMine" not in html

    def test_list_queries_do_not_grow_with_rows(self, client, alice, django_assert_max_num_queries):
        client.force_login(alice)
        category = services.category_save(
            actor=alice, category=None, name="All", parent=None, restricted=False, positions=[]
        )
        for n in range(2):
            make_identity(alice, first_name=f"Few{n}", phones=[{"number": f"0912000000{n}"}], categories=[category])
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("identity_list"))
        for n in range(40):
            make_identity(
                alice,
                first_name=f"Many{n}",
                phones=[{"number": f"09130000{n:03d}"}],
                emails=[f"m{n}@example.com"],
                categories=[category],
            )

        with django_assert_max_num_queries(len(few)):
            response = client.get(reverse("identity_list"))

        assert response.content.decode().count('href="/identities/') >= 42


class TestRefusals:
    @pytest.mark.parametrize(
        "name",
        [
            "identity_list",
            "customer_list",
            "my_identities",
            "identity_create",
            "identity_quick_search",
            "category_list",
            "category_create",
        ],
    )
    def test_charlie_is_refused(self, client, charlie, name):
        client.force_login(charlie)

        assert client.get(reverse(name), HTMX).status_code == 403

    def test_charlie_gets_404_on_a_profile(self, client, alice, charlie):
        person = make_identity(alice, first_name="Private")
        client.force_login(charlie)

        for name in ("identity_detail", "identity_edit"):
            assert client.get(reverse(name, args=[person.pk])).status_code == 404
        assert client.post(reverse("identity_delete", args=[person.pk])).status_code == 404

    def test_anonymous_goes_to_login(self, client, db):
        response = client.get(reverse("identity_list"))

        assert response.status_code == 302
        assert reverse("login") in response["Location"]


class TestRestrictedCategory:
    """bob has identity rights but no position with access to VIP."""

    @pytest.fixture
    def secret(self, alice, vip):
        return make_identity(
            alice, first_name="Secret", last_name="Client", phones=[{"number": "09127776655"}], categories=[vip]
        )

    @pytest.fixture
    def open_one(self, alice):
        return make_identity(alice, first_name="Open", last_name="Client", phones=[{"number": "09127776644"}])

    def test_not_in_the_list(self, client, bob_identities, secret, open_one):
        client.force_login(bob_identities)

        html = names(client.get(reverse("identity_list")))

        assert "Open Client" in html
        assert "Secret" not in html

    def test_not_in_quick_search_by_name_or_phone(self, client, bob_identities, secret, open_one):
        client.force_login(bob_identities)

        by_name = names(client.get(reverse("identity_quick_search"), {"q": "Client"}, **HTMX))
        by_phone = names(client.get(reverse("identity_quick_search"), {"q": "0912 777 6655"}, **HTMX))

        assert "Open Client" in by_name
        assert "Secret" not in by_name
        assert "Secret" not in by_phone

    def test_not_in_the_export(self, client, bob_identities, secret, open_one):
        client.force_login(bob_identities)

        rows = export_rows(client.get(reverse("identity_list"), {"export": "csv"}))

        assert [r[0] for r in rows[1:]] == ["Open Client"]

    def test_profile_is_404_for_bob_but_alice_sees_it(self, client, alice, bob_identities, secret):
        client.force_login(bob_identities)
        assert client.get(reverse("identity_detail", args=[secret.pk])).status_code == 404
        assert client.get(reverse("identity_edit", args=[secret.pk])).status_code == 404

        client.force_login(alice)
        assert client.get(reverse("identity_detail", args=[secret.pk])).status_code == 200

    def test_an_identity_also_in_an_open_category_stays_visible(self, client, alice, bob_identities, vip):
        shared = services.category_save(
            actor=alice, category=None, name="Shared", parent=None, restricted=False, positions=[]
        )
        make_identity(alice, first_name="Both", categories=[vip, shared])
        client.force_login(bob_identities)

        html = names(client.get(reverse("identity_list")))

        assert "Both" in html
        assert ">Shared</span>" in html
        assert ">VIP</span>" not in html  # the restricted category's name is not shown to bob


class TestQuickSearch:
    def test_fragment_shows_name_number_and_phone(self, client, alice):
        person = make_identity(alice, first_name="علی", last_name="کریمی", phones=[{"number": "09121234567"}])
        services.customer_number_give(actor=alice, identity=person, number="5001")
        client.force_login(alice)

        response = client.get(reverse("identity_quick_search"), {"q": "علي كريمي"}, **HTMX)

        html = names(response)
        assert response.status_code == 200
        assert "<html" not in html  # a fragment
        assert reverse("identity_detail", args=[person.pk]) in html
        assert "5001" in html
        assert "0912 123 4567" in html

    def test_without_htmx_it_opens_the_searched_list(self, client, alice):
        client.force_login(alice)

        response = client.get(reverse("identity_quick_search"), {"q": "Sara"})

        assert response.status_code == 302
        assert response["Location"] == reverse("identity_list") + "?q=Sara"

    def test_dashboard_widgets_render(self, client, alice):
        person = make_identity(alice, first_name="Assigned", last_name="Person")
        services.identity_assign(actor=alice, identity=person, users=[alice])
        client.force_login(alice)

        html = names(client.get(reverse("dashboard")))

        assert 'hx-get="/identities/quick-search/"' in html
        assert 'hx-trigger="input changed delay:300ms, search"' in html
        assert 'action="/identities/"' in html  # works without JS
        assert "Assigned Person" in html


class TestExport:
    def test_export_neutralises_formulas_and_has_the_columns(self, client, alice):
        make_identity(
            alice,
            first_name='=HYPERLINK("http://x")',
            last_name="",
            phones=[{"number": "09121234567"}],
            emails=["a@example.com"],
            addresses=[{"line": "Street 1", "city": "Tehran"}],
        )
        client.force_login(alice)

        rows = export_rows(client.get(reverse("identity_list"), {"export": "csv"}))

        assert rows[0][:7] == ["Name", "Kind", "Customer number", "Primary phone", "Email", "City", "Categories"]
        assert rows[1][0].startswith("'=HYPERLINK")
        assert rows[1][3:6] == ["0912 123 4567", "a@example.com", "Tehran"]

    def test_xlsx_export(self, client, alice):
        make_identity(alice, first_name="Sheet")
        client.force_login(alice)

        response = client.get(reverse("identity_list"), {"export": "xlsx"})

        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")

    def test_export_needs_the_export_right(self, client, alice, bob, bob_position):
        from crm.org.testing import fresh

        bob_position.permissions.add(*perms("identities.view_identity", "identities.view_all_identity"))
        client.force_login(fresh(bob))

        assert client.get(reverse("identity_list")).status_code == 200
        assert client.get(reverse("identity_list"), {"export": "csv"}).status_code == 403

    def test_hidden_fields_leave_the_export(self, client, alice, bob_identities):
        custom_field_define(actor=alice, model=Identity, key="secret_note", kind="text", labels={"en": "Secret note"})
        ct = ContentType.objects.get_for_model(Identity)
        needed = perms("identities.merge_identity")[0]  # a right bob does not have
        FieldAccessRule.objects.create(content_type=ct, field_name="custom.secret_note", view_permission=needed)
        FieldAccessRule.objects.create(content_type=ct, field_name="phones", view_permission=needed)
        make_identity(
            alice, first_name="Hidden", custom={"secret_note": "classified"}, phones=[{"number": "09121234567"}]
        )
        client.force_login(bob_identities)

        rows = export_rows(client.get(reverse("identity_list"), {"export": "csv"}))

        assert "Secret note" not in rows[0]
        assert "Primary phone" not in rows[0]
        assert "classified" not in str(rows)
        assert CustomFieldDefinition.objects.count() == 1
