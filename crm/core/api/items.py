"""REST endpoints for what hangs on any CRM item, and for the caller's own feeds.

- `/items/<item_type>/<item_id>/comments|followups|attachments/`: the item is named by its
  registered type key (`activities.call`, `identities.identity`, …) and id, and checked
  with the type's own access rules (`item_visible`): an item the caller may not see is a
  404 on every path, and so is an unknown type.
- `/followups/`, `/notifications/`, `/mentions/`: the caller's own rows only.
- `/history/`: the global CRM history (AC-9), paged by cursor (`before`), each row checked
  against its item type's access rules by the selector.

Reads go through `crm.core.items.selectors` and friends, writes through the services; the
routes are at the bottom (`config/api_urls.py` includes this module).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from crm.core.api import item_serializers as s
from crm.core.api.params import query_params
from crm.core.items import selectors, services
from crm.core.items.models import Attachment, Comment, FollowUp
from crm.core.notifications.selectors import notifications_for
from crm.core.notifications.services import notification_mark_read
from crm.core.timeline.registry import item_types, item_visible
from crm.core.timeline.selectors import crm_history_page

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ITEM_PARAMETERS = [
    OpenApiParameter(
        "item_type", str, OpenApiParameter.PATH, description="a registered item type, e.g. activities.call"
    ),
    OpenApiParameter("item_id", str, OpenApiParameter.PATH, description="the item's id"),
]


def item_exists_for(user: Any, item_type: str, item_id: str) -> bool:
    return item_visible(user, item_type, item_id)


class JsonApi(GenericAPIView):
    """JSON out only: DRF's browsable renderer asks views for a `queryset` (these read
    through selectors instead) and would fail on a browser's `Accept: text/html`."""

    filter_backends = ()
    renderer_classes = [JSONRenderer]


class ItemApi(JsonApi):
    """The item of the URL, if the caller may see it; else a 404 (unknown types too)."""

    def item(self) -> tuple[str, str]:
        item_type, item_id = self.kwargs["item_type"], self.kwargs["item_id"]
        if not item_exists_for(self.request.user, item_type, item_id):
            raise Http404
        return item_type, item_id


# --- comments ------------------------------------------------------------------------------


def _thread_rows(item_type: str, item_id: str) -> tuple[list[Comment], dict[int, Comment]]:
    top = selectors.comments_for_item(item_type=item_type, item_id=item_id)
    every = {c.pk: c for c in top}
    every.update({r.pk: r for c in top for r in c.thread})  # type: ignore[attr-defined]
    return top, every


@extend_schema_view(
    get=extend_schema(
        operation_id="items_comments_list",
        parameters=ITEM_PARAMETERS,
        description="Top-level comments, oldest first, each with its replies.",
    ),
    post=extend_schema(
        operation_id="items_comments_create",
        parameters=ITEM_PARAMETERS,
        request=s.CommentInput,
        responses={201: s.CommentOutput},
        description="Comment, or answer a comment (`parent`). Mentioned users (@username, "
        "@department-code) who may see the item are notified.",
    ),
)
class ItemCommentListApi(mixins.ListModelMixin, ItemApi):
    serializer_class = s.CommentOutput

    def get(self, request: Request, item_type: str, item_id: str) -> Response:
        top, _every = _thread_rows(*self.item())
        page = self.paginate_queryset(top)
        return self.get_paginated_response(s.CommentOutput(page, many=True).data)

    def post(self, request: Request, item_type: str, item_id: str) -> Response:
        item_type, item_id = self.item()
        data = s.CommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        parent = None
        if data.validated_data["parent"] is not None:
            parent = _thread_rows(item_type, item_id)[1].get(data.validated_data["parent"])
            if parent is None:
                raise ValidationError({"parent": [_("No such comment on this item.")]})
        comment = services.comment_add(
            actor=request.user, item_type=item_type, item_id=item_id, body=data.validated_data["body"], parent=parent
        )
        comment.thread = []  # type: ignore[attr-defined]
        return Response(s.CommentOutput(comment).data, status=status.HTTP_201_CREATED)


class ItemCommentDetailApi(ItemApi):
    serializer_class = s.CommentReplyOutput

    def get_object(self) -> Comment:
        comment = _thread_rows(*self.item())[1].get(self.kwargs["pk"])
        if comment is None:
            raise Http404
        return comment

    @extend_schema(
        operation_id="items_comments_partial_update",
        parameters=ITEM_PARAMETERS,
        request=s.CommentEditInput,
        responses=s.CommentReplyOutput,
        description="Only the author may change a comment.",
    )
    def patch(self, request: Request, item_type: str, item_id: str, pk: int) -> Response:
        comment = self.get_object()
        data = s.CommentEditInput(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_edit(actor=request.user, comment=comment, body=data.validated_data["body"])
        return Response(s.CommentReplyOutput(comment).data)

    @extend_schema(operation_id="items_comments_destroy", parameters=ITEM_PARAMETERS, responses={204: None})
    def delete(self, request: Request, item_type: str, item_id: str, pk: int) -> Response:
        services.comment_delete(actor=request.user, comment=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- follow-ups ----------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        operation_id="items_followups_list",
        parameters=ITEM_PARAMETERS,
        description="Your own follow-ups on this item (nobody else sees them).",
    ),
    post=extend_schema(
        operation_id="items_followups_create",
        parameters=ITEM_PARAMETERS,
        request=s.FollowUpInput,
        responses={201: s.FollowUpOutput},
        description="Set a personal follow-up; with `remind`, a pop-up (and email, if you chose it) at the due time.",
    ),
)
class ItemFollowUpListApi(mixins.ListModelMixin, ItemApi):
    serializer_class = s.FollowUpOutput

    def get(self, request: Request, item_type: str, item_id: str) -> Response:
        item_type, item_id = self.item()
        rows = selectors.followups_for_item(user=request.user, item_type=item_type, item_id=item_id)
        page = self.paginate_queryset(rows.order_by("due_at", "id"))
        return self.get_paginated_response(s.FollowUpOutput(page, many=True).data)

    def post(self, request: Request, item_type: str, item_id: str) -> Response:
        item_type, item_id = self.item()
        data = s.FollowUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        followup = services.followup_set(
            actor=request.user, item_type=item_type, item_id=item_id, **data.validated_data
        )
        return Response(s.FollowUpOutput(followup).data, status=status.HTTP_201_CREATED)


class FollowUpObjectMixin(ItemApi):
    def get_object(self) -> FollowUp:
        item_type, item_id = self.item()
        rows = selectors.followups_for_item(user=self.request.user, item_type=item_type, item_id=item_id)
        followup = rows.filter(pk=self.kwargs["pk"]).first()
        if followup is None:
            raise Http404
        return followup


class ItemFollowUpDetailApi(FollowUpObjectMixin):
    serializer_class = s.FollowUpOutput

    @extend_schema(operation_id="items_followups_retrieve", parameters=ITEM_PARAMETERS)
    def get(self, request: Request, item_type: str, item_id: str, pk: int) -> Response:
        return Response(s.FollowUpOutput(self.get_object()).data)

    @extend_schema(
        operation_id="items_followups_partial_update",
        parameters=ITEM_PARAMETERS,
        request=s.FollowUpUpdateInput,
        responses=s.FollowUpOutput,
        description="Move the follow-up to another time (and change its note).",
    )
    def patch(self, request: Request, item_type: str, item_id: str, pk: int) -> Response:
        followup = self.get_object()
        data = s.FollowUpUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        followup = services.followup_reschedule(actor=request.user, followup=followup, **data.validated_data)
        return Response(s.FollowUpOutput(followup).data)

    @extend_schema(operation_id="items_followups_destroy", parameters=ITEM_PARAMETERS, responses={204: None})
    def delete(self, request: Request, item_type: str, item_id: str, pk: int) -> Response:
        services.followup_delete(actor=request.user, followup=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ItemFollowUpDoneApi(FollowUpObjectMixin):
    serializer_class = s.FollowUpOutput

    @extend_schema(
        operation_id="items_followups_done",
        parameters=ITEM_PARAMETERS,
        request=s.FollowUpDoneInput,
        responses=s.FollowUpOutput,
        description="Mark the follow-up done (its reminder is cancelled), or open it again.",
    )
    def post(self, request: Request, item_type: str, item_id: str, pk: int) -> Response:
        followup = self.get_object()
        data = s.FollowUpDoneInput(data=request.data)
        data.is_valid(raise_exception=True)
        followup = services.followup_done(actor=request.user, followup=followup, done=data.validated_data["done"])
        return Response(s.FollowUpOutput(followup).data)


@extend_schema_view(
    get=extend_schema(
        operation_id="followups_list",
        parameters=[s.FollowUpQuery],
        description="Your follow-ups on every item, by due time (the follow-up widget).",
    )
)
class FollowUpListApi(mixins.ListModelMixin, JsonApi):
    serializer_class = s.FollowUpOutput

    def get(self, request: Request) -> Response:
        params = query_params(s.FollowUpQuery, request)
        page = self.paginate_queryset(selectors.followups_for_user(user=request.user, **params))
        return self.get_paginated_response(s.FollowUpOutput(page, many=True).data)


# --- attachments ---------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        operation_id="items_attachments_list",
        parameters=ITEM_PARAMETERS,
        description="Files attached to the item, newest first, each with its versions.",
    ),
    post=extend_schema(
        operation_id="items_attachments_create",
        parameters=ITEM_PARAMETERS,
        request={"multipart/form-data": s.AttachmentInput},
        responses={201: s.AttachmentOutput},
        description="Attach a file (multipart/form-data). Images and PDFs must really be "
        "images and PDFs; other types are accepted by extension; the size is capped.",
    ),
)
class ItemAttachmentListApi(mixins.ListModelMixin, ItemApi):
    serializer_class = s.AttachmentOutput
    parser_classes = [MultiPartParser]  # uploads: the one place besides files/ that takes multipart

    def get(self, request: Request, item_type: str, item_id: str) -> Response:
        item_type, item_id = self.item()
        rows = selectors.attachments_for_item(item_type=item_type, item_id=item_id).order_by("-created_at", "-id")
        page = self.paginate_queryset(rows)
        context = self.get_serializer_context()
        return self.get_paginated_response(s.AttachmentOutput(page, many=True, context=context).data)

    def post(self, request: Request, item_type: str, item_id: str) -> Response:
        item_type, item_id = self.item()
        data = s.AttachmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = services.attachment_add(
            actor=request.user,
            item_type=item_type,
            item_id=item_id,
            upload=data.validated_data["upload"],
            name=data.validated_data["name"].strip(),
        )
        return Response(self.output(item_type, item_id, attachment.public_id), status=status.HTTP_201_CREATED)

    def output(self, item_type: str, item_id: str, public_id: Any) -> dict[str, Any]:
        attachment = _attachment(item_type, item_id, public_id)
        return s.AttachmentOutput(attachment, context=self.get_serializer_context()).data


def _attachment(item_type: str, item_id: str, public_id: Any) -> Attachment:
    attachment = (
        selectors.attachments_for_item(item_type=item_type, item_id=item_id).filter(public_id=public_id).first()
    )
    if attachment is None:
        raise Http404
    return attachment


class ItemAttachmentDetailApi(ItemApi):
    serializer_class = s.AttachmentOutput

    @extend_schema(operation_id="items_attachments_retrieve", parameters=ITEM_PARAMETERS)
    def get(self, request: Request, item_type: str, item_id: str, public_id: Any) -> Response:
        attachment = _attachment(*self.item(), public_id)
        return Response(s.AttachmentOutput(attachment, context=self.get_serializer_context()).data)

    @extend_schema(
        operation_id="items_attachments_destroy",
        parameters=ITEM_PARAMETERS,
        responses={204: None},
        description="Only the one who attached the file may remove it; its versions are kept.",
    )
    def delete(self, request: Request, item_type: str, item_id: str, public_id: Any) -> Response:
        services.attachment_delete(actor=request.user, attachment=_attachment(*self.item(), public_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ItemAttachmentVersionApi(ItemApi):
    serializer_class = s.AttachmentOutput
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="items_attachments_new_version",
        parameters=ITEM_PARAMETERS,
        request={"multipart/form-data": s.AttachmentVersionInput},
        responses={201: s.AttachmentOutput},
        description="Upload a new version of the file (multipart/form-data); older ones stay.",
    )
    def post(self, request: Request, item_type: str, item_id: str, public_id: Any) -> Response:
        item_type, item_id = self.item()
        attachment = _attachment(item_type, item_id, public_id)
        data = s.AttachmentVersionInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.attachment_new_version(actor=request.user, attachment=attachment, upload=data.validated_data["upload"])
        fresh = _attachment(item_type, item_id, public_id)
        return Response(
            s.AttachmentOutput(fresh, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )


class AttachmentDownloadApi(JsonApi):
    serializer_class = s.DownloadQuery

    @extend_schema(
        operation_id="attachments_download",
        parameters=[s.DownloadQuery],
        responses={(200, "*/*"): OpenApiTypes.BINARY},
        description="The file's newest version (or version `v`), if you may see the item it "
        "hangs on; the content type is the one found when it was uploaded.",
    )
    def get(self, request: Request, public_id: Any) -> Any:
        number = query_params(s.DownloadQuery, request)["v"]
        version = selectors.attachment_version_for_user(user=request.user, public_id=public_id, number=number)
        if version is None:
            raise Http404
        return FileResponse(
            version.file.open("rb"),
            as_attachment=True,
            filename=version.original_name,
            content_type=version.content_type,
        )


# --- notifications and mentions --------------------------------------------------------------


@extend_schema_view(get=extend_schema(operation_id="notifications_list", parameters=[s.NotificationQuery]))
class NotificationListApi(mixins.ListModelMixin, JsonApi):
    serializer_class = s.NotificationOutput

    def get(self, request: Request) -> Response:
        unread = query_params(s.NotificationQuery, request)["unread"]
        page = self.paginate_queryset(notifications_for(user=request.user, unread_only=unread).order_by("-id"))
        return self.get_paginated_response(s.NotificationOutput(page, many=True).data)


class NotificationReadApi(JsonApi):
    serializer_class = s.MarkedOutput

    @extend_schema(
        operation_id="notifications_mark_read",
        request=s.MarkInput,
        responses=s.MarkedOutput,
        description="Mark your notifications read: the ones named, or all.",
    )
    def post(self, request: Request) -> Response:
        data = s.MarkInput(data=request.data)
        data.is_valid(raise_exception=True)
        marked = notification_mark_read(user=request.user, ids=data.validated_data["ids"])
        return Response({"marked": marked})


@extend_schema_view(
    get=extend_schema(
        operation_id="mentions_list",
        parameters=[s.MentionQuery],
        description="Comments that mention you, newest first (the mentions widget).",
    )
)
class MentionListApi(mixins.ListModelMixin, JsonApi):
    serializer_class = s.MentionOutput

    def get(self, request: Request) -> Response:
        unseen = query_params(s.MentionQuery, request)["unseen"]
        page = self.paginate_queryset(
            selectors.mentions_for_user(user=request.user, unseen_only=unseen).order_by("-id")
        )
        return self.get_paginated_response(s.MentionOutput(page, many=True).data)


class MentionSeenApi(JsonApi):
    serializer_class = s.MarkedOutput

    @extend_schema(operation_id="mentions_mark_seen", request=s.MarkInput, responses=s.MarkedOutput)
    def post(self, request: Request) -> Response:
        data = s.MarkInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response({"marked": services.mentions_seen(user=request.user, ids=data.validated_data["ids"])})


# --- CRM history ---------------------------------------------------------------------------


def _cursor(at: dt.datetime, pk: int) -> str:
    delta = at - EPOCH
    return f"{(delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds}.{pk}"


def _parse_cursor(raw: str) -> tuple[dt.datetime, int] | None:
    if not raw:
        return None
    micros, _sep, pk = raw.partition(".")
    try:
        return EPOCH + dt.timedelta(microseconds=int(micros)), int(pk)
    except OverflowError:
        raise ValidationError({"before": [_("Not a cursor of this list.")]}) from None


class HistoryApi(JsonApi):
    serializer_class = s.HistoryPageOutput

    @extend_schema(
        operation_id="history_list",
        parameters=[s.HistoryQuery],
        responses=s.HistoryPageOutput,
        description="The CRM history (AC-9): every item you may see, newest first, filtered "
        "by type, user, linked identity and time. Paged by cursor: follow `next`.",
    )
    def get(self, request: Request) -> Response:
        params = query_params(s.HistoryQuery, request)
        known = {t.key for t in item_types(history_only=True)}
        unknown = [key for key in params.get("type", []) if key not in known]
        if unknown:
            raise ValidationError({"type": [_("Unknown item type: %(keys)s.") % {"keys": ", ".join(unknown)}]})
        page = crm_history_page(
            user=request.user,
            item_types=params.get("type") or None,
            actor_ids=params.get("user") or None,
            identity_id=params["identity"],
            since=params["since"],
            until=params["until"],
            before=_parse_cursor(params["before"]),
            per_page=params["page_size"],
        )
        url = request.build_absolute_uri()
        following = page["next"]
        next_url = replace_query_param(url, "before", _cursor(*following)) if following else None
        rows = [
            {
                "item_type": row.item_type,
                "type_label": str(row.type_label),
                "item_id": row.item_id,
                "occurred_at": row.occurred_at,
                "summary": row.summary,
                "actor": row.actor,
                "url": row.url,
            }
            for row in page["rows"]
        ]
        return Response({"next": next_url, "results": s.HistoryItemOutput(rows, many=True).data})


ITEM = "items/<str:item_type>/<str:item_id>"
urlpatterns = [
    path(f"{ITEM}/comments/", ItemCommentListApi.as_view(), name="api_item_comments"),
    path(f"{ITEM}/comments/<int:pk>/", ItemCommentDetailApi.as_view(), name="api_item_comment"),
    path(f"{ITEM}/followups/", ItemFollowUpListApi.as_view(), name="api_item_followups"),
    path(f"{ITEM}/followups/<int:pk>/", ItemFollowUpDetailApi.as_view(), name="api_item_followup"),
    path(f"{ITEM}/followups/<int:pk>/done/", ItemFollowUpDoneApi.as_view(), name="api_item_followup_done"),
    path(f"{ITEM}/attachments/", ItemAttachmentListApi.as_view(), name="api_item_attachments"),
    path(f"{ITEM}/attachments/<uuid:public_id>/", ItemAttachmentDetailApi.as_view(), name="api_item_attachment"),
    path(
        f"{ITEM}/attachments/<uuid:public_id>/versions/",
        ItemAttachmentVersionApi.as_view(),
        name="api_item_attachment_versions",
    ),
    path("attachments/<uuid:public_id>/download/", AttachmentDownloadApi.as_view(), name="api_attachment_download"),
    path("followups/", FollowUpListApi.as_view(), name="api_followups"),
    path("notifications/", NotificationListApi.as_view(), name="api_notifications"),
    path("notifications/read/", NotificationReadApi.as_view(), name="api_notifications_read"),
    path("mentions/", MentionListApi.as_view(), name="api_mentions"),
    path("mentions/seen/", MentionSeenApi.as_view(), name="api_mentions_seen"),
    path("history/", HistoryApi.as_view(), name="api_history"),
]
