"""How the company talks to customers and to itself (CM-1 … CM-9, PL-11).

One `Message` row per message sent or received on any channel (email, SMS, fax): it is
the item in identity histories, the row delivery reports and tracking update, and — for
outgoing ones — points at the `core` outbox row that actually sends it. Bulk sends write
one `Message` + one outbox row per recipient before anything is sent (exactly once)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.core.base_models import OwnedModel, TimeStampedModel
from crm.core.crypto.fields import EncryptedTextField

USER = settings.AUTH_USER_MODEL


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    FAX = "fax", _("Fax")


# --- accounts: where messages leave from and arrive at (PL-11, CM-3) -----------------


class SmsLine(TimeStampedModel):
    """A sender number with the gateway that carries it (Kannel, an Iranian SMS API…).
    `provider` names an adapter in `crm.messaging.gateways`; `config` holds its
    non-secret settings (URL, username, smsc id) and `secret` the password/API key."""

    name = models.CharField(_("name"), max_length=100)
    number = models.CharField(_("sender number"), max_length=32)
    provider = models.CharField(_("provider"), max_length=40, default="kannel")
    config = models.JSONField(_("provider settings"), default=dict, blank=True)
    secret = EncryptedTextField(_("password / API key"), blank=True)
    rate_per_second = models.PositiveIntegerField(_("messages per second"), default=50)
    is_default = models.BooleanField(_("default line"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("SMS line")
        verbose_name_plural = _("SMS lines")

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class Mailbox(TimeStampedModel):
    """An organisation mailbox (sales@, support@) or a user's own (PL-11). Passwords are
    stored encrypted; the organisation's mail server settings are the fallback host."""

    class Kind(models.TextChoices):
        ORGANISATION = "org", _("Organisation mailbox")
        PERSONAL = "personal", _("Personal mailbox")

    class Security(models.TextChoices):
        NONE = "none", _("None")
        STARTTLS = "starttls", "STARTTLS"
        SSL = "ssl", "SSL/TLS"

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ORGANISATION)
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.CASCADE, related_name="mailboxes", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=100)
    address = models.EmailField(_("address"))
    smtp_host = models.CharField(_("SMTP host"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=587)
    smtp_username = models.CharField(_("SMTP username"), max_length=255, blank=True)
    smtp_password = EncryptedTextField(_("SMTP password"), blank=True)
    smtp_security = models.CharField(
        _("SMTP security"), max_length=10, choices=Security.choices, default=Security.STARTTLS
    )
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_username = models.CharField(_("IMAP username"), max_length=255, blank=True)
    imap_password = EncryptedTextField(_("IMAP password"), blank=True)
    imap_security = models.CharField(_("IMAP security"), max_length=10, choices=Security.choices, default=Security.SSL)
    imap_folder = models.CharField(_("IMAP folder"), max_length=100, default="INBOX")
    # IMAP UIDVALIDITY + last UID fetched: fetching again never imports a mail twice
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    imap_last_uid = models.BigIntegerField(default=0, editable=False)
    imap_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    imap_error = models.TextField(blank=True, editable=False)
    signature = models.TextField(_("signature"), blank=True)
    is_default = models.BooleanField(_("default for sending"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="org", owner__isnull=True) | Q(kind="personal", owner__isnull=False),
                name="mailbox_owner_matches_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class FaxLine(TimeStampedModel):
    """A fax number with its provider adapter (e.g. email-to-fax: `config` holds the
    gateway's address pattern such as `{number}@fax.example.com`)."""

    name = models.CharField(_("name"), max_length=100)
    number = models.CharField(_("fax number"), max_length=32)
    provider = models.CharField(_("provider"), max_length=40, default="email2fax")
    config = models.JSONField(_("provider settings"), default=dict, blank=True)
    secret = EncryptedTextField(_("password / API key"), blank=True)
    is_default = models.BooleanField(_("default line"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("fax line")
        verbose_name_plural = _("fax lines")

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class AccountAccess(models.Model):
    """Who may read (and send from) a shared account's messages (CM-3). A user always
    sees their own messages; `messaging.view_all_message` sees everything."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="messaging_access")
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")
    sms_line = models.ForeignKey(SmsLine, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")
    fax_line = models.ForeignKey(FaxLine, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")
    can_send = models.BooleanField(_("may send"), default=True)

    class Meta:
        verbose_name = _("account access")
        verbose_name_plural = _("account access")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(mailbox__isnull=False, sms_line__isnull=True, fax_line__isnull=True)
                    | Q(mailbox__isnull=True, sms_line__isnull=False, fax_line__isnull=True)
                    | Q(mailbox__isnull=True, sms_line__isnull=True, fax_line__isnull=False)
                ),
                name="account_access_one_account",
            )
        ]

    # --- templates with smart parameters (CM-5) -----------------------------------------

    def __str__(self) -> str:
        return f"{self.user_id} → {self.mailbox or self.sms_line or self.fax_line}"


class Template(TimeStampedModel, OwnedModel):
    """A message template; `{{ identity.first_name }}`-style placeholders are filled from
    whitelisted fields only (`crm.core.templating`)."""

    name = models.CharField(_("name"), max_length=150)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # what the placeholders are about: "identity" now; "invoice", "opportunity"… later
    context = models.CharField(_("about"), max_length=40, default="identity")
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    is_html = models.BooleanField(_("HTML"), default=False)
    is_default = models.BooleanField(_("default for its channel"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["channel", "name"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")

    def __str__(self) -> str:
        return self.name


# --- target groups and suppression ------------------------------------------------------


class TargetGroup(TimeStampedModel, OwnedModel):
    """A named set of identities to send to (newsletters, or made from a send)."""

    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")

    def __str__(self) -> str:
        return self.name


class TargetGroupMember(models.Model):
    group = models.ForeignKey(TargetGroup, on_delete=models.CASCADE, related_name="members")
    identity_id = models.BigIntegerField(db_index=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "identity_id"], name="target_group_member_unique")]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.identity_id}"


class Suppression(models.Model):
    """Addresses that must not get messages: the operator's blacklist (numbers that
    refused advertising SMS), a person's opt-out (unsubscribe link, STOP), hard bounces."""

    class Reason(models.TextChoices):
        BLACKLIST = "blacklist", _("Operator blacklist")
        OPT_OUT = "optout", _("Opted out")
        BOUNCE = "bounce", _("Bounced")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=320)  # E.164 or lower-case email
    identity_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        constraints = [models.UniqueConstraint(fields=["channel", "address"], name="suppression_unique")]

    def __str__(self) -> str:
        return self.address


# --- bulk sends (CM-6) ------------------------------------------------------------------


class BulkSend(TimeStampedModel, OwnedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        QUEUEING = "queueing", _("Queueing recipients")
        RUNNING = "running", _("Sending")
        PAUSED = "paused", _("Paused")
        DONE = "done", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        CATEGORIES = "categories", _("Identity categories")
        TARGET_GROUP = "group", _("Target group")
        EXCEL = "excel", _("Excel file")
        NUMBERS = "numbers", _("Typed numbers or addresses")
        SAVED_FILTER = "filter", _("Saved filter")
        RESEND = "resend", _("Failed recipients of another send")

    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    template = models.ForeignKey(
        Template, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("template")
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    is_html = models.BooleanField(_("HTML"), default=False)
    sms_line = models.ForeignKey(SmsLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("recipients from"), max_length=12, choices=Source.choices)
    # categories: {"ids": [..]}; group: {"id": n}; filter: {"list_key", "query"} or
    # {"saved_filter": n}; numbers: {"lines": [...]}; excel: {"rows": [...]};
    # resend: {"send": n, "statuses": ["failed", …]}
    source_params = models.JSONField(default=dict, blank=True)
    target_group = models.ForeignKey(
        TargetGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("target group")
    )
    resend_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends")
    campaign_id = models.BigIntegerField(_("campaign"), null=True, blank=True)  # the pipeline module comes later
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    start_at = models.DateTimeField(_("start at"), null=True, blank=True)
    rate_per_minute = models.PositiveIntegerField(_("messages per minute"), default=6000)
    chunk_size = models.PositiveIntegerField(_("chunk size"), default=500)
    track_opens = models.BooleanField(_("track opens"), default=True)
    track_clicks = models.BooleanField(_("track clicks"), default=True)
    links = models.JSONField(default=list, blank=True)  # click-tracked URLs, by index
    total = models.PositiveIntegerField(_("recipients"), default=0)
    # {"optout": n, "blacklist": n, "no_address": n, "duplicate": n}
    skipped = models.JSONField(default=dict, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("bulk send")
        verbose_name_plural = _("bulk sends")
        permissions = [("view_all_bulksend", _("Can view all bulk sends"))]

    def __str__(self) -> str:
        return self.name


# --- messages -----------------------------------------------------------------------------


class Message(models.Model):
    """One email, SMS or fax, sent or received. Outgoing ones are sent through the core
    outbox row `outbox_id` (dedupe key = this row's `dedupe_key`)."""

    class Direction(models.TextChoices):
        OUT = "out", _("Sent")
        IN = "in", _("Received")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        SUPPRESSED = "suppressed", _("Not sent (opted out / blacklisted)")
        RECEIVED = "received", _("Received")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, default=Direction.OUT)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    identity_id = models.BigIntegerField(null=True, blank=True)
    user = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("user")
    )
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    sms_line = models.ForeignKey(SmsLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    fax_line = models.ForeignKey(FaxLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    bulk_send = models.ForeignKey(BulkSend, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    template = models.ForeignKey(Template, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    to_address = models.CharField(_("to"), max_length=320)
    cc = models.TextField(_("cc"), blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    html = models.TextField(blank=True)  # sanitised HTML (email)
    parts = models.PositiveSmallIntegerField(_("SMS parts"), default=1)
    # email threading: Message-ID / In-Reply-To headers, thread = first message-id seen
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=300, blank=True)
    thread_key = models.CharField(max_length=300, blank=True, db_index=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    outbox_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    provider_ref = models.CharField(max_length=200, blank=True, db_index=True)
    error = models.TextField(blank=True)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # tracking links, unsubscribe
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("clicked at"), null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)  # an inbound message seen by its owner

    class Meta:
        ordering = ["-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        permissions = [("view_all_message", _("Can view everyone's messages"))]
        indexes = [
            models.Index(fields=["user", "direction", "channel", "-id"], name="message_user_box_idx"),
            models.Index(fields=["mailbox", "direction", "-id"], name="message_mailbox_idx"),
            models.Index(fields=["bulk_send", "status"], name="message_bulk_status_idx"),
            models.Index(fields=["identity_id", "-id"], name="message_identity_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or self.to_address


class MessageEvent(models.Model):
    """What happened to a message after it left: delivery reports, opens, clicks,
    unsubscribes. `dedupe_key` makes the same report delivered twice one event."""

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted by the gateway")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        OPENED = "opened", _("Opened")
        CLICKED = "clicked", _("Clicked")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Bounced")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=14, choices=Kind.choices)
    at = models.DateTimeField(_("time"), auto_now_add=True)
    data = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["message", "kind"], name="message_event_kind_idx")]

    # --- occasions (CM-7) ---------------------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"


class Occasion(TimeStampedModel, OwnedModel):
    """A yearly message: everyone's birthday (on its date in each identity's calendar),
    a fixed Jalali or Gregorian date (Nowruz, Yalda, New Year), or an identity's special
    dates. Sent once per occasion per identity per year (the message's dedupe key)."""

    class Kind(models.TextChoices):
        BIRTHDAY = "birthday", _("Birthday")
        FIXED_DATE = "date", _("Fixed date")
        SPECIAL_DATE = "special", _("Identity's special date")

    class Calendar(models.TextChoices):
        JALALI = "jalali", _("Jalali")
        GREGORIAN = "gregorian", _("Gregorian")
        IDENTITY = "identity", _("The identity's own calendar")

    name = models.CharField(_("name"), max_length=150)
    # a built-in kind, or the key of an occasion source another context registered ("cheque_due")
    kind = models.CharField(_("kind"), max_length=40)
    calendar = models.CharField(_("calendar"), max_length=10, choices=Calendar.choices, default=Calendar.IDENTITY)
    month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    day = models.PositiveSmallIntegerField(_("day"), null=True, blank=True)
    special_label = models.CharField(_("special date label"), max_length=80, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.SMS)
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="+", verbose_name=_("template"))
    sms_line = models.ForeignKey(SmsLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category_ids = models.JSONField(_("only these categories"), default=list, blank=True)
    send_hour = models.PositiveSmallIntegerField(_("send at hour"), default=9)
    active = models.BooleanField(_("active"), default=True)
    last_run_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("occasion")
        verbose_name_plural = _("occasions")

    def __str__(self) -> str:
        return self.name


# --- inbound: surveys and routing rules (CM-8, CM-9) -------------------------------------


class Survey(TimeStampedModel, OwnedModel):
    """A keyword survey or contest over SMS: `keyword` (optional) then an option code."""

    name = models.CharField(_("name"), max_length=150)
    keyword = models.CharField(_("keyword"), max_length=40, blank=True)
    sms_line = models.ForeignKey(SmsLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    one_answer_per_number = models.BooleanField(_("one answer per number"), default=True)
    reply_text = models.CharField(_("reply"), max_length=300, blank=True)
    correct_code = models.CharField(_("correct answer (contest)"), max_length=20, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("SMS survey")
        verbose_name_plural = _("SMS surveys")

    def __str__(self) -> str:
        return self.name


class SurveyOption(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="options")
    code = models.CharField(_("code"), max_length=20)
    label = models.CharField(_("label"), max_length=150)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["survey", "code"], name="survey_option_unique")]

    def __str__(self) -> str:
        return f"{self.code}: {self.label}"


class SurveyAnswer(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    option = models.ForeignKey(SurveyOption, null=True, blank=True, on_delete=models.SET_NULL, related_name="answers")
    number = models.CharField(_("number"), max_length=32)
    identity_id = models.BigIntegerField(null=True, blank=True)
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="survey_answer")
    text = models.CharField(_("answer"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["survey", "number"], name="survey_answer_number_idx")]

    def __str__(self) -> str:
        return f"{self.number}: {self.text}"


class RoutingRule(TimeStampedModel, OwnedModel):
    """Turn matching inbound email/SMS into a record of a chosen type (a task or a note
    now; tickets and forms register their own targets later)."""

    name = models.CharField(_("name"), max_length=150)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # matching: any of these empty means "any"
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    sms_line = models.ForeignKey(SmsLine, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    keyword = models.CharField(_("text contains"), max_length=100, blank=True)
    target = models.CharField(_("create"), max_length=40)  # a key in the routing target registry
    params = models.JSONField(default=dict, blank=True)  # e.g. {"assignee": user id}
    priority = models.PositiveSmallIntegerField(_("order"), default=10)
    stop = models.BooleanField(_("stop after this rule"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name
