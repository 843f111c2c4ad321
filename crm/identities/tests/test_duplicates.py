"""Duplicate detection (ID-10): same phone in any format, same email, Persian-normalised
names of the same kind, optional Latin sound key; dismissed pairs; access; paging."""

from __future__ import annotations

import pytest

from crm.core.errors import PermissionDeniedError
from crm.identities.errors import IdentityError, IdentityErrorCode
from crm.identities.merge import duplicate_candidates, duplicate_dismiss, sound_key
from crm.identities.merge import duplicates as duplicates_module
from crm.identities.models import Category, DuplicateDismissal
from crm.identities.services import category_save, identity_create, identity_delete, resolve_contact
from crm.org.testing import appoint, fresh, make_position

pytestmark = pytest.mark.django_db

IDENTITY_RIGHTS = (
    "identities.view_identity",
    "identities.view_all_identity",
    "identities.add_identity",
    "identities.change_identity",
    "identities.change_all_identity",
    "identities.merge_identity",
)


def person(actor, first, last="", **extra):
    return identity_create(actor=actor, kind="person", first_name=first, last_name=last, **extra)


def org(actor, name, **extra):
    return identity_create(actor=actor, kind="organisation", organisation_name=name, **extra)


def pair_ids(pairs):
    return [(p.a.pk, p.b.pk) for p in pairs]


def find(pairs, x, y):
    key = tuple(sorted((x.pk, y.pk)))
    return next((p for p in pairs if (p.a.pk, p.b.pk) == key), None)


def give(user, *names):
    appoint(user, make_position(f"Extra {len(names)}", names))
    return fresh(user)


class TestSignals:
    def test_same_phone_in_different_formats(self, alice):
        a = person(alice, "Sara", "Ahmadi", phones=[{"number": "+98 912 123 4567"}])
        b = person(alice, "S.", "Ahmadi-Nejad", phones=[{"number": "۰۹۱۲۱۲۳۴۵۶۷"}])
        c = person(alice, "Other", phones=[{"number": "9121234568"}])
        pairs = duplicate_candidates(user=alice)
        pair = find(pairs, a, b)
        assert pair is not None
        assert [r.label for r in pair.reasons] == ["same phone +98 912 123 4567"]
        assert pair.score == duplicates_module.WEIGHTS[duplicates_module.PHONE]
        assert all(c.pk not in ids for ids in pair_ids(pairs))

    def test_same_email_whatever_the_case(self, alice):
        a = person(alice, "Reza", emails=["Reza.K@Example.com"])
        b = org(alice, "Kia Trading", emails=[{"address": "reza.k@example.com"}])
        pair = find(duplicate_candidates(user=alice), a, b)
        assert pair is not None
        assert [r.label for r in pair.reasons] == ["same email reza.k@example.com"]

    def test_arabic_and_persian_letters_are_the_same_name(self, alice):
        a = person(alice, "علي", "رضائي")
        b = person(alice, "علی", "رضایی")
        pair = find(duplicate_candidates(user=alice), a, b)
        assert pair is not None
        assert [r.label for r in pair.reasons] == ["same name"]

    def test_zwnj_and_space_in_compound_names(self, alice):
        a = org(alice, "نیک‌نام")
        b = org(alice, "نیک نام")
        c = org(alice, "نيكنام")  # Arabic ي and ك, no space at all
        pairs = duplicate_candidates(user=alice)
        assert find(pairs, a, b) and find(pairs, a, c) and find(pairs, b, c)

    def test_same_name_of_another_kind_is_no_duplicate(self, alice):
        person(alice, "Pars", "")
        org(alice, "Pars")
        assert duplicate_candidates(user=alice) == []

    def test_more_signals_score_higher(self, alice):
        weak_a, weak_b = person(alice, "Mina", "Karimi"), person(alice, "Mina", "Karimi")
        strong_a = person(alice, "Hamid", "Nouri", phones=[{"number": "09121110000"}], emails=["h@n.ir"])
        strong_b = person(alice, "Hamid", "Nouri", phones=[{"number": "+989121110000"}], emails=["H@N.ir"])
        pairs = duplicate_candidates(user=alice)
        assert pair_ids(pairs) == [(strong_a.pk, strong_b.pk), (weak_a.pk, weak_b.pk)]
        assert {r.title for r in pairs[0].reasons} == {"same phone", "same email", "same name"}
        assert pairs[0].score > pairs[1].score

    def test_unknown_contact_with_a_real_ones_number_is_proposed(self, alice):
        unknown, created = resolve_contact(phone="09123330000", source="call")
        assert created and unknown.is_unknown
        real = person(alice, "Nader", "Saberi", phones=[{"number": "0912 333 0000"}])
        pair = find(duplicate_candidates(user=alice), unknown, real)
        assert pair is not None
        assert pair.survivor == real  # the real identity is suggested as the one to keep

    def test_deleted_identities_are_left_out(self, alice):
        a = person(alice, "Leila", "Moradi")
        b = person(alice, "Leila", "Moradi")
        identity_delete(actor=alice, identity=b)
        assert find(duplicate_candidates(user=alice), a, b) is None

    def test_keys_shared_by_many_are_no_evidence(self, alice, monkeypatch):
        monkeypatch.setattr(duplicates_module, "MAX_GROUP", 2)
        for _ in range(3):
            person(alice, "Ali", "Ahmadi", phones=[{"number": "02188776655"}])
        assert duplicate_candidates(user=alice) == []


class TestSoundKey:
    @pytest.mark.parametrize(
        ("left", "right"),
        [("mohammadrezaei", "muhammadrezai"), ("johnsmith", "jonsmyth"), ("hosseinkarimi", "hoseinkarimy")],
    )
    def test_similar_latin_names_share_a_key(self, left, right):
        assert sound_key(left) and sound_key(left) == sound_key(right)

    def test_persian_and_short_names_have_none(self):
        assert sound_key("علیرضایی") == ""
        assert sound_key("ali") == ""

    def test_only_when_asked(self, alice):
        a = person(alice, "Mohammad", "Rezaei")
        b = person(alice, "Muhammad", "Rezai")
        assert find(duplicate_candidates(user=alice), a, b) is None
        pair = find(duplicate_candidates(user=alice, phonetic=True), a, b)
        assert pair is not None
        assert [r.label for r in pair.reasons] == ["similar-sounding name"]
        assert pair.score == duplicates_module.WEIGHTS[duplicates_module.SOUND]

    def test_same_name_is_not_counted_twice(self, alice):
        a, b = person(alice, "John", "Smith"), person(alice, "John", "Smith")
        pair = find(duplicate_candidates(user=alice, phonetic=True), a, b)
        assert [r.label for r in pair.reasons] == ["same name"]
        assert pair.score == duplicates_module.WEIGHTS[duplicates_module.NAME]


class TestDismissAndPaging:
    def test_dismissed_pairs_disappear(self, alice):
        a, b = person(alice, "Nima", "Jafari"), person(alice, "Nima", "Jafari")
        c, d = person(alice, "Parisa", "Azadi"), person(alice, "Parisa", "Azadi")
        duplicate_dismiss(actor=alice, a=b, b=a)  # either order
        duplicate_dismiss(actor=alice, a=a, b=b)  # twice is fine
        assert pair_ids(duplicate_candidates(user=alice)) == [(c.pk, d.pk)]
        dismissal = DuplicateDismissal.objects.get()
        assert (dismissal.identity_a_id, dismissal.identity_b_id, dismissal.by) == (a.pk, b.pk, alice)

    def test_dismissing_needs_the_merge_right_and_two_identities(self, alice, bob):
        a, b = person(alice, "Omid", "Rahimi"), person(alice, "Omid", "Rahimi")
        with pytest.raises(IdentityError) as exc:
            duplicate_dismiss(actor=alice, a=a, b=a)
        assert exc.value.code == IdentityErrorCode.MERGE_SAME
        with pytest.raises(PermissionDeniedError):
            duplicate_dismiss(actor=bob, a=a, b=b)

    def test_pages(self, alice):
        made = [(person(alice, f"Name{i}", "Dup"), person(alice, f"Name{i}", "Dup")) for i in range(5)]
        expected = [(x.pk, y.pk) for x, y in made]
        first = duplicate_candidates(user=alice, limit=2, offset=0)
        second = duplicate_candidates(user=alice, limit=2, offset=2)
        third = duplicate_candidates(user=alice, limit=2, offset=4)
        assert pair_ids(first) + pair_ids(second) + pair_ids(third) == expected
        assert duplicate_candidates(user=alice, limit=2, offset=6) == []

    def test_pages_run_across_the_score_tiers(self, alice, monkeypatch):
        """Phone/email pairs, then same names, then similar sounds: every page size gives
        the same order as one long page, and each pair appears once."""
        monkeypatch.setattr(duplicates_module, "MAX_GROUP", 2)
        strong = [
            person(alice, "Arash", "Kamali", phones=[{"number": "09121000001"}]),
            person(alice, "Arash", "Kamali", phones=[{"number": "09121000001"}]),  # phone + name: 65
            person(alice, "Bahar", "", emails=["b@x.ir"]),
            person(alice, "Bita", "", emails=["b@x.ir"]),
        ]
        switchboard = [person(alice, "Dara", "Sepehri", phones=[{"number": "02155550000"}]) for _ in range(2)]
        person(alice, "Other", "", phones=[{"number": "02155550000"}])  # 3 > MAX_GROUP: no evidence
        names = [(person(alice, f"N{i}", "Same"), person(alice, f"N{i}", "Same")) for i in range(3)]
        sounds = [person(alice, "Mohammad", "Rezaei"), person(alice, "Muhammad", "Rezai")]
        everything = duplicate_candidates(user=alice, limit=100, phonetic=True)
        assert [p.score for p in everything] == [65, 40, 25, 25, 25, 25, 10]
        assert pair_ids(everything)[:2] == [(strong[0].pk, strong[1].pk), (strong[2].pk, strong[3].pk)]
        assert (switchboard[0].pk, switchboard[1].pk) in pair_ids(everything)  # same name still counts
        assert {(a.pk, b.pk) for a, b in names} <= set(pair_ids(everything))
        assert pair_ids(everything)[-1] == (sounds[0].pk, sounds[1].pk)
        for size in (1, 2, 3, 4):
            paged = []
            for offset in range(0, 8, size):
                paged += duplicate_candidates(user=alice, limit=size, offset=offset, phonetic=True)
            assert pair_ids(paged) == pair_ids(everything), size

    def test_a_page_takes_a_fixed_number_of_queries(self, alice, django_assert_max_num_queries):
        for i in range(10):
            person(alice, f"Q{i}", "Dup", phones=[{"number": f"0912000000{i}"}], emails=[f"q{i}@x.ir"])
            person(alice, f"Q{i}", "Dup", phones=[{"number": f"0912000000{i}"}], emails=[f"q{i}@x.ir"])
        with django_assert_max_num_queries(10):  # 3 tiers at most, savepoint, 4 loads
            pairs = duplicate_candidates(user=alice, limit=20)
            for pair in pairs:
                assert len(pair.reasons) == 3
        assert len(pairs) == 10


class TestAccess:
    def test_only_identities_the_user_may_see(self, alice, bob):
        bob = give(bob, *IDENTITY_RIGHTS)
        secret = category_save(
            actor=alice, category=None, name="VIP", parent=None, restricted=True, positions=[make_position("Board")]
        )
        a = person(alice, "Kaveh", "Shams", phones=[{"number": "09124445566"}])
        b = person(alice, "Kaveh", "Shams", phones=[{"number": "09124445566"}], categories=[secret])
        c, d = person(alice, "Tara", "Nik"), person(alice, "Tara", "Nik")
        assert find(duplicate_candidates(user=alice), a, b) is not None
        assert pair_ids(duplicate_candidates(user=bob)) == [(c.pk, d.pk)]

    def test_no_rights_no_pairs(self, alice, charlie):
        person(alice, "Nasrin", "Pak"), person(alice, "Nasrin", "Pak")
        assert duplicate_candidates(user=charlie) == []
        assert Category.objects.count() == 0
