"""Demo data of messaging (issue #5), made through the services as people would make it:

- an SMS line on the local Kannel (`scripts/kannel.sh` defaults: smsbox sendsms on
  127.0.0.1:13013, user `crm`, password `crm-kannel`) and an organisation mailbox on the
  local Dovecot (`scripts/mail.sh`: IMAP 127.0.0.1:14143, user `crm`);
- rights for the demo positions; the default templates in Persian and English;
- occasions for birthdays and Nowruz (and Yalda), the daily occasion job scheduled, and a
  couple of identities whose birthday is today in the Jalali calendar;
- a satisfaction survey with answers that arrived as inbound SMS, a routing rule that made
  a task from a support SMS;
- messages sent in the past (delivered, one failed) in identities' histories — their
  outbox rows are cancelled so the worker does not send old demo messages again;
- a finished bulk send when the bulk module is there.

Runs once: the demo SMS line marks it (a second run only grants the rights again)."""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

from django.contrib.auth.models import Permission
from django.utils import timezone

from crm.core.i18n.calendars import from_jalali, to_jalali
from crm.core.notifications.services import outbox_cancel
from crm.identities.models import Identity, Phone
from crm.messaging.jobs import occasions_daily_ensure
from crm.messaging.models import Mailbox, Message, SmsLine, Template
from crm.org.models import Position, User

logger = logging.getLogger(__name__)
DEMO_LINE = "خط اصلی پیامک"
LINE_NUMBER = "+982191000500"
RIGHTS = {  # position title -> messaging permission codenames ("*": all of them)
    "مدیر عامل": "*",
    "مدیر دفتر": [
        "view_all_message",
        "add_template",
        "change_template",
        "delete_template",
        "view_template",
        "add_occasion",
        "change_occasion",
        "view_occasion",
        "add_survey",
        "change_survey",
        "view_survey",
        "add_routingrule",
        "change_routingrule",
        "view_routingrule",
    ],
    "مدیر فروش": ["view_template", "add_template", "change_template", "view_survey", "add_bulksend", "view_bulksend"],
}
SUPPORT_WORD = "پشتیبانی"


def _grant_rights() -> None:
    perms = Permission.objects.filter(content_type__app_label="messaging")
    for title, codes in RIGHTS.items():
        for position in Position.objects.filter(title=title):
            position.permissions.add(*(perms if codes == "*" else perms.filter(codename__in=codes)))


def _admin() -> User | None:
    return User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()


def _accounts(admin: User) -> tuple[SmsLine, Mailbox]:
    port = os.environ.get("CRM_KANNEL_SENDSMS_PORT", "13013")
    line = SmsLine.objects.create(
        name=DEMO_LINE,
        number=LINE_NUMBER,
        provider="kannel",
        config={"url": f"http://127.0.0.1:{port}", "username": os.environ.get("CRM_KANNEL_USER", "crm")},
        secret=os.environ.get("CRM_KANNEL_PASSWORD", "crm-kannel"),
        is_default=True,
    )
    values = {
        "name": "فروش",
        "address": "sales@example.com",
        "smtp_host": "127.0.0.1",
        "smtp_port": int(os.environ.get("CRM_SMTP_PORT", "1025")),
        "smtp_security": Mailbox.Security.NONE,
        "imap_host": "127.0.0.1",
        "imap_port": int(os.environ.get("CRM_MAIL_PORT", "14143")),
        "imap_username": "crm",
        "imap_password": "crm",
        "imap_security": Mailbox.Security.NONE,
        "is_default": True,
    }
    mailbox = Mailbox.objects.filter(address=values["address"], kind=Mailbox.Kind.ORGANISATION).first()
    if mailbox is None:
        try:
            from crm.messaging.mail.services import mailbox_save

            mailbox = mailbox_save(actor=admin, values={**values, "kind": Mailbox.Kind.ORGANISATION})
        except ImportError:
            mailbox = Mailbox.objects.create(kind=Mailbox.Kind.ORGANISATION, **values)
    return line, mailbox


def _people(limit: int) -> list[Identity]:
    """Known identities with a mobile, in a stable order."""
    with_mobile = Phone.objects.filter(kind=Phone.Kind.MOBILE).values("identity_id")
    return list(Identity.objects.filter(is_unknown=False, pk__in=with_mobile).order_by("id")[:limit])


def _birthdays_today(admin: User, people: list[Identity]) -> None:
    """Two people whose Jalali birthday is today, so the birthday occasion has someone."""
    from crm.identities.services import identity_update

    today = to_jalali(timezone.localdate())
    for years, person in zip((31, 44), people[:2], strict=False):
        day = min(today.day, 29) if today.month == 12 else today.day
        try:
            identity_update(actor=admin, identity=person, birth_date=from_jalali(today.year - years, today.month, day))
        except Exception:  # a demo identity the admin may not change: leave it
            logger.exception("demo birthday for %s", person.pk)


def _templates(admin: User) -> dict[str, Template]:
    from crm.messaging.template_services import templates_install_defaults

    templates_install_defaults(actor=admin)
    return {t.name: t for t in Template.objects.all()}


def _occasions(admin: User, templates: dict[str, Template], line: SmsLine) -> None:
    from crm.messaging.occasions import occasion_save

    sms = {"channel": "sms", "sms_line": line, "send_hour": 9, "active": True}
    occasion_save(
        actor=admin,
        occasion=None,
        name="تبریک تولد",
        kind="birthday",
        calendar="identity",
        template=templates["تبریک تولد (پیامک)"],
        **sms,
    )
    nowruz = templates["تبریک نوروز (پیامک)"]
    occasion_save(
        actor=admin, occasion=None, name="نوروز", kind="date", calendar="jalali", month=1, day=1, template=nowruz, **sms
    )
    occasion_save(
        actor=admin,
        occasion=None,
        name="شب یلدا",
        kind="date",
        calendar="jalali",
        month=9,
        day=30,
        template=nowruz,
        **sms,
    )
    occasions_daily_ensure()


def _mobile(identity: Identity) -> str:
    phone = identity.phones.filter(kind=Phone.Kind.MOBILE).order_by("-is_primary", "id").first()
    return phone.number if phone else ""


def _survey(admin: User, line: SmsLine, people: list[Identity]) -> None:
    from crm.messaging.inbound import inbound_receive
    from crm.messaging.surveys import survey_save

    survey_save(
        actor=admin,
        survey=None,
        name="نظرسنجی رضایت از خدمات",
        keyword="نظر",
        sms_line=line,
        reply_text="{{ identity.first_name }} عزیز، از شرکت شما در نظرسنجی سپاسگزاریم.",
        one_answer_per_number=True,
        active=True,
        options=[("1", "عالی"), ("2", "خوب"), ("3", "متوسط"), ("4", "ضعیف")],
    )
    answers = ["نظر ۱", "نظر 2", "نظر۱", "نظر ۲", "نظر 1", "نظر ۳", "نظر ١", "نظر ۲", "نظر 4", "نظر ۱", "نظر 9"]
    senders = [_mobile(p) for p in people[: len(answers)]]
    senders += ["+989351230000", "+989351230001"][: max(0, len(answers) - len(senders))]
    for index, (sender, text) in enumerate(zip(senders, answers, strict=False)):
        if sender:
            inbound_receive(
                channel="sms",
                from_address=sender,
                to_address=line.number,
                body=text,
                provider_ref=f"demo-survey-{index}",
                sms_line=line,
            )


def _routing(admin: User, line: SmsLine, people: list[Identity]) -> None:
    from crm.messaging.inbound import inbound_receive
    from crm.messaging.routing import routing_rule_save

    office = User.objects.filter(username="office", is_active=True).first()
    routing_rule_save(
        actor=admin,
        rule=None,
        name="پیامک‌های پشتیبانی",
        channel="sms",
        sms_line=line,
        keyword=SUPPORT_WORD,
        target="task",
        params={"assignee": office.pk} if office else {},
        priority=10,
        stop=True,
        active=True,
    )
    sender = _mobile(people[-1]) if people else "+989121110000"
    inbound_receive(
        channel="sms",
        from_address=sender,
        to_address=line.number,
        body=f"سلام، لطفاً برای {SUPPORT_WORD} دستگاه با من تماس بگیرید.",
        provider_ref="demo-support-1",
        sms_line=line,
    )
    inbound_receive(
        channel="sms",
        from_address="+989127654321",
        to_address=line.number,
        body="سلام، قیمت اشتراک سالانه چقدر است؟",
        provider_ref="demo-question-1",
        sms_line=line,
    )


def _settle(messages: list[Message], *, failed: int = 0) -> None:
    """Past demo messages: delivered (a few failed), never sent again by the worker."""
    from crm.messaging.sending import message_mark

    outbox_cancel(ids=[m.outbox_id for m in messages if m.outbox_id])
    queued = [m for m in messages if m.status == Message.Status.QUEUED]
    bad, good = queued[:failed], queued[failed:]
    when = timezone.now() - dt.timedelta(hours=3)
    message_mark(message_ids=[m.pk for m in queued], status=Message.Status.SENT, at=when)
    message_mark(message_ids=[m.pk for m in good], status=Message.Status.DELIVERED, at=when + dt.timedelta(minutes=1))
    message_mark(message_ids=[m.pk for m in bad], status=Message.Status.FAILED, error="Absent subscriber")


def _sent(admin: User, templates: dict[str, Template], line: SmsLine, mailbox: Mailbox, people: list[Identity]) -> None:
    from crm.messaging.quicksend import quick_send

    sms = quick_send(
        actor=admin,
        channel="sms",
        identity_ids=[p.pk for p in people[:6]],
        template=templates.get("خوشامد (پیامک)"),
        account=line,
        dedupe_prefix="demo:welcome",
    )
    _settle(sms, failed=1)
    with_email = [p.pk for p in Identity.objects.filter(is_unknown=False, emails__isnull=False).order_by("id")[:3]]
    if with_email:
        mails = quick_send(
            actor=admin,
            channel="email",
            identity_ids=with_email,
            template=templates.get("Welcome (email)"),
            account=mailbox,
            dedupe_prefix="demo:welcome-mail",
        )
        _settle(mails)


def _bulk(admin: User, templates: dict[str, Template], line: SmsLine, people: list[Identity]) -> None:
    try:
        from crm.messaging import bulk
    except ImportError:
        return
    numbers = [_mobile(p) for p in people[:20]]
    send = bulk.bulk_send_create(
        actor=admin,
        name="جشنواره فروش پاییز",
        channel="sms",
        sms_line=line,
        body="{{ identity.first_name }} عزیز، جشنواره فروش پاییزه با ۲۰٪ تخفیف تا پایان هفته.",
        source="numbers",
        source_params={"lines": [n for n in numbers if n]},
    )
    bulk.bulk_send_start(actor=admin, send=send)
    _settle(list(Message.objects.filter(bulk_send=send)), failed=2)
    send.refresh_from_db()
    bulk.bulk_send_refresh(send=send)


def load(rng: Any) -> None:
    _grant_rights()
    if SmsLine.objects.filter(name=DEMO_LINE).exists():
        return
    admin = _admin()
    if admin is None:
        return
    line, mailbox = _accounts(admin)
    templates = _templates(admin)
    people = _people(30)
    _birthdays_today(admin, people)
    _occasions(admin, templates, line)
    _survey(admin, line, people[2:])
    _routing(admin, line, people)
    _sent(admin, templates, line, mailbox, people)
    try:
        _bulk(admin, templates, line, people)
    except Exception:  # the bulk module is another helper's; the rest of the demo stands
        logger.exception("demo bulk send")
