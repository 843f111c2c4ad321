"""vCard 3.0 export (ID-9): one identity and the list's selection; Persian names in N/FN;
round trip through the importer; access rules (categories, export right) apply."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from crm.identities import services
from crm.identities.imports import services as imports
from crm.identities.models import Identity
from crm.identities.vcard import NO_YEAR, read_cards
from crm.org.testing import appoint, fresh, make_position, make_user

VIEWER_PERMS = ["identities.view_identity", "identities.view_all_identity"]


@pytest.fixture
def world(alice):
    """Three identities; one only in a category restricted to a position nobody here holds."""
    secret = services.category_save(
        actor=alice,
        category=None,
        name="Board",
        parent=None,
        restricted=True,
        positions=[make_position("Board member")],
    )
    public = services.category_save(
        actor=alice, category=None, name="مشتریان", parent=None, restricted=False, positions=[]
    )
    mina = services.identity_create(
        actor=alice,
        first_name="مینا",
        last_name="نیک‌نام",
        title="دکتر",
        organisation_name="پخش سپهر",
        phones=[{"number": "09121234567", "kind": "mobile"}, {"number": "021 8877 6655", "kind": "fax"}],
        emails=[{"address": "mina@example.com"}],
        addresses=[{"line": "خیابان آزادی، پلاک ۵", "city": "تهران"}],
        websites=["https://sepehr.example"],
        birth_date=dt.date(1991, 8, 3),
        notes="خط اول\nخط دوم; با ویرگول, و نقطه",
        categories=[public, secret],
    )
    acme = services.identity_create(
        actor=alice,
        kind="organisation",
        organisation_name="Acme; Ltd",
        phones=[{"number": "+44 20 7946 0958", "kind": "work"}],
    )
    hidden = services.identity_create(
        actor=alice, first_name="Hidden", last_name="Director", phones=[{"number": "09350000000"}], categories=[secret]
    )
    return {"mina": mina, "acme": acme, "hidden": hidden}


def user_with(username, perms):
    user = make_user(username)
    appoint(user, make_position(f"{username} position", perms))
    return fresh(user)


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


def test_one_identity_as_vcard(client, alice, world):
    client.force_login(alice)
    response = client.get(reverse("identity_vcard", args=[world["mina"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    assert "attachment" in response["Content-Disposition"] and ".vcf" in response["Content-Disposition"]
    text = body(response)
    assert text.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n")
    assert "N:نیک‌نام;مینا;;دکتر;\r\n" in text
    assert "FN:مینا نیک‌نام\r\n" in text
    assert "TEL;TYPE=CELL,PREF:+989121234567\r\n" in text and "TEL;TYPE=FAX:+982188776655\r\n" in text
    assert "NOTE:خط اول\\nخط دوم\\; با ویرگول\\, و نقطه" in text.replace("\r\n ", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def summary(identity: Identity) -> tuple:
    return (
        identity.kind,
        identity.first_name,
        identity.last_name,
        identity.title,
        identity.organisation_name,
        identity.display_name,
        identity.birth_date,
        identity.notes,
        sorted((p.kind, p.number, p.is_primary) for p in identity.phones.all()),
        sorted(e.address for e in identity.emails.all()),
        sorted(c.name for c in identity.categories.all()),
    )


def test_export_then_import_gives_the_same_people(client, alice, world):
    client.force_login(alice)
    exported = body(client.get(reverse("identity_vcard_export")))
    before = sorted(map(summary, Identity.objects.prefetch_related("phones", "emails", "categories")), key=str)
    assert len(list(read_cards(exported))) == 3

    Identity.objects.all().delete()
    job = imports.import_job_create(actor=alice, content=exported.encode(), filename="export.vcf")
    job = imports.import_job_configure(actor=alice, job=job, dry_run=False)
    job = imports.identity_import_run(job=job)

    assert (job.created_count, job.error_count) == (3, 0)
    again = Identity.objects.prefetch_related("phones", "emails", "categories")
    assert sorted(map(summary, again), key=str) == before
    mina = again.get(last_name="نیک‌نام")
    assert [(a.line, a.city) for a in mina.addresses.all()] == [("خیابان آزادی، پلاک ۵", "تهران")]
    assert [w.url for w in mina.websites.all()] == ["https://sepehr.example"]


def test_yearless_birthday_round_trips(alice):
    identity = services.identity_create(actor=alice, first_name="Olena", birth_date=dt.date(NO_YEAR, 5, 12))
    from crm.identities.vcard import identity_card_data, write_card

    identity = Identity.objects.prefetch_related("phones", "emails", "addresses", "websites").get(pk=identity.pk)
    text = write_card(identity_card_data(identity))
    assert "BDAY:--0512\r\n" in text
    assert next(read_cards(text)).birthday == f"{NO_YEAR}-05-12"


def test_category_hidden_identities_are_never_exported(client, world):
    viewer = user_with("viewer", [*VIEWER_PERMS, "identities.export_identity"])
    client.force_login(viewer)
    text = body(client.get(reverse("identity_vcard_export")))
    names = sorted(c.full_name for c in read_cards(text))
    assert names == ["Acme; Ltd", "مینا نیک‌نام"]  # Mina is also in a public category
    assert "Director" not in text and "Board" not in text  # nor the name of a category he cannot see
    assert "CATEGORIES:مشتریان" in text
    assert client.get(reverse("identity_vcard", args=[world["hidden"].pk])).status_code == 404


def test_list_export_needs_the_export_right_and_uses_the_list_filters(client, alice, world):
    viewer = user_with("viewer", VIEWER_PERMS)
    client.force_login(viewer)
    assert client.get(reverse("identity_vcard_export")).status_code == 403
    assert client.get(reverse("identity_vcard", args=[world["acme"].pk])).status_code == 200  # one card: view right

    client.force_login(alice)
    text = body(client.get(reverse("identity_vcard_export"), {"q": "مينا"}))  # Arabic yeh, as typed
    assert [c.full_name for c in read_cards(text)] == ["مینا نیک‌نام"]
    text = body(client.get(reverse("identity_vcard_export"), {"kind": "organisation"}))
    assert [c.organisation_name for c in read_cards(text)] == ["Acme; Ltd"]


def test_charlie_gets_nothing(client, charlie, world):
    client.force_login(charlie)
    assert client.get(reverse("identity_vcard_export")).status_code == 403
    assert client.get(reverse("identity_vcard", args=[world["mina"].pk])).status_code == 404
