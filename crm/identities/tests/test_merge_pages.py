"""Duplicates and merge pages: review list, "not duplicates", side-by-side merge, "merge
with…" search, the merge record with its undo; 403 without the merge right, 404 for an
identity hidden by category access."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from crm.core.audit.models import AuditEntry
from crm.identities.merge import duplicate_candidates, identity_merge
from crm.identities.models import DuplicateDismissal, Identity, MergeRecord
from crm.identities.services import category_save, identity_create
from crm.identities.tests.test_merge import MERGE_RIGHTS, give
from crm.org.testing import make_position

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins(alice):
    a = identity_create(
        actor=alice,
        kind="person",
        first_name="علي",
        last_name="رضائي",
        phones=[{"number": "09121234567"}],
        emails=["ali@example.com"],
    )
    b = identity_create(
        actor=alice, kind="person", first_name="علی", last_name="رضایی", phones=[{"number": "+98 912 123 4567"}]
    )
    return a, b


def merge_url(a, b=None, **extra):
    query = f"?a={a.pk}" + (f"&b={b.pk}" if b else "") + "".join(f"&{k}={v}" for k, v in extra.items())
    return reverse("identity_merge") + query


class TestDuplicateList:
    def test_lists_pairs_with_reasons(self, client, alice, twins, django_assert_max_num_queries):
        client.force_login(alice)
        with django_assert_max_num_queries(20):
            response = client.get(reverse("duplicate_list"))
        assert response.status_code == 200
        html = response.content.decode()
        assert html.count('data-testid="duplicate-pair"') == 1
        assert "same phone" in html and "same name" in html and "+98 912 123 4567" in html
        assert merge_url(*twins).replace("&", "&amp;") in html

    def test_phonetic_switch(self, client, alice):
        identity_create(actor=alice, kind="person", first_name="Mohammad", last_name="Rezaei")
        identity_create(actor=alice, kind="person", first_name="Muhammad", last_name="Rezai")
        client.force_login(alice)
        assert 'data-testid="duplicate-pair"' not in client.get(reverse("duplicate_list")).content.decode()
        html = client.get(reverse("duplicate_list") + "?phonetic=1").content.decode()
        assert "similar-sounding name" in html

    def test_not_duplicates(self, client, alice, twins):
        client.force_login(alice)
        a, b = twins
        response = client.post(reverse("duplicate_dismiss"), {"a": b.pk, "b": a.pk, "page": 2, "phonetic": 1})
        assert response.status_code == 302
        assert response["Location"] == reverse("duplicate_list") + "?page=2&phonetic=1"
        assert DuplicateDismissal.objects.filter(identity_a=a, identity_b=b).exists()
        assert 'data-testid="duplicate-pair"' not in client.get(reverse("duplicate_list")).content.decode()

    def test_not_duplicates_with_htmx_removes_the_card(self, client, alice, twins):
        client.force_login(alice)
        response = client.post(
            reverse("duplicate_dismiss"), {"a": twins[0].pk, "b": twins[1].pk}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200 and response.content == b""
        assert duplicate_candidates(user=alice) == []

    def test_persian_page_is_rtl(self, client, alice, twins):
        alice.language = "fa"
        alice.save(update_fields=["language"])
        client.force_login(alice)
        html = client.get(reverse("duplicate_list")).content.decode()
        assert 'dir="rtl"' in html and 'data-testid="duplicate-pair"' in html


class TestMergePage:
    def test_side_by_side_and_merge(self, client, alice, twins):
        a, b = twins
        client.force_login(alice)
        response = client.get(merge_url(a, b))
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-testid="merge-compare"' in html and "data-confirm=" in html
        assert f'value="{a.pk}" checked' in html  # the older one is suggested
        response = client.post(reverse("identity_merge"), {"a": a.pk, "b": b.pk, "survivor": b.pk})
        record = MergeRecord.objects.get()
        assert response.status_code == 302 and response["Location"] == reverse("identity_merge_done", args=[record.pk])
        assert record.survivor == b and record.merged == a
        assert Identity.all_objects.get(pk=a.pk).is_deleted

    def test_survivor_must_be_one_of_the_two(self, client, alice, twins):
        a, b = twins
        other = identity_create(actor=alice, kind="person", first_name="Other")
        client.force_login(alice)
        response = client.post(reverse("identity_merge"), {"a": a.pk, "b": b.pk, "survivor": other.pk})
        assert response.status_code == 200
        assert not MergeRecord.objects.exists()

    def test_merge_with_search(self, client, alice, twins):
        a, b = twins
        client.force_login(alice)
        response = client.get(merge_url(a))
        assert response.status_code == 200 and 'name="q"' in response.content.decode()
        html = client.get(merge_url(a, q="رضايي")).content.decode()  # Arabic ي typed
        assert merge_url(a, b).replace("&", "&amp;") in html
        assert html.count('data-testid="merge-candidates"') == 1

    def test_same_identity_twice(self, client, alice, twins):
        client.force_login(alice)
        response = client.get(merge_url(twins[0], twins[0]))
        assert response.status_code == 200
        assert "Choose two different identities to merge." in response.content.decode()

    def test_done_page_and_undo(self, client, alice, twins):
        a, b = twins
        record = identity_merge(actor=alice, survivor=a, merged=b)
        client.force_login(alice)
        html = client.get(reverse("identity_merge_done", args=[record.pk])).content.decode()
        assert 'data-testid="merge-undo"' in html and "0912 123 4567" not in html  # the duplicate phone stayed
        response = client.post(reverse("identity_merge_undo", args=[record.pk]))
        assert response.status_code == 302
        record.refresh_from_db()
        assert record.undone_at is not None and not Identity.objects.get(pk=b.pk).is_deleted
        html = client.get(reverse("identity_merge_done", args=[record.pk])).content.decode()
        assert 'data-testid="merge-undone"' in html
        response = client.post(reverse("identity_merge_undo", args=[record.pk]), follow=True)
        assert "This merge was already undone." in response.content.decode()

    def test_undo_button_in_the_changes_history(self, alice, twins):
        """A profile's Changes tab passes history_extras; the merge entry then offers the undo."""
        record = identity_merge(actor=alice, survivor=twins[0], merged=twins[1])
        entry = AuditEntry.objects.get(action="identity.merged", target_id=str(twins[0].pk))
        request = RequestFactory().get("/")
        request.user = alice
        context = {"history": [entry], "history_extras": {"identity.merged": "identities/merge_undo_button.html"}}
        html = render_to_string("includes/history_panel.html", context, request=request)
        assert reverse("identity_merge_undo", args=[record.pk]) in html and "Undo this merge" in html
        assert reverse("identity_merge_done", args=[record.pk]) in html
        entry.undone_at = record.created_at
        html = render_to_string("includes/history_panel.html", context, request=request)
        assert "Undo this merge" not in html and "undone" in html
        entry.undone_at = None  # pages that pass no history_extras show the plain entry
        assert "Undo this merge" not in render_to_string("includes/history_panel.html", {"history": [entry]})


class TestRefusals:
    @pytest.mark.parametrize("who", ["charlie", "bob"])
    def test_without_the_merge_right_every_page_is_403(self, client, alice, bob, charlie, twins, who):
        user = {"charlie": charlie, "bob": give(bob, *[p for p in MERGE_RIGHTS if p != "identities.merge_identity"])}[
            who
        ]
        record = identity_merge(actor=alice, survivor=twins[0], merged=twins[1])
        client.force_login(user)
        assert client.get(reverse("duplicate_list")).status_code == 403
        assert client.get(merge_url(*twins)).status_code == 403
        assert (
            client.post(
                reverse("identity_merge"), {"a": twins[0].pk, "b": twins[1].pk, "survivor": twins[0].pk}
            ).status_code
            == 403
        )
        assert client.post(reverse("duplicate_dismiss"), {"a": twins[0].pk, "b": twins[1].pk}).status_code == 403
        assert client.get(reverse("identity_merge_done", args=[record.pk])).status_code == 403
        assert client.post(reverse("identity_merge_undo", args=[record.pk])).status_code == 403
        record.refresh_from_db()
        assert record.undone_at is None

    def test_identity_hidden_by_category_is_404(self, client, alice, bob, twins):
        bob = give(bob, *MERGE_RIGHTS)
        vip = category_save(
            actor=alice, category=None, name="VIP", parent=None, restricted=True, positions=[make_position("Board")]
        )
        secret = identity_create(actor=alice, kind="person", first_name="علی", last_name="رضایی", categories=[vip])
        client.force_login(bob)
        assert client.get(merge_url(twins[0], secret)).status_code == 404
        assert client.get(merge_url(secret)).status_code == 404
        response = client.post(reverse("identity_merge"), {"a": twins[0].pk, "b": secret.pk, "survivor": twins[0].pk})
        assert response.status_code == 404
        assert client.post(reverse("duplicate_dismiss"), {"a": twins[0].pk, "b": secret.pk}).status_code == 404
        record = identity_merge(actor=alice, survivor=twins[0], merged=secret)
        assert client.get(reverse("identity_merge_done", args=[record.pk])).status_code == 404
        assert client.post(reverse("identity_merge_undo", args=[record.pk])).status_code == 404
        assert Identity.all_objects.get(pk=secret.pk).is_deleted  # bob could not undo it

    def test_anonymous_goes_to_login(self, client, db):
        response = client.get(reverse("duplicate_list"))
        assert response.status_code == 302 and reverse("login") in response["Location"]
