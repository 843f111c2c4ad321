"""Occasion messages (CM-7): birthdays in the identity's own calendar, fixed Jalali and
Gregorian dates, special dates, other contexts' sources; once per identity per year; the
daily job that reschedules itself; pages with denial."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from crm.core.customfields.models import CustomFieldDefinition
from crm.core.i18n.calendars import from_jalali
from crm.core.scheduling.models import DueJob
from crm.core.scheduling.services import due_job_run, due_jobs_claim
from crm.identities.models import Identity, SpecialDate
from crm.messaging import occasions
from crm.messaging.jobs import OCCASIONS_JOB, occasions_daily_ensure
from crm.messaging.models import Message, Occasion
from crm.messaging.occasions import (
    OccasionError,
    anniversary_on,
    occasion_preview,
    occasion_run,
    occasion_save,
    occasions_run,
    register_occasion_source,
)
from crm.messaging.template_services import template_save
from crm.messaging.tests.m3_world import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
BORN = dt.date(1991, 8, 3)  # 12 Mordad 1370
MORDAD_12_1403 = dt.date(2024, 8, 2)  # in 1403 the Jalali birthday falls a day before 3 August


def greeting(world, body="Happy birthday {{ identity.first_name }}"):
    return template_save(actor=world.alice, template=None, name="Birthday", channel="sms", body=body)


def birthday(world, **extra):
    values = {"name": "Birthdays", "kind": "birthday", "calendar": "identity", "channel": "sms"}
    values.update(extra)
    return occasion_save(
        actor=world.alice, occasion=None, template=extra.pop("template", None) or greeting(world), **values
    )


def gregorian_field(world):
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


def test_anniversaries_in_each_calendar():
    assert anniversary_on(BORN, MORDAD_12_1403, "jalali")
    assert not anniversary_on(BORN, dt.date(2024, 8, 3), "jalali")
    assert anniversary_on(BORN, dt.date(2024, 8, 3), "gregorian")
    assert anniversary_on(BORN, from_jalali(1405, 5, 12), "jalali")
    # 30 Esfand (only in leap years) falls back to 29 Esfand; 29 February to 28 February
    esfand_30 = from_jalali(1403, 12, 30)
    assert anniversary_on(esfand_30, from_jalali(1404, 12, 29), "jalali")
    assert not anniversary_on(esfand_30, from_jalali(1408, 12, 29), "jalali")  # 1408 is leap: it has its 30th
    assert anniversary_on(dt.date(2000, 2, 29), dt.date(2025, 2, 28), "gregorian")
    assert not anniversary_on(dt.date(2000, 2, 29), dt.date(2028, 2, 28), "gregorian")
    assert not anniversary_on(dt.date(2030, 1, 1), dt.date(2029, 1, 1), "gregorian")  # not born yet


def test_birthday_follows_the_identitys_own_calendar_once_a_year(world):
    gregorian_field(world)
    sara, ali = world.identity("sara"), world.identity("ali")
    Identity.objects.filter(pk=sara.pk).update(birth_date=BORN)
    Identity.objects.filter(pk=ali.pk).update(birth_date=BORN, custom={"calendar": "gregorian"})
    occasion = birthday(world)

    run = occasion_run(occasion=occasion, on=MORDAD_12_1403)
    assert run.queued == 1
    message = Message.objects.get()
    assert message.identity_id == sara.pk and message.body == "Happy birthday Sara"
    assert message.dedupe_key == f"occasion:{occasion.pk}:j1403:{sara.pk}"

    occasion_run(occasion=occasion, on=dt.date(2024, 8, 3))
    assert list(Message.objects.order_by("id").values_list("identity_id", flat=True)) == [sara.pk, ali.pk]

    occasion_run(occasion=occasion, on=MORDAD_12_1403)  # the same day again: nothing more
    occasion_run(occasion=occasion, on=dt.date(2024, 8, 3))
    assert Message.objects.count() == 2
    occasion_run(occasion=occasion, on=from_jalali(1404, 5, 12))  # next year: again
    assert Message.objects.filter(identity_id=sara.pk).count() == 2


def test_an_occasion_may_force_one_calendar(world):
    Identity.objects.filter(pk=world.identity("sara").pk).update(birth_date=BORN)
    occasion = birthday(world, calendar="gregorian")
    assert occasion_run(occasion=occasion, on=MORDAD_12_1403).queued == 0
    assert occasion_run(occasion=occasion, on=dt.date(2024, 8, 3)).queued == 1


def test_messages_wait_for_the_occasions_hour(world):
    Identity.objects.filter(pk=world.identity("sara").pk).update(birth_date=BORN)
    on = timezone.localdate() + dt.timedelta(days=1)
    Identity.objects.filter(pk=world.identity("sara").pk).update(birth_date=on.replace(year=1990))
    occasion = birthday(world, calendar="gregorian", send_hour=10)
    occasion_run(occasion=occasion, on=on)
    message = Message.objects.get()
    from crm.core.notifications.models import OutboxMessage

    due = timezone.localtime(OutboxMessage.objects.get(pk=message.outbox_id).due_at)
    assert (due.date(), due.hour) == (on, 10)


def test_nowruz_goes_to_everyone_in_scope_with_an_address(world):
    template = greeting(world, body="Happy Nowruz {{ identity.name }}")
    nowruz = occasion_save(
        actor=world.alice,
        occasion=None,
        name="Nowruz",
        kind="date",
        calendar="jalali",
        month=1,
        day=1,
        channel="sms",
        template=template,
    )
    assert occasion_run(occasion=nowruz, on=from_jalali(1405, 1, 2)).queued == 0
    run = occasion_run(occasion=nowruz, on=from_jalali(1405, 1, 1))
    with_mobile = {world.identity(n).pk for n in ("sara", "ali", "hidden")}  # the unknown contact is left out
    assert set(Message.objects.values_list("identity_id", flat=True)) == with_mobile
    assert run.no_address == 2  # niknam and acme have no phone
    only_open = occasion_save(
        actor=world.alice,
        occasion=None,
        name="Nowruz (customers category)",
        kind="date",
        calendar="jalali",
        month=1,
        day=1,
        channel="sms",
        template=template,
        category_ids=[world.ids.categories["open"].pk],
    )
    occasion_run(occasion=only_open, on=from_jalali(1405, 1, 1))
    assert set(Message.objects.filter(meta__occasion=only_open.pk).values_list("identity_id", flat=True)) == {
        world.identity("sara").pk,
        world.identity("ali").pk,
    }


def test_special_dates_by_label(world):
    sara = world.identity("sara")
    SpecialDate.objects.create(identity=sara, label="Wedding", date=dt.date(2015, 3, 21))  # 1 Farvardin 1394
    SpecialDate.objects.create(identity=world.identity("ali"), label="Founding", date=dt.date(2015, 3, 21))
    occasion = occasion_save(
        actor=world.alice,
        occasion=None,
        name="Anniversary",
        kind="special",
        calendar="identity",
        special_label="wedding",
        channel="sms",
        template=greeting(world, body="{{ occasion.label }}: congratulations {{ identity.first_name }}"),
    )
    occasion_run(occasion=occasion, on=from_jalali(1405, 1, 1))
    assert list(Message.objects.values_list("identity_id", "body")) == [(sara.pk, "Wedding: congratulations Sara")]


def test_other_contexts_add_sources(world, monkeypatch):
    monkeypatch.setattr(occasions, "_sources", {})
    sara = world.identity("sara")
    register_occasion_source(
        "cheque", "Cheque due", lambda on: [(sara.pk, {"cheque.number": "123", "_key": "c1"})] if on.day == 5 else []
    )
    occasion = occasion_save(
        actor=world.alice,
        occasion=None,
        name="Cheques",
        kind="cheque",
        channel="sms",
        template=greeting(world, body="Cheque {{ cheque.number }} is due"),
    )
    occasion_run(occasion=occasion, on=dt.date(2026, 1, 5))
    occasion_run(occasion=occasion, on=dt.date(2026, 1, 5))
    occasion_run(occasion=occasion, on=dt.date(2026, 1, 6))
    assert list(Message.objects.values_list("body", flat=True)) == ["Cheque 123 is due"]
    with pytest.raises(ValueError):
        register_occasion_source("much_too_long", "x", lambda on: [])


def test_occasion_rules_on_saving(world):
    template = greeting(world)
    with pytest.raises(OccasionError):
        occasion_save(
            actor=world.alice,
            occasion=None,
            name="x",
            kind="date",
            calendar="jalali",
            month=12,
            day=31,
            channel="sms",
            template=template,
        )
    with pytest.raises(OccasionError):
        occasion_save(actor=world.alice, occasion=None, name="x", kind="birthday", channel="email", template=template)
    with pytest.raises(OccasionError):
        occasion_save(actor=world.bob, occasion=None, name="x", kind="birthday", channel="sms", template=template)
    with pytest.raises(OccasionError):
        occasion_save(actor=world.alice, occasion=None, name="x", kind="special", channel="sms", template=template)
    leap_day = occasion_save(
        actor=world.alice,
        occasion=None,
        name="x",
        kind="date",
        calendar="jalali",
        month=12,
        day=30,
        channel="sms",
        template=template,
    )
    assert leap_day.month == 12


def test_the_daily_job_runs_and_reschedules_itself(world, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    Identity.objects.filter(pk=world.identity("sara").pk).update(birth_date=today.replace(year=1990))
    with django_capture_on_commit_callbacks(execute=True):
        birthday(world, calendar="gregorian")
    job = DueJob.objects.get(kind=OCCASIONS_JOB)
    assert job.payload == {"on": today.isoformat()}
    assert occasions_daily_ensure() is None  # one pending is enough
    [claimed] = due_jobs_claim(worker_id="w1")
    assert due_job_run(job=claimed, worker_id="w1")
    assert Message.objects.filter(identity_id=world.identity("sara").pk).count() == 1
    tomorrow = DueJob.objects.get(kind=OCCASIONS_JOB, status=DueJob.Status.PENDING)
    assert tomorrow.payload == {"on": (today + dt.timedelta(days=1)).isoformat()}
    occasions_run(on=today)  # "run now" the same day changes nothing
    assert Message.objects.count() == 1


def test_preview_counts_and_already_sent(world):
    Identity.objects.filter(pk=world.identity("sara").pk).update(birth_date=BORN)
    occasion = birthday(world)
    preview = occasion_preview(occasion=occasion, on=MORDAD_12_1403)
    assert (preview["count"], preview["already"], preview["texts"]) == (1, 0, ["Happy birthday Sara"])
    occasion_run(occasion=occasion, on=MORDAD_12_1403)
    assert occasion_preview(occasion=occasion, on=MORDAD_12_1403)["already"] == 1


def test_occasion_pages(client, world):
    Identity.objects.filter(pk=world.identity("sara").pk).update(birth_date=BORN)
    occasion = birthday(world)
    client.force_login(world.charlie)
    assert client.get(reverse("messaging:occasion_list")).status_code == 403
    assert client.get(reverse("messaging:occasion_run", args=[occasion.pk])).status_code == 403
    assert client.post(reverse("messaging:occasion_delete", args=[occasion.pk])).status_code == 404

    client.force_login(world.alice)
    page = client.get(reverse("messaging:occasion_list")).content.decode()
    assert "Birthdays" in page and "نوروز" in page  # the holidays menu
    preview = client.get(reverse("messaging:occasion_run", args=[occasion.pk]), {"on": "1403/05/12"}).content.decode()
    assert "Happy birthday Sara" in preview
    client.post(reverse("messaging:occasion_run", args=[occasion.pk]), {"on": "1403/05/12"})
    assert Message.objects.count() == 1
    response = client.post(
        reverse("messaging:occasion_create"),
        {
            "name": "Yalda",
            "kind": "date",
            "calendar": "jalali",
            "month": 9,
            "day": 30,
            "channel": "sms",
            "template": occasion.template_id,
            "send_hour": 18,
            "active": "on",
        },
    )
    created = Occasion.objects.get(name="Yalda")
    assert response.status_code == 302 and (created.month, created.day, created.send_hour) == (9, 30, 18)
    form = client.get(reverse("messaging:occasion_create"), {"kind": "date", "name": "نوروز", "month": 1, "day": 1})
    assert 'value="نوروز"' in form.content.decode()
