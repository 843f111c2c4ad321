"""Occasion messages (CM-7): yearly greetings that go out by themselves.

Kinds:
- **birthday** — each identity on its birthday *in its own calendar* (see
  `crm.messaging.placeholders.identity_calendar`: Jalali unless the identity's `calendar`
  custom field says Gregorian). Someone born 1370/05/12 gets it every 12 Mordad, which falls
  on 3 or 4 August depending on the year. An occasion may force one calendar instead.
- **date** — a fixed Jalali or Gregorian date (Nowruz 1 Farvardin, Yalda 30 Azar, New Year
  1 January) to every identity in scope.
- **special** — the identities' own special dates (wedding anniversary, founding day…)
  whose label matches the occasion's, in the identity's calendar.
- any key registered with `register_occasion_source(key, label, due)`, where
  `due(on_date)` yields `(identity_id, values)` — finance adds cheque due dates this way.
  The key is stored in `Occasion.kind` (at most 10 characters).

Leap days: a 30 Esfand birthday is celebrated on 29 Esfand in common years, 29 February on
28 February.

Scope: occasions belong to the organisation (only administrators with
`messaging.add_occasion` keep them); recipients are all known (not "unknown contact")
identities, or those in the occasion's categories and their subcategories.

Once only: a daily due job (`crm.messaging.jobs`) runs `occasions_run(on=today)`, which
queues each (occasion, identity, year) under one dedupe key at the occasion's hour, so a
second run the same day — or "run now" from the page — sends nothing twice."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import jdatetime
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crm.core.audit.services import audit_record, tracked_create, tracked_update
from crm.core.errors import ApplicationError
from crm.core.i18n.calendars import GREGORIAN, JALALI, to_jalali
from crm.core.i18n.search import normalize_search
from crm.identities.models import Category, Identity, IdentityCategory, SpecialDate
from crm.messaging.models import Channel, Mailbox, Message, Occasion, SmsLine
from crm.messaging.placeholders import identity_calendar, identity_values
from crm.messaging.quicksend import addresses_of
from crm.messaging.sending import AddressError, Outgoing, messages_queue, normalise_address
from crm.messaging.template_services import template_preview

logger = logging.getLogger(__name__)
CHUNK = 2000
OccasionDue = Callable[[dt.date], Iterable[tuple[int, dict[str, Any]]]]


@dataclass(frozen=True)
class OccasionSource:
    key: str
    label: str | Promise
    due: OccasionDue


_sources: dict[str, OccasionSource] = {}


def register_occasion_source(key: str, label: str | Promise, due: OccasionDue) -> OccasionSource:
    if len(key) > 10:
        raise ValueError("occasion source keys are stored in Occasion.kind: 10 characters at most")
    source = OccasionSource(key=key, label=label, due=due)
    _sources[key] = source
    return source


def occasion_sources() -> list[OccasionSource]:
    return list(_sources.values())


def occasion_kinds() -> list[tuple[str, str | Promise]]:
    return [*Occasion.Kind.choices, *((s.key, s.label) for s in _sources.values())]


class OccasionErrorCode(StrEnum):
    NAME_REQUIRED = "name_required"
    DATE_REQUIRED = "date_required"
    BAD_DATE = "bad_date"
    LABEL_REQUIRED = "label_required"
    CHANNEL_MISMATCH = "channel_mismatch"
    NOT_ALLOWED = "not_allowed"
    UNKNOWN_KIND = "unknown_kind"


class OccasionError(ApplicationError):
    messages = {
        OccasionErrorCode.NAME_REQUIRED: _("Give the occasion a name."),
        OccasionErrorCode.DATE_REQUIRED: _("A fixed-date occasion needs a month and a day."),
        OccasionErrorCode.BAD_DATE: _("There is no such day in that calendar."),
        OccasionErrorCode.LABEL_REQUIRED: _("Name the special date (as written on identities, e.g. “Wedding”)."),
        OccasionErrorCode.CHANNEL_MISMATCH: _("The template is for another channel."),
        OccasionErrorCode.NOT_ALLOWED: _("You may not change occasion messages."),
        OccasionErrorCode.UNKNOWN_KIND: _("Unknown kind of occasion."),
    }


# --- dates --------------------------------------------------------------------------------


def _jalali_leap(year: int) -> bool:
    return jdatetime.date(year, 1, 1).isleap()


def anniversary_on(day: dt.date, on: dt.date, calendar: str) -> bool:
    """Whether `on` is the yearly return of `day` in `calendar` (leap days fall back one day)."""
    if day > on:
        return False
    if calendar == GREGORIAN:
        if (day.month, day.day) == (on.month, on.day):
            return True
        leap = on.year % 4 == 0 and (on.year % 100 != 0 or on.year % 400 == 0)
        return (day.month, day.day) == (2, 29) and (on.month, on.day) == (2, 28) and not leap
    born, today = to_jalali(day), to_jalali(on)
    if (born.month, born.day) == (today.month, today.day):
        return True
    return (born.month, born.day) == (12, 30) and (today.month, today.day) == (12, 29) and not _jalali_leap(today.year)


def fixed_date_on(occasion: Occasion, on: dt.date) -> bool:
    if occasion.calendar == GREGORIAN:
        return (occasion.month, occasion.day) == (on.month, on.day)
    today = to_jalali(on)
    if (occasion.month, occasion.day) == (today.month, today.day):
        return True
    return (
        (occasion.month, occasion.day) == (12, 30)
        and (today.month, today.day) == (12, 29)
        and not _jalali_leap(today.year)
    )


def _year_tag(calendar: str, on: dt.date) -> str:
    return f"g{on.year}" if calendar == GREGORIAN else f"j{to_jalali(on).year}"


def _near(on: dt.date, field: str) -> Q:
    """Rows whose date's month/day is within two days of `on` (a Jalali day moves by one
    Gregorian day between years; leap days by one more): the exact check is in Python."""
    q = Q()
    for shift in range(-2, 3):
        day = on + dt.timedelta(days=shift)
        q |= Q(**{f"{field}__month": day.month, f"{field}__day": day.day})
    return q


# --- recipients ----------------------------------------------------------------------------


def _in_scope(occasion: Occasion) -> QuerySet[Identity]:
    qs = Identity.objects.filter(is_unknown=False)
    ids = [int(i) for i in occasion.category_ids or [] if str(i).isdigit()]
    if ids:
        paths = list(Category.objects.filter(pk__in=ids).values_list("path", flat=True))
        cats = Q()
        for path in paths:
            cats |= Q(category__path__startswith=path)
        links = IdentityCategory.objects.filter(cats, identity=OuterRef("pk")) if paths else None
        qs = qs.filter(Exists(links)) if links is not None else qs.none()
    return qs


def _calendar_for(occasion: Occasion, custom: dict[str, Any] | None) -> str:
    if occasion.calendar in (JALALI, GREGORIAN):
        return occasion.calendar
    return identity_calendar(custom)


def occasion_recipients(occasion: Occasion, on: dt.date) -> list[tuple[int, str, dict[str, Any]]]:
    """(identity id, dedupe key within the occasion, extra values) of everyone it is for on `on`."""
    scope = _in_scope(occasion)
    found: list[tuple[int, str, dict[str, Any]]] = []
    if occasion.kind == Occasion.Kind.BIRTHDAY:
        rows = scope.filter(_near(on, "birth_date")).values_list("pk", "birth_date", "custom")
        for pk, born, custom in rows.iterator(chunk_size=CHUNK):
            calendar = _calendar_for(occasion, custom)
            if born and anniversary_on(born, on, calendar):
                found.append((pk, f"{_year_tag(calendar, on)}:{pk}", {}))
    elif occasion.kind == Occasion.Kind.SPECIAL_DATE:
        label = normalize_search(occasion.special_label)
        rows = (
            SpecialDate.objects.filter(_near(on, "date"), identity__in=scope)
            .values_list("pk", "identity_id", "label", "date", "identity__custom")
            .order_by("identity_id", "id")
        )
        for pk, identity_id, row_label, day, custom in rows.iterator(chunk_size=CHUNK):
            calendar = _calendar_for(occasion, custom)
            if (not label or normalize_search(row_label) == label) and anniversary_on(day, on, calendar):
                found.append(
                    (identity_id, f"{_year_tag(calendar, on)}:{identity_id}:{pk}", {"occasion.label": row_label})
                )
    elif occasion.kind == Occasion.Kind.FIXED_DATE:
        if occasion.month and occasion.day and fixed_date_on(occasion, on):
            tag = _year_tag(GREGORIAN if occasion.calendar == GREGORIAN else JALALI, on)
            found = [(pk, f"{tag}:{pk}", {}) for pk in scope.values_list("pk", flat=True).iterator(chunk_size=CHUNK)]
    elif occasion.kind in _sources:
        allowed = None
        if occasion.category_ids:
            allowed = set(scope.values_list("pk", flat=True))
        for index, (identity_id, values) in enumerate(_sources[occasion.kind].due(on)):
            if allowed is None or identity_id in allowed:
                key = str((values or {}).get("_key", index))
                found.append((identity_id, f"{on.isoformat()}:{identity_id}:{key}", dict(values or {})))
    return found


# --- running -------------------------------------------------------------------------------


def _account(occasion: Occasion) -> SmsLine | Mailbox | None:
    if occasion.channel == Channel.SMS:
        if occasion.sms_line_id:
            return occasion.sms_line if occasion.sms_line.active else None
        return SmsLine.objects.filter(active=True).order_by("-is_default", "id").first()
    if occasion.mailbox_id:
        return occasion.mailbox if occasion.mailbox.active else None
    return Mailbox.objects.filter(active=True, kind=Mailbox.Kind.ORGANISATION).order_by("-is_default", "id").first()


def _send_time(occasion: Occasion, on: dt.date) -> dt.datetime:
    hour = min(max(int(occasion.send_hour or 0), 0), 23)
    moment = timezone.make_aware(dt.datetime.combine(on, dt.time(hour)), timezone.get_default_timezone())
    return max(moment, timezone.now())


@dataclass
class OccasionRun:
    occasion: Occasion
    recipients: int = 0
    queued: int = 0
    no_address: int = 0
    skipped: str = ""


def _queue(occasion: Occasion, on: dt.date, account: Any, recipients: list[tuple[int, str, dict]]) -> OccasionRun:
    run = OccasionRun(occasion=occasion, recipients=len(recipients))
    template, channel = occasion.template, occasion.channel
    due_at = _send_time(occasion, on)
    for start in range(0, len(recipients), CHUNK):
        chunk = recipients[start : start + CHUNK]
        ids = list({pk for pk, _k, _v in chunk})
        found = addresses_of(channel, ids)
        values = identity_values([pk for pk in ids if pk in found])
        items = []
        for pk, key, extra in chunk:
            try:
                to = normalise_address(channel, found[pk]) if pk in found else ""
            except AddressError:
                to = ""
            if not to:
                run.no_address += 1
                continue
            filled = {**values.get(pk, {}), "occasion.name": occasion.name, **extra}
            preview = template_preview(
                body=template.body, subject=template.subject, channel=channel, is_html=template.is_html, values=filled
            )
            items.append(
                Outgoing(
                    to_address=to,
                    body=preview.text,
                    html=preview.html,
                    subject=preview.subject,
                    identity_id=pk,
                    key=key,
                    meta={"occasion": occasion.pk, "on": on.isoformat()},
                )
            )
        rows = messages_queue(
            actor=None,
            channel=channel,
            items=items,
            dedupe_prefix=f"occasion:{occasion.pk}",
            sms_line=account if channel == Channel.SMS else None,
            mailbox=account if channel == Channel.EMAIL else None,
            template=template,
            due_at=due_at,
            from_address=account.number if channel == Channel.SMS else account.address,
        )
        run.queued += sum(1 for m in rows if m.status != Message.Status.SUPPRESSED)
    return run


def occasion_run(*, occasion: Occasion, on: dt.date) -> OccasionRun:
    """Queue this occasion's messages for `on` (idempotent: once per identity per year)."""
    if not occasion.active or not occasion.template.active:
        return OccasionRun(occasion=occasion, skipped="inactive")
    account = _account(occasion)
    if account is None:
        logger.warning("occasion %s: no active line or mailbox to send from", occasion.pk)
        return OccasionRun(occasion=occasion, skipped="no_account")
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        run = _queue(occasion, on, account, occasion_recipients(occasion, on))
        Occasion.objects.filter(pk=occasion.pk).update(last_run_on=on)
    return run


def occasions_run(*, on: dt.date, occasions: Iterable[Occasion] | None = None) -> list[OccasionRun]:
    """Every active occasion for `on`, each in its own transaction."""
    chosen = (
        list(occasions)
        if occasions is not None
        else list(Occasion.objects.filter(active=True).select_related("template", "sms_line", "mailbox"))
    )
    runs = []
    for occasion in chosen:
        try:
            runs.append(occasion_run(occasion=occasion, on=on))
        except Exception:
            logger.exception("occasion %s failed for %s", occasion.pk, on)
            runs.append(OccasionRun(occasion=occasion, skipped="error"))
    return runs


def occasion_preview(*, occasion: Occasion, on: dt.date, sample: int = 5) -> dict[str, Any]:
    """How many it is for on `on`, how many already have theirs, and a few rendered texts."""
    recipients = occasion_recipients(occasion, on)
    keys = [f"occasion:{occasion.pk}:{key}" for _pk, key, _v in recipients]
    done = 0
    for start in range(0, len(keys), CHUNK):
        done += Message.objects.filter(dedupe_key__in=keys[start : start + CHUNK]).count()
    with translation.override(settings.LANGUAGE_CODE):
        ids = [pk for pk, _k, _v in recipients[:sample]]
        values = identity_values(ids)
        texts = [
            template_preview(
                body=occasion.template.body,
                subject=occasion.template.subject,
                channel=occasion.channel,
                is_html=occasion.template.is_html,
                values={**values.get(pk, {}), "occasion.name": occasion.name, **extra},
            ).text
            for pk, _key, extra in recipients[:sample]
        ]
    return {"count": len(recipients), "already": done, "texts": texts, "identity_ids": ids}


# --- keeping occasions ---------------------------------------------------------------------

OCCASION_FIELDS = (
    "name",
    "kind",
    "calendar",
    "month",
    "day",
    "special_label",
    "channel",
    "template",
    "sms_line",
    "mailbox",
    "category_ids",
    "send_hour",
    "active",
)


def _check_date(calendar: str, month: Any, day: Any) -> None:
    if not month or not day:
        raise OccasionError(OccasionErrorCode.DATE_REQUIRED)
    try:
        if calendar == GREGORIAN:
            dt.date(2024, int(month), int(day))  # a leap year: 29 February is allowed
        else:
            jdatetime.date(1403, int(month), int(day))  # a leap year: 30 Esfand is allowed
    except (ValueError, TypeError):
        raise OccasionError(OccasionErrorCode.BAD_DATE) from None


def occasions_for_user(user: Any) -> QuerySet[Occasion]:
    if not (user.has_perm("messaging.view_occasion") or user.has_perm("messaging.add_occasion")):
        return Occasion.objects.none()
    return Occasion.objects.select_related("template", "sms_line", "mailbox").order_by("name")


@transaction.atomic
def occasion_save(*, actor: Any, occasion: Occasion | None, **values: Any) -> Occasion:
    if not actor.has_perm("messaging.add_occasion" if occasion is None else "messaging.change_occasion"):
        raise OccasionError(OccasionErrorCode.NOT_ALLOWED)
    data = {k: v for k, v in values.items() if k in OCCASION_FIELDS}
    if not (data.get("name") or "").strip():
        raise OccasionError(OccasionErrorCode.NAME_REQUIRED, fields={"name": _("Give the occasion a name.")})
    kind = data.get("kind")
    if kind not in dict(occasion_kinds()):
        raise OccasionError(OccasionErrorCode.UNKNOWN_KIND)
    if kind == Occasion.Kind.FIXED_DATE:
        if data.get("calendar") not in (JALALI, GREGORIAN):
            data["calendar"] = JALALI
        _check_date(data["calendar"], data.get("month"), data.get("day"))
    else:
        data["month"] = data["day"] = None
    if kind == Occasion.Kind.SPECIAL_DATE and not (data.get("special_label") or "").strip():
        raise OccasionError(
            OccasionErrorCode.LABEL_REQUIRED,
            fields={"special_label": OccasionError.messages[OccasionErrorCode.LABEL_REQUIRED]},
        )
    template = data.get("template")
    if template is not None and template.channel != data.get("channel"):
        raise OccasionError(
            OccasionErrorCode.CHANNEL_MISMATCH, fields={"template": _("The template is for another channel.")}
        )
    if data.get("channel") != Channel.SMS:
        data["sms_line"] = None
    if data.get("channel") != Channel.EMAIL:
        data["mailbox"] = None
    data["category_ids"] = [int(i) for i in data.get("category_ids") or []]
    if occasion is None:
        occasion = Occasion(created_by=actor, **data)
        tracked_create(obj=occasion, actor=actor)
    else:
        tracked_update(obj=occasion, actor=actor, **data)
    from crm.messaging.jobs import occasions_daily_ensure

    transaction.on_commit(occasions_daily_ensure)
    return occasion


@transaction.atomic
def occasion_delete(*, actor: Any, occasion: Occasion) -> None:
    if not actor.has_perm("messaging.delete_occasion"):
        raise OccasionError(OccasionErrorCode.NOT_ALLOWED)
    audit_record(actor=actor, target=occasion, action="occasion.deleted")
    occasion.delete()


DATA = Path(__file__).resolve().parent / "data" / "occasions.json"


@functools.cache
def common_occasions() -> list[dict[str, Any]]:
    """Fixed dates the occasion form proposes (Nowruz, Yalda, New Year…): `data/occasions.json`."""
    return json.loads(DATA.read_text(encoding="utf-8"))["occasions"]
