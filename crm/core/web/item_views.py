"""The shared item panel (AC-6, AC-7, AC-8): comments with mentions, the user's own
follow-ups and attached files of any registered CRM item.

Every action is a POST that re-renders its panel section for htmx (`hx-target` the
section, `hx-swap="outerHTML"`) and, without JavaScript, redirects back to `next`.
The item's visibility is checked first (unknown or hidden items are a 404 for every
action); writes go through `crm.core.items.services`, which check again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from crm.core.errors import ApplicationError
from crm.core.i18n.forms import UserDateTimeField
from crm.core.items import services
from crm.core.items.errors import ItemErrorCode
from crm.core.items.files import max_upload_bytes
from crm.core.items.models import Attachment, Comment, FollowUp
from crm.core.items.registry import mention_suggest as mention_suggestions
from crm.core.items.selectors import (
    attachment_version_for_user,
    attachments_for_item,
    comments_for_item,
    followups_for_item,
)
from crm.core.items.selectors import (
    item_panel as item_panel_data,
)
from crm.core.timeline.registry import item_url, item_visible
from crm.core.web.errors import error_to_form

SECTIONS = ("comments", "followups", "files")


# ---- forms -------------------------------------------------------------------------------


class CommentForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Comment"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs.update(
            {
                "data-mention-url": reverse("mention_suggest"),
                "placeholder": _("Write a comment… (@ to mention)"),
                "dir": "auto",
            }
        )


class FollowUpForm(forms.Form):
    due_at = UserDateTimeField(label=gettext_lazy("Follow up at"))
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)
    remind = forms.BooleanField(label=gettext_lazy("Remind me (pop-up)"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due_at"].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["note"].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["remind"].widget.attrs["class"] = "form-check-input"


class RescheduleForm(forms.Form):
    due_at = UserDateTimeField(label=gettext_lazy("New time"))
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-sm"


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))
    name = forms.CharField(label=gettext_lazy("Title (optional)"), max_length=255, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["class"] = "form-control form-control-sm"
        self.fields["name"].widget.attrs["class"] = "form-control form-control-sm"


class VersionForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("New version"))


# ---- the panel's context -----------------------------------------------------------------


def panel_dom_id(item_type: str, item_id: Any) -> str:
    return f"item-panel-{slugify(item_type)}-{slugify(str(item_id))}"


def is_htmx(request: HttpRequest) -> bool:
    """Set by django_htmx's middleware."""
    return bool(getattr(request, "htmx", False))


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def panel_context(
    request: HttpRequest,
    item_type: str,
    item_id: Any,
    *,
    next_url: str | None = None,
    tab: str = "",
    **overrides: Any,
) -> dict[str, Any] | None:
    """What `core/items/panel.html` (and each of its sections) needs, or None when the
    user may not see the item."""
    user = request.user
    data = item_panel_data(user=user, item_type=item_type, item_id=item_id) if user.is_authenticated else None
    if data is None:
        return None
    dom_id = panel_dom_id(item_type, item_id)
    all_comments = _flatten(data["comments"])
    open_followups = [f for f in data["followups"] if f.done_at is None]
    tab = tab if tab in SECTIONS else (request.GET.get("item_tab") or "")
    tab = tab if tab in SECTIONS else "comments"
    context = {
        "panel": data,
        "panel_id": dom_id,
        "panel_tab": tab,
        "next": next_url or item_url(item_type, item_id) or "/",
        "counts": {
            "comments": len(all_comments),
            "followups": len(open_followups),
            "files": len(data["attachments"]),
        },
        "comment_form": CommentForm(auto_id=f"{dom_id}-c-%s"),
        "followup_form": FollowUpForm(auto_id=f"{dom_id}-f-%s"),
        "upload_form": UploadForm(auto_id=f"{dom_id}-u-%s"),
        "max_upload": max_upload_bytes(),
        "now": timezone.now(),
        "request": request,
        "user": user,
    }
    context.update(overrides)
    return context


def _flatten(comments: list[Comment]) -> list[Comment]:
    out: list[Comment] = []
    for comment in comments:
        out.append(comment)
        out.extend(_flatten(getattr(comment, "thread", [])))
    return out


def _require_visible(request: HttpRequest, item_type: str, item_id: str) -> None:
    """Deny by default: an item the user may not see (or an unknown type) does not exist."""
    if not item_visible(request.user, item_type, item_id):
        raise Http404


def _section_response(
    request: HttpRequest, item_type: str, item_id: str, section: str, *, ok: str = "", **overrides: Any
) -> HttpResponse:
    """htmx: the re-rendered section (+ the tab counters, out of band). Without htmx:
    back to the page the panel is on, with the message."""
    next_url = safe_next(request, item_url(item_type, item_id) or "/")
    if not is_htmx(request):
        if ok:
            messages.success(request, ok)
        form = next((v for v in overrides.values() if isinstance(v, forms.Form) and v.errors), None)
        if form is not None:
            for errors in form.errors.values():
                messages.error(request, " ".join(str(e) for e in errors))
        return redirect(f"{next_url.split('#')[0]}#{panel_dom_id(item_type, item_id)}")
    context = panel_context(request, item_type, item_id, next_url=next_url, tab=section, **overrides)
    if context is None:  # the action made the item invisible (cannot happen today)
        raise Http404
    context["oob"] = True
    return render(request, f"core/items/panel.html#{section}", context)


def _comment_or_404(item_type: str, item_id: str, pk: int) -> Comment:
    for comment in _flatten(comments_for_item(item_type=item_type, item_id=item_id)):
        if comment.pk == pk:
            return comment
    raise Http404


def _followup_or_404(request: HttpRequest, item_type: str, item_id: str, pk: int) -> FollowUp:
    followup = followups_for_item(user=request.user, item_type=item_type, item_id=item_id).filter(pk=pk).first()
    if followup is None:  # someone else's follow-up is private: it does not exist for you
        raise Http404
    return followup


def _attachment_or_404(item_type: str, item_id: str, public_id: Any) -> Attachment:
    attachment = attachments_for_item(item_type=item_type, item_id=item_id).filter(public_id=public_id).first()
    if attachment is None:
        raise Http404
    return attachment


# ---- the panel ---------------------------------------------------------------------------


@login_required
@require_GET
def item_panel(request: HttpRequest, item_type: str, item_id: str) -> HttpResponse:
    """The whole panel, or one section (`?section=comments|followups|files`)."""
    _require_visible(request, item_type, item_id)
    next_url = safe_next(request, item_url(item_type, item_id) or "/")
    section = request.GET.get("section", "")
    context = panel_context(request, item_type, item_id, next_url=next_url, tab=section)
    if context is None:
        raise Http404
    template = f"core/items/panel.html#{section}" if section in SECTIONS else "core/items/panel.html"
    return render(request, template, context)


# ---- comments and mentions ---------------------------------------------------------------


@login_required
@require_POST
def item_comment_add(request: HttpRequest, item_type: str, item_id: str) -> HttpResponse:
    _require_visible(request, item_type, item_id)
    dom_id = panel_dom_id(item_type, item_id)
    form = CommentForm(request.POST, auto_id=f"{dom_id}-c-%s")
    parent = None
    if form.is_valid():
        if form.cleaned_data.get("parent"):
            parent = _comment_or_404(item_type, item_id, form.cleaned_data["parent"])
        try:
            services.comment_add(
                actor=request.user, item_type=item_type, item_id=item_id, body=form.cleaned_data["body"], parent=parent
            )
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            return _section_response(request, item_type, item_id, "comments", ok=_("Comment added."))
    if parent is not None or request.POST.get("parent"):
        # a failed reply shows its error under the thread, not in the main form
        return _section_response(request, item_type, item_id, "comments", reply_form=form)
    return _section_response(request, item_type, item_id, "comments", comment_form=form)


@login_required
@require_POST
def item_comment_edit(request: HttpRequest, item_type: str, item_id: str, pk: int) -> HttpResponse:
    _require_visible(request, item_type, item_id)
    comment = _comment_or_404(item_type, item_id, pk)
    form = CommentForm(request.POST, auto_id=f"comment-{pk}-edit-%s")
    if form.is_valid():
        try:
            services.comment_edit(actor=request.user, comment=comment, body=form.cleaned_data["body"])
        except ApplicationError as exc:
            if exc.code == ItemErrorCode.NOT_AUTHOR:  # no edit form is shown to others
                return _section_error(request, item_type, item_id, "comments", exc)
            error_to_form(form, exc)
        else:
            return _section_response(request, item_type, item_id, "comments", ok=_("Comment changed."))
    return _section_response(request, item_type, item_id, "comments", edit_form=form, edit_pk=pk)


@login_required
@require_POST
def item_comment_delete(request: HttpRequest, item_type: str, item_id: str, pk: int) -> HttpResponse:
    _require_visible(request, item_type, item_id)
    comment = _comment_or_404(item_type, item_id, pk)
    try:
        services.comment_delete(actor=request.user, comment=comment)
    except ApplicationError as exc:
        return _section_error(request, item_type, item_id, "comments", exc)
    return _section_response(request, item_type, item_id, "comments", ok=_("Comment deleted."))


def _section_error(
    request: HttpRequest, item_type: str, item_id: str, section: str, exc: ApplicationError
) -> HttpResponse:
    if not is_htmx(request):
        messages.error(request, exc.message)
        return _section_response(request, item_type, item_id, section)
    return _section_response(request, item_type, item_id, section, section_error=exc.message)


@login_required
@require_GET
def mention_suggest(request: HttpRequest) -> HttpResponse:
    """People and departments for the @mention picker: JSON for the picker module, an HTML
    list for htmx."""
    prefix = request.GET.get("q", "").strip().lstrip("@")[:60]
    rows = [{"token": t, "label": str(label), "kind": kind} for t, label, kind in mention_suggestions(prefix, 8)]
    if is_htmx(request):
        return render(request, "core/items/mention_suggest.html", {"rows": rows, "q": prefix})
    return JsonResponse({"results": rows})


# ---- follow-ups (personal) ---------------------------------------------------------------


@login_required
@require_POST
def item_followup_add(request: HttpRequest, item_type: str, item_id: str) -> HttpResponse:
    _require_visible(request, item_type, item_id)
    form = FollowUpForm(request.POST, auto_id=f"{panel_dom_id(item_type, item_id)}-f-%s")
    if form.is_valid():
        try:
            services.followup_set(
                actor=request.user,
                item_type=item_type,
                item_id=item_id,
                due_at=form.cleaned_data["due_at"],
                note=form.cleaned_data["note"],
                remind=form.cleaned_data["remind"],
            )
        except ApplicationError as exc:
            form.add_error("due_at" if exc.code == ItemErrorCode.DUE_IN_PAST else None, exc.message)
        else:
            return _section_response(request, item_type, item_id, "followups", ok=_("Follow-up set."))
    return _section_response(request, item_type, item_id, "followups", followup_form=form)


@login_required
@require_POST
def item_followup_done(request: HttpRequest, item_type: str, item_id: str, pk: int) -> HttpResponse:
    _require_visible(request, item_type, item_id)
    followup = _followup_or_404(request, item_type, item_id, pk)
    done = request.POST.get("done", "1") != "0"
    try:
        services.followup_done(actor=request.user, followup=followup, done=done)
    except ApplicationError as exc:
        return _section_error(request, item_type, item_id, "followups", exc)
    return _section_response(
        request, item_type, item_id, "followups", ok=_("Marked done.") if done else _("Opened again.")
    )


@login_required
@require_POST
def item_followup_reschedule(request: HttpRequest, item_type: str, item_id: str, pk: int) -> HttpResponse:
    _require_visible(request, item_type, item_id)
    followup = _followup_or_404(request, item_type, item_id, pk)
    form = RescheduleForm(request.POST, auto_id=f"followup-{pk}-%s")
    if form.is_valid():
        try:
            services.followup_reschedule(
                actor=request.user,
                followup=followup,
                due_at=form.cleaned_data["due_at"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            form.add_error("due_at", exc.message)
        else:
            return _section_response(request, item_type, item_id, "followups", ok=_("Follow-up moved."))
    return _section_response(request, item_type, item_id, "followups", reschedule_form=form, reschedule_pk=pk)


@login_required
@require_POST
def item_followup_delete(request: HttpRequest, item_type: str, item_id: str, pk: int) -> HttpResponse:
    _require_visible(request, item_type, item_id)
    followup = _followup_or_404(request, item_type, item_id, pk)
    try:
        services.followup_delete(actor=request.user, followup=followup)
    except ApplicationError as exc:
        return _section_error(request, item_type, item_id, "followups", exc)
    return _section_response(request, item_type, item_id, "followups", ok=_("Follow-up deleted."))


# ---- files with versions -----------------------------------------------------------------


@login_required
@require_POST
def item_attachment_add(request: HttpRequest, item_type: str, item_id: str) -> HttpResponse:
    _require_visible(request, item_type, item_id)
    form = UploadForm(request.POST, request.FILES, auto_id=f"{panel_dom_id(item_type, item_id)}-u-%s")
    if form.is_valid():
        try:
            services.attachment_add(
                actor=request.user,
                item_type=item_type,
                item_id=item_id,
                upload=form.cleaned_data["file"],
                name=form.cleaned_data["name"],
            )
        except ApplicationError as exc:
            form.add_error("file", exc.message)
        else:
            return _section_response(request, item_type, item_id, "files", ok=_("File attached."))
    return _section_response(request, item_type, item_id, "files", upload_form=form)


@login_required
@require_POST
def item_attachment_version(request: HttpRequest, item_type: str, item_id: str, public_id: Any) -> HttpResponse:
    _require_visible(request, item_type, item_id)
    attachment = _attachment_or_404(item_type, item_id, public_id)
    form = VersionForm(request.POST, request.FILES, auto_id=f"file-{attachment.pk}-%s")
    if form.is_valid():
        try:
            version = services.attachment_new_version(
                actor=request.user, attachment=attachment, upload=form.cleaned_data["file"]
            )
        except ApplicationError as exc:
            form.add_error("file", exc.message)
        else:
            ok = _("Version %(number)s uploaded.") % {"number": version.number}
            return _section_response(request, item_type, item_id, "files", ok=ok)
    return _section_response(request, item_type, item_id, "files", version_form=form, version_pk=attachment.pk)


@login_required
@require_POST
def item_attachment_delete(request: HttpRequest, item_type: str, item_id: str, public_id: Any) -> HttpResponse:
    _require_visible(request, item_type, item_id)
    attachment = _attachment_or_404(item_type, item_id, public_id)
    try:
        services.attachment_delete(actor=request.user, attachment=attachment)
    except ApplicationError as exc:
        return _section_error(request, item_type, item_id, "files", exc)
    return _section_response(request, item_type, item_id, "files", ok=_("File deleted."))


# Images and PDFs are shown inline (the PDF in a same-origin frame on the panel); the
# file itself may run nothing.
_FILE_CSP = {
    "default-src": ["'none'"],
    "img-src": ["'self'"],
    "style-src": ["'unsafe-inline'"],
    "object-src": ["'self'"],
    "frame-ancestors": ["'self'"],
}


@login_required
@require_GET
@xframe_options_sameorigin
@csp_override(_FILE_CSP)
def item_attachment_download(request: HttpRequest, public_id: Any) -> FileResponse:
    number: int | None = None
    raw = request.GET.get("v", "")
    if raw:
        if not raw.isdigit():
            raise Http404
        number = int(raw)
    version = attachment_version_for_user(user=request.user, public_id=public_id, number=number)
    if version is None:
        raise Http404
    inline = bool(version.previewable)
    response = FileResponse(
        version.file.open("rb"),
        as_attachment=not inline,
        filename=version.original_name,
        content_type=version.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response


urlpatterns = [
    path("items/<str:item_type>/<str:item_id>/panel/", item_panel, name="item_panel"),
    path("items/<str:item_type>/<str:item_id>/comments/", item_comment_add, name="item_comment_add"),
    path("items/<str:item_type>/<str:item_id>/comments/<int:pk>/edit/", item_comment_edit, name="item_comment_edit"),
    path(
        "items/<str:item_type>/<str:item_id>/comments/<int:pk>/delete/",
        item_comment_delete,
        name="item_comment_delete",
    ),
    path("items/<str:item_type>/<str:item_id>/follow-ups/", item_followup_add, name="item_followup_add"),
    path(
        "items/<str:item_type>/<str:item_id>/follow-ups/<int:pk>/done/", item_followup_done, name="item_followup_done"
    ),
    path(
        "items/<str:item_type>/<str:item_id>/follow-ups/<int:pk>/reschedule/",
        item_followup_reschedule,
        name="item_followup_reschedule",
    ),
    path(
        "items/<str:item_type>/<str:item_id>/follow-ups/<int:pk>/delete/",
        item_followup_delete,
        name="item_followup_delete",
    ),
    path("items/<str:item_type>/<str:item_id>/files/", item_attachment_add, name="item_attachment_add"),
    path(
        "items/<str:item_type>/<str:item_id>/files/<uuid:public_id>/version/",
        item_attachment_version,
        name="item_attachment_version",
    ),
    path(
        "items/<str:item_type>/<str:item_id>/files/<uuid:public_id>/delete/",
        item_attachment_delete,
        name="item_attachment_delete",
    ),
    path("files/<uuid:public_id>/", item_attachment_download, name="item_attachment_download"),
    path("mentions/suggest/", mention_suggest, name="mention_suggest"),
]
