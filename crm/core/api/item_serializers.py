"""Serializers of what hangs on any CRM item (comments, follow-ups, attachments), of the
caller's notifications and mentions, of the global CRM history, and small fields every
item API shares (bounded date-times, custom values, user references)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.core.items.models import Attachment, AttachmentVersion, Comment, FollowUp, Mention
from crm.core.notifications.models import Notification

# No CRM item happened or is planned outside these years. Bounds at the edge keep the
# time zone and recurrence arithmetic (a year after the end, a day before the start) away
# from datetime's limits, which would otherwise be a 500.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
MAX_IDS = 100


def has_bad_characters(value: Any) -> bool:
    """NUL and lone surrogates: JSON can carry them, PostgreSQL and UTF-8 cannot."""
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(has_bad_characters(k) or has_bad_characters(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_bad_characters(v) for v in value)
    return False


class BoundedDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time (a bare date means its midnight) between 1900 and 2200."""

    def to_internal_value(self, value: Any) -> dt.datetime:
        parsed = super().to_internal_value(value)
        if parsed.tzinfo is None:  # DRF makes it aware; be sure before comparing
            parsed = timezone.make_aware(parsed)
        if not EARLIEST <= parsed < LATEST:
            raise serializers.ValidationError(_("Enter a time between the years 1900 and 2199."))
        return parsed


class BoundedDateField(serializers.DateField):
    def to_internal_value(self, value: Any) -> dt.date:
        parsed = super().to_internal_value(value)
        if not EARLIEST.date() <= parsed < LATEST.date():
            raise serializers.ValidationError(_("Enter a date between the years 1900 and 2199."))
        return parsed


class CustomValuesField(serializers.DictField):
    """Custom field values by key; the core custom field rules validate them in the service."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "custom field values by key (see /api/v1/custom-fields/)")
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        if has_bad_characters(value):
            raise serializers.ValidationError(_("Text may not contain NUL or unpaired surrogate characters."))
        return value


@extend_schema_field(OpenApiTypes.STR)
class CustomValuesJsonField(serializers.Field):
    """`custom` in a multipart form: a JSON object in one text field."""

    default_error_messages = {"invalid": _("Enter a JSON object of custom field values by key.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", 'custom field values as a JSON object, e.g. {"budget": 10}')
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict):
            value = data
        else:
            try:
                value = json.loads(str(data))
            except (ValueError, RecursionError):
                self.fail("invalid")
        if not isinstance(value, dict) or has_bad_characters(value):
            self.fail("invalid")
        return value

    def to_representation(self, value: Any) -> Any:
        return value


def id_list(help_text: str, **kwargs: Any) -> serializers.ListField:
    """A list of positive ids (in a query: the parameter repeated, `?user=1&user=2`)."""
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        max_length=MAX_IDS,
        help_text=help_text,
        **kwargs,
    )


def text(max_length: int, **kwargs: Any) -> serializers.CharField:
    """Free text that may be left empty."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    return serializers.CharField(max_length=max_length, **kwargs)


class UserBriefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField(source="get_full_name")


def hide_fields(data: dict[str, Any], hidden: set[str], keep: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    """Leave out what a field access rule hides from the user (`custom.<key>` by key)."""
    for name in hidden:
        if name.startswith("custom."):
            (data.get("custom") or {}).pop(name.removeprefix("custom."), None)
        elif name not in keep:
            data.pop(name, None)
    return data


# --- comments ----------------------------------------------------------------------------


class CommentReplyOutput(serializers.ModelSerializer):
    author = UserBriefOutput(allow_null=True)

    class Meta:
        model = Comment
        fields = ["id", "parent", "author", "body", "created_at", "edited_at"]


class CommentOutput(CommentReplyOutput):
    replies = serializers.SerializerMethodField(help_text="the thread under this comment, oldest first")

    class Meta(CommentReplyOutput.Meta):
        fields = [*CommentReplyOutput.Meta.fields, "replies"]

    @extend_schema_field(CommentReplyOutput(many=True))
    def get_replies(self, obj: Comment) -> list[dict[str, Any]]:
        return CommentReplyOutput(getattr(obj, "thread", []), many=True).data


class CommentInput(serializers.Serializer):
    body = serializers.CharField(
        max_length=10000, help_text="plain text; @username or @department-code mentions people"
    )
    parent = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None, help_text="the comment this one answers"
    )

    def validate_body(self, value: str) -> str:
        if has_bad_characters(value):
            raise serializers.ValidationError(_("Text may not contain NUL or unpaired surrogate characters."))
        return value


class CommentEditInput(serializers.Serializer):
    body = serializers.CharField(max_length=10000)


# --- follow-ups --------------------------------------------------------------------------


class FollowUpOutput(serializers.ModelSerializer):
    class Meta:
        model = FollowUp
        fields = ["id", "item_type", "item_id", "due_at", "note", "remind", "done_at", "reminded_at", "created_at"]


class FollowUpInput(serializers.Serializer):
    due_at = BoundedDateTimeField(help_text="when to follow up; with a reminder, in the future")
    note = text(500, default="")
    remind = serializers.BooleanField(required=False, default=True, help_text="pop up (and email) at the due time")


class FollowUpUpdateInput(serializers.Serializer):
    due_at = BoundedDateTimeField()
    note = text(500, allow_null=True, default=None, help_text="left out: the note stays")


class FollowUpDoneInput(serializers.Serializer):
    done = serializers.BooleanField(required=False, default=True, help_text="false opens it again")


class FollowUpQuery(serializers.Serializer):
    since = BoundedDateTimeField(required=False, allow_null=True, default=None, help_text="due at or after")
    until = BoundedDateTimeField(required=False, allow_null=True, default=None, help_text="due before")
    include_done = serializers.BooleanField(required=False, default=False)


# --- attachments -------------------------------------------------------------------------


def download_urls(context: dict[str, Any], public_id: Any, number: int | None = None) -> dict[str, str | None]:
    """Where to fetch a file: the web address (a page of the core web layer, for a browser
    session; None while that page is not installed) and the API one (token or session).
    Absolute when the request is known; `v` names a version, else the newest."""
    request = context.get("request")
    query = f"?v={number}" if number is not None else ""
    urls: dict[str, str | None] = {}
    for key, name in (("download_url", "item_attachment_download"), ("api_download_url", "api_attachment_download")):
        try:
            url = reverse(name, args=[public_id]) + query
        except NoReverseMatch:
            urls[key] = None
            continue
        urls[key] = request.build_absolute_uri(url) if request is not None else url
    return urls


class DownloadUrlsMixin(serializers.Serializer):
    download_url = serializers.SerializerMethodField(help_text="for a browser signed in to the CRM")
    api_download_url = serializers.SerializerMethodField(help_text="for API clients (token)")

    def _urls(self, obj: Any) -> dict[str, str | None]:
        raise NotImplementedError

    def get_download_url(self, obj: Any) -> str | None:
        return self._urls(obj)["download_url"]

    def get_api_download_url(self, obj: Any) -> str | None:
        return self._urls(obj)["api_download_url"]


class AttachmentVersionOutput(DownloadUrlsMixin, serializers.ModelSerializer):
    class Meta:
        model = AttachmentVersion
        fields = [
            "number",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "created_at",
            "download_url",
            "api_download_url",
        ]

    def _urls(self, obj: AttachmentVersion) -> dict[str, str | None]:
        return download_urls(self.context, obj.attachment.public_id, obj.number)


class AttachmentOutput(DownloadUrlsMixin, serializers.ModelSerializer):
    """The download addresses here give the newest version; each version has its own."""

    created_by = UserBriefOutput(allow_null=True)
    versions = serializers.SerializerMethodField(help_text="newest first")

    class Meta:
        model = Attachment
        fields = [
            "public_id",
            "item_type",
            "item_id",
            "name",
            "created_by",
            "created_at",
            "versions",
            "download_url",
            "api_download_url",
        ]

    def _urls(self, obj: Attachment) -> dict[str, str | None]:
        return download_urls(self.context, obj.public_id)

    @extend_schema_field(AttachmentVersionOutput(many=True))
    def get_versions(self, obj: Attachment) -> list[dict[str, Any]]:
        versions = sorted(obj.versions.all(), key=lambda v: -v.number)
        for version in versions:
            version.attachment = obj  # the URL needs its public id; no query per version
        return AttachmentVersionOutput(versions, many=True, context=self.context).data


class AttachmentInput(serializers.Serializer):
    upload = serializers.FileField(help_text="the file; its first bytes decide its type")
    name = text(255, default="", help_text="shown name; the file name when left out")


class AttachmentVersionInput(serializers.Serializer):
    upload = serializers.FileField(help_text="the new version of the file")


class DownloadQuery(serializers.Serializer):
    v = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, allow_null=True, default=None, help_text="version number"
    )


# --- notifications and mentions --------------------------------------------------------------


class NotificationOutput(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "item_type", "item_id", "created_at", "read_at"]


class NotificationQuery(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False, help_text="true: only unread ones")


class MarkInput(serializers.Serializer):
    ids = id_list("which ones; left out: all of yours", allow_null=True, default=None)


class MarkedOutput(serializers.Serializer):
    marked = serializers.IntegerField(help_text="how many changed")


class MentionCommentOutput(serializers.ModelSerializer):
    author = UserBriefOutput(allow_null=True)

    class Meta:
        model = Comment
        fields = ["id", "item_type", "item_id", "author", "body", "created_at"]


class MentionOutput(serializers.ModelSerializer):
    comment = MentionCommentOutput()

    class Meta:
        model = Mention
        fields = ["id", "via", "seen_at", "comment"]


class MentionQuery(serializers.Serializer):
    unseen = serializers.BooleanField(required=False, default=False, help_text="true: only unseen ones")


# --- CRM history -----------------------------------------------------------------------------


class HistoryQuery(serializers.Serializer):
    type = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=30,
        help_text="item type keys, e.g. activities.call (repeat for several)",
    )
    user = id_list("who did it (user ids; repeat for several)")
    identity = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, allow_null=True, default=None, help_text="linked identity"
    )
    since = BoundedDateTimeField(required=False, allow_null=True, default=None, help_text="at or after")
    until = BoundedDateTimeField(required=False, allow_null=True, default=None, help_text="before")
    before = serializers.RegexField(
        r"^[0-9]{1,17}\.[0-9]{1,18}$",
        required=False,
        allow_blank=True,
        default="",
        help_text="cursor: the `next` link carries it",
    )
    page_size = serializers.IntegerField(min_value=1, max_value=100, required=False, default=25)


class HistoryItemOutput(serializers.Serializer):
    item_type = serializers.CharField()
    type_label = serializers.CharField()
    item_id = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    summary = serializers.CharField()
    actor = UserBriefOutput(allow_null=True)
    url = serializers.CharField(allow_null=True, help_text="the item's page")


class HistoryPageOutput(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="the following page (cursor), or null at the end")
    results = HistoryItemOutput(many=True)


# --- ids that must name rows the caller may use ------------------------------------------


def row_pk(model: Any, **kwargs: Any) -> serializers.PrimaryKeyRelatedField:
    """One row of `model` by id (the queryset of rows the caller may use is set per
    request); a huge or negative id is a plain 400, never a database error."""
    kwargs.setdefault("queryset", model._default_manager.none())
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_null", True)
    return serializers.PrimaryKeyRelatedField(
        pk_field=serializers.IntegerField(min_value=1, max_value=2**63 - 1), **kwargs
    )


class IdsField(serializers.ListField):
    """A list of ids that must all name rows of `queryset` (set per request, e.g. the
    identities the caller may see): hidden and missing rows look alike."""

    def __init__(self, *, help_text: str, max_length: int = MAX_IDS, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(
            child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
            max_length=max_length,
            help_text=help_text,
            **kwargs,
        )
        self.queryset: Any = None

    def to_internal_value(self, data: Any) -> list[int]:
        ids = list(dict.fromkeys(super().to_internal_value(data)))
        if ids and self.queryset is not None:
            found = set(self.queryset.filter(pk__in=ids).values_list("pk", flat=True))
            missing = [str(pk) for pk in ids if pk not in found]
            if missing:
                raise serializers.ValidationError(_("Unknown ids: %(ids)s.") % {"ids": ", ".join(missing)})
        return ids
