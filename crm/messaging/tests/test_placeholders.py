"""Smart parameters (CM-5): every identity field and custom field as a placeholder, filled in
batch, dates in the identity's own calendar, rendered in a sandbox that never raises."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from crm.core.customfields.models import CustomFieldDefinition
from crm.identities import services as identity_services
from crm.identities.models import Identity
from crm.messaging import placeholders
from crm.messaging.placeholders import (
    PlaceholderSource,
    identity_calendar,
    identity_values,
    placeholder_groups,
    register_placeholder_source,
    template_render,
)
from crm.messaging.tests.m3_world import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_identity_values_cover_fields_and_custom_fields(world):
    sara = world.identity("sara")
    identity_services.identity_assign(actor=world.alice, identity=sara, users=[world.bob])
    values = identity_values([sara.pk])[sara.pk]
    assert values["identity.first_name"] == "Sara"
    assert values["identity.last_name"] == "Ahmadi"
    assert values["identity.name"] == sara.display_name
    assert values["identity.customer_number"] == "C-1001"
    assert values["identity.class"] == "A"
    assert values["identity.mobile"] == "0912 123 4567"
    assert values["identity.email"] == "sara@example.com"
    assert values["identity.city"] == "Tehran"
    assert values["identity.expert"] == "Bob"
    assert values["identity.cf.budget"] == "100"
    assert values["identity.cf.segment"] == "Retail"  # the choice's label, not its stored value
    assert values["identity.cf.nickname"] == ""


def test_fields_list_every_custom_field_for_the_editor(world):
    names = dict(placeholders.IDENTITY_SOURCE.fields())
    assert names["identity.cf.budget"] == "Budget"
    assert "identity.first_name" in names and "identity.birthday" in names


def test_birthday_shows_in_the_identitys_own_calendar(world):
    sara, ali = world.identity("sara"), world.identity("ali")
    Identity.objects.filter(pk__in=[sara.pk, ali.pk]).update(birth_date=dt.date(1991, 8, 3))
    # the model row only: defining a field through the service adds a PostgreSQL index,
    # which cannot be built inside a test transaction that already wrote identities
    CustomFieldDefinition.objects.create(
        content_type=ContentType.objects.get_for_model(Identity),
        key="calendar",
        kind=CustomFieldDefinition.Kind.CHOICE,
        labels={"en": "Calendar"},
        choices=[
            {"value": "jalali", "labels": {"en": "Jalali"}},
            {"value": "gregorian", "labels": {"en": "Gregorian"}},
        ],
    )
    Identity.objects.filter(pk=ali.pk).update(custom={"calendar": "gregorian"})
    values = identity_values([sara.pk, ali.pk])
    assert values[sara.pk]["identity.birthday"] == "1370/05/12"
    assert "1991" in values[ali.pk]["identity.birthday"]
    with translation.override("fa"):
        assert identity_values([sara.pk])[sara.pk]["identity.birthday"] == "۱۳۷۰/۰۵/۱۲"
    assert identity_calendar({}) == "jalali"
    assert identity_calendar({"calendar": "Gregorian"}) == "gregorian"


def test_identity_values_are_batch(world, django_assert_max_num_queries):
    people = [
        identity_services.identity_create(
            actor=world.alice, first_name=f"P{i}", last_name="X", phones=[{"number": f"0912000{i:04d}"}]
        )
        for i in range(30)
    ]
    with django_assert_max_num_queries(7):
        values = identity_values([p.pk for p in people])
    assert len(values) == 30
    assert values[people[3].pk]["identity.mobile"] == "0912 000 0003"


def test_values_accept_objects_and_skip_junk(world):
    sara = world.identity("sara")
    assert list(identity_values([sara, "x", None, sara.pk])) == [sara.pk]
    assert identity_values([]) == {}


@pytest.mark.parametrize(
    "text",
    [
        "{{ identity.__class__ }}",
        "{{ settings.SECRET_KEY }}",
        "{{ identity.delete }}",
        "{{ identity._meta }}",
        "{{ request.user.password }}",
    ],
)
def test_template_asking_for_internals_renders_nothing(world, text):
    values = identity_values([world.identity("sara").pk])[world.identity("sara").pk]
    assert template_render(f"a{text}b", values) == "ab"


def test_tags_and_filters_are_plain_text_never_run(world):
    values = {"identity.first_name": "Sara"}
    assert template_render("{% load static %}{{ identity.first_name }}", values) == "{% load static %}Sara"
    assert template_render("{{ identity.first_name|upper }}", values) == "{{ identity.first_name|upper }}"


def test_html_is_escaped_for_email_and_plain_for_sms():
    values = {"identity.first_name": "<b>Tom & Jerry</b>"}
    assert template_render("Hi {{ identity.first_name }}", values, html=True) == "Hi &lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"
    assert template_render("Hi {{ identity.first_name }}", values) == "Hi <b>Tom & Jerry</b>"


def test_render_never_raises():
    assert template_render(None, None) == ""  # type: ignore[arg-type]
    assert template_render("x {{ a }}", {"a": object()}).startswith("x <object")
    assert template_render("{{ a }}", ["not", "a", "mapping"]) == ""  # type: ignore[arg-type]


def test_other_contexts_register_sources(monkeypatch):
    monkeypatch.setattr(placeholders, "_sources", dict(placeholders._sources))
    register_placeholder_source(
        PlaceholderSource(
            key="document",
            label="Document",
            fields=lambda: [("document.number", "Number")],
            values=lambda ids: {int(i): {"document.number": f"INV-{i}"} for i in ids},
        )
    )
    groups = placeholder_groups("document")
    assert [label for label, _fields in groups] == ["Document", "Identity"]
    assert groups[0][1] == [("document.number", "Number")]
    assert placeholders.placeholder_source("document").values([7]) == {7: {"document.number": "INV-7"}}


def test_fields_hidden_from_the_sender_stay_empty(world):
    from django.contrib.auth.models import Permission

    from crm.core.permissions.models import FieldAccessRule
    from crm.org.testing import fresh

    ct = ContentType.objects.get_for_model(Identity)
    needed = Permission.objects.get(content_type__app_label="identities", codename="export_identity")
    FieldAccessRule.objects.create(content_type=ct, field_name="custom.budget", view_permission=needed)
    FieldAccessRule.objects.create(content_type=ct, field_name="phones", view_permission=needed)
    sara = world.identity("sara")
    for_bob = identity_values([sara.pk], user=fresh(world.bob))[sara.pk]
    assert for_bob["identity.cf.budget"] == "" and for_bob["identity.mobile"] == ""
    assert for_bob["identity.first_name"] == "Sara"
    for_alice = identity_values([sara.pk], user=world.alice)[sara.pk]
    assert for_alice["identity.cf.budget"] == "100"
