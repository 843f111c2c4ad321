"""Bulk sends, their reports, target groups and newsletters (CM-6).

Reads go through `crm.messaging.bulk_selectors` (404 for sends and groups the user may not
see), writes through `crm.messaging.bulk` / `crm.messaging.targets`."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.errors import ApplicationError
from crm.core.i18n.digits import localize_digits
from crm.core.i18n.forms import UserDateTimeField
from crm.core.lists.models import SavedFilter
from crm.core.lists.services import clean_query
from crm.core.web.admin_forms import BootstrapMixin
from crm.core.web.errors import error_to_form, error_to_message
from crm.core.web.paging import paginate
from crm.messaging import bulk, bulk_selectors, targets
from crm.messaging.access import mailboxes_for_user, sms_lines_for_user
from crm.messaging.models import BulkSend, Channel, Message, Template

STATUS_COLOURS = {
    "delivered": "#198754",
    "sent": "#0dcaf0",
    "queued": "#adb5bd",
    "sending": "#6c757d",
    "failed": "#dc3545",
    "suppressed": "#fd7e14",
    "cancelled": "#6f42c1",
}
SEND_BADGES = {
    "draft": "secondary",
    "scheduled": "info",
    "queueing": "warning",
    "running": "primary",
    "paused": "warning",
    "done": "success",
    "cancelled": "dark",
}
LIVE = (BulkSend.Status.SCHEDULED, BulkSend.Status.QUEUEING, BulkSend.Status.RUNNING)
RESEND_CHOICES = [
    ("failed", gettext_lazy("Failed")),
    ("sent", gettext_lazy("Sent but not delivered")),
    ("cancelled", gettext_lazy("Cancelled")),
]
GROUP_CHOICES = [
    ("", gettext_lazy("All recipients")),
    ("delivered", gettext_lazy("Delivered")),
    ("failed", gettext_lazy("Failed")),
    ("opened", gettext_lazy("Opened")),
    ("clicked", gettext_lazy("Clicked")),
]


def _require_sender(user: Any) -> None:
    if not (
        user.is_superuser
        or user.has_perm("messaging.add_bulksend")
        or user.has_perm("messaging.view_bulksend")
        or user.has_perm(bulk_selectors.SEE_ALL)
    ):
        raise PermissionDenied


def _send_or_404(request: HttpRequest, pk: int) -> BulkSend:
    send = bulk_selectors.bulk_send_get_for_user(user=request.user, pk=pk)
    if send is None:
        raise Http404
    return send


def _saved_filters(user: Any) -> Any:
    keys = [source.list_key for source in bulk.recipient_sources()]
    from django.db.models import Q

    return SavedFilter.objects.filter(Q(owner=user) | Q(shared=True), list_key__in=keys).order_by("list_key", "name")


# --- the draft form ---------------------------------------------------------------------------


class BulkSendForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), choices=[(Channel.SMS, Channel.SMS.label), (Channel.EMAIL, Channel.EMAIL.label)]
    )
    sms_line = forms.ModelChoiceField(label=gettext_lazy("SMS line"), queryset=None, required=False)
    mailbox = forms.ModelChoiceField(label=gettext_lazy("Mailbox"), queryset=None, required=False)
    template = forms.ModelChoiceField(
        label=gettext_lazy("Template"),
        queryset=None,
        required=False,
        help_text=gettext_lazy("Its text is used when the text below is left empty."),
    )
    subject = forms.CharField(label=gettext_lazy("Subject (email)"), max_length=300, required=False)
    body = forms.CharField(
        label=gettext_lazy("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("Placeholders such as {{ identity.first_name }} are filled for each recipient."),
    )
    is_html = forms.BooleanField(label=gettext_lazy("HTML email (newsletter)"), required=False)
    source = forms.ChoiceField(label=gettext_lazy("Recipients from"), choices=[])
    categories = forms.ModelMultipleChoiceField(label=gettext_lazy("Categories"), queryset=None, required=False)
    target_group = forms.ModelChoiceField(label=gettext_lazy("Target group"), queryset=None, required=False)
    saved_filter = forms.ModelChoiceField(label=gettext_lazy("Saved filter"), queryset=None, required=False)
    list_key = forms.CharField(required=False, widget=forms.HiddenInput)
    list_query = forms.CharField(required=False, widget=forms.HiddenInput)
    numbers = forms.CharField(
        label=gettext_lazy("Numbers or addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "ltr"}),
        help_text=gettext_lazy("One a line; a name may follow a comma."),
    )
    excel = forms.FileField(
        label=gettext_lazy("Excel file"),
        required=False,
        help_text=gettext_lazy("First column the number or address, second column the name (optional)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    start_at = UserDateTimeField(
        label=gettext_lazy("Start at"), required=False, help_text=gettext_lazy("Empty: start when you press Start.")
    )
    rate_per_minute = forms.IntegerField(label=gettext_lazy("Messages per minute"), min_value=0, initial=6000)
    chunk_size = forms.IntegerField(label=gettext_lazy("Chunk size"), min_value=1, max_value=100000, initial=500)
    track_opens = forms.BooleanField(label=gettext_lazy("Track opens (email)"), required=False, initial=True)
    track_clicks = forms.BooleanField(label=gettext_lazy("Track link clicks (email)"), required=False, initial=True)
    campaign_id = forms.IntegerField(label=gettext_lazy("Campaign number"), required=False, min_value=1)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from crm.identities.selectors import categories_for_user

        self.fields["sms_line"].queryset = sms_lines_for_user(user)
        self.fields["mailbox"].queryset = mailboxes_for_user(user)
        self.fields["template"].queryset = Template.objects.filter(
            active=True, channel__in=[Channel.SMS, Channel.EMAIL]
        )
        self.fields["categories"].queryset = categories_for_user(user=user)
        self.fields["target_group"].queryset = bulk_selectors.groups_visible_to(user).order_by("name")
        self.fields["saved_filter"].queryset = _saved_filters(user)
        self.fields["saved_filter"].label_from_instance = lambda f: f"{f.name} ({f.list_key})"
        sources = [c for c in BulkSend.Source.choices if c[0] != BulkSend.Source.RESEND]
        self.fields["source"].choices = sources
        for name in ("start_at", "body", "subject"):
            self.fields[name].widget.attrs.setdefault("class", "form-control")
        self.fields["body"].widget.attrs["data-testid"] = "bulk-body"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        source = data.get("source")
        required = {
            BulkSend.Source.CATEGORIES: "categories",
            BulkSend.Source.TARGET_GROUP: "target_group",
            BulkSend.Source.NUMBERS: "numbers",
        }
        if not (data.get("body") or "").strip() and not data.get("template"):
            self.add_error("body", _("Write the text or choose a template."))
        field = required.get(source)
        if field and not data.get(field):
            self.add_error(field, _("Choose who gets this send."))
        if source == BulkSend.Source.SAVED_FILTER and not (data.get("saved_filter") or data.get("list_key")):
            self.add_error("saved_filter", _("Choose who gets this send."))
        if source == BulkSend.Source.EXCEL and not data.get("excel") and not self.initial.get("has_rows"):
            self.add_error("excel", _("Choose who gets this send."))
        return data

    def send_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        source = data["source"]
        params: dict[str, Any] = {}
        if source == BulkSend.Source.CATEGORIES:
            params = {"ids": [c.pk for c in data["categories"]]}
        elif source == BulkSend.Source.SAVED_FILTER:
            if data.get("saved_filter"):
                params = {"saved_filter": data["saved_filter"].pk}
            else:
                params = {"list_key": data["list_key"], "query": clean_query(data.get("list_query") or "")}
        elif source == BulkSend.Source.NUMBERS:
            params = {"lines": [line.strip() for line in data["numbers"].splitlines() if line.strip()]}
        elif source == BulkSend.Source.EXCEL and data.get("excel"):
            params = {"rows": bulk.excel_rows(data["excel"]), "file": data["excel"].name[:200]}
        channel = data["channel"]
        return {
            "name": data["name"],
            "channel": channel,
            "sms_line": data.get("sms_line") if channel == Channel.SMS else None,
            "mailbox": data.get("mailbox") if channel == Channel.EMAIL else None,
            "template": data.get("template"),
            "subject": data.get("subject") or "",
            "body": data.get("body") or "",
            "is_html": bool(data.get("is_html")),
            "source": source,
            "source_params": params,
            "target_group": data.get("target_group") if source == BulkSend.Source.TARGET_GROUP else None,
            "start_at": data.get("start_at"),
            "rate_per_minute": data.get("rate_per_minute") or 0,
            "chunk_size": data.get("chunk_size") or 500,
            "track_opens": bool(data.get("track_opens")),
            "track_clicks": bool(data.get("track_clicks")),
            "campaign_id": data.get("campaign_id"),
        }


def _initial_from_request(request: HttpRequest) -> dict[str, Any]:
    """?group=<id> (a newsletter to a group), ?saved_filter=<id>, ?list_key=&query= (a list
    page's current filter), ?channel=, ?template=."""
    initial: dict[str, Any] = {"rate_per_minute": 6000, "chunk_size": 500, "track_opens": True, "track_clicks": True}
    get = request.GET
    if get.get("channel") in (Channel.SMS, Channel.EMAIL):
        initial["channel"] = get["channel"]
    if get.get("group", "").isdigit():
        initial.update(source=BulkSend.Source.TARGET_GROUP, target_group=int(get["group"]))
    if get.get("saved_filter", "").isdigit():
        initial.update(source=BulkSend.Source.SAVED_FILTER, saved_filter=int(get["saved_filter"]))
    if get.get("list_key") and bulk.recipient_source_get(get["list_key"]):
        initial.update(source=BulkSend.Source.SAVED_FILTER, list_key=get["list_key"], list_query=get.get("query", ""))
    if get.get("template", "").isdigit():
        initial["template"] = int(get["template"])
    return initial


def _form_page(request: HttpRequest, form: BulkSendForm, send: BulkSend | None) -> HttpResponse:
    return render(
        request,
        "messaging/bulk/bulk_form.html",
        {
            "form": form,
            "send": send,
            "title": _("Edit bulk send") if send else _("New bulk send"),
            "list_source": form.initial.get("list_key") or (form.data.get("list_key") if form.is_bound else ""),
        },
    )


@login_required
def bulk_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("messaging.add_bulksend"):
        raise PermissionDenied
    if request.method == "GET" and request.GET.get("part") == "source":  # htmx: the source changed
        source = request.GET.get("source", "")
        form = BulkSendForm(initial={"source": source}, user=request.user)
        return render(
            request,
            "messaging/bulk/_source_fields.html",
            {"form": form, "source": source, "list_source": request.GET.get("list_key", "")},
        )
    if request.method == "POST":
        form = BulkSendForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                send = bulk.bulk_send_create(actor=request.user, **form.send_fields())
                if "start" in request.POST:
                    return _start(request, send)
                messages.success(request, _("The draft is saved. Check it, then press Start."))
                return redirect("messaging:bulk_detail", send.pk)
            except ApplicationError as exc:
                error_to_form(form, exc)
    else:
        form = BulkSendForm(initial=_initial_from_request(request), user=request.user)
    return _form_page(request, form, None)


@login_required
def bulk_edit(request: HttpRequest, pk: int) -> HttpResponse:
    send = _send_or_404(request, pk)
    if not bulk_selectors.can_manage_bulk_send(request.user, send):
        raise PermissionDenied
    if send.status not in (BulkSend.Status.DRAFT, BulkSend.Status.SCHEDULED):
        messages.warning(request, _("Only a draft can be changed."))
        return redirect("messaging:bulk_detail", send.pk)
    params = send.source_params or {}
    initial = {
        "name": send.name,
        "channel": send.channel,
        "sms_line": send.sms_line_id,
        "mailbox": send.mailbox_id,
        "template": send.template_id,
        "subject": send.subject,
        "body": send.body,
        "is_html": send.is_html,
        "source": send.source,
        "categories": params.get("ids", []),
        "target_group": send.target_group_id,
        "saved_filter": params.get("saved_filter"),
        "list_key": params.get("list_key", ""),
        "list_query": params.get("query", ""),
        "numbers": "\n".join(params.get("lines", [])),
        "start_at": send.start_at,
        "rate_per_minute": send.rate_per_minute,
        "chunk_size": send.chunk_size,
        "track_opens": send.track_opens,
        "track_clicks": send.track_clicks,
        "campaign_id": send.campaign_id,
        "has_rows": bool(params.get("rows")),
    }
    if request.method == "POST":
        form = BulkSendForm(request.POST, request.FILES, initial=initial, user=request.user)
        if form.is_valid():
            fields = form.send_fields()
            if fields["source"] == BulkSend.Source.EXCEL and not fields["source_params"]:
                fields["source_params"] = params  # no new file: keep the rows read before
            try:
                send = bulk.bulk_send_update(actor=request.user, send=send, **fields)
                if "start" in request.POST:
                    return _start(request, send)
                messages.success(request, _("Saved."))
                return redirect("messaging:bulk_detail", send.pk)
            except ApplicationError as exc:
                error_to_form(form, exc)
    else:
        form = BulkSendForm(initial=initial, user=request.user)
    return _form_page(request, form, send)


# --- list and report ------------------------------------------------------------------------


@login_required
def bulk_list(request: HttpRequest) -> HttpResponse:
    _require_sender(request.user)
    status = request.GET.get("status", "")
    status = status if status in BulkSend.Status.values else ""
    channel = request.GET.get("channel", "")
    channel = channel if channel in (Channel.SMS, Channel.EMAIL) else ""
    q = request.GET.get("q", "").strip()[:100]
    qs = bulk_selectors.bulk_send_list_for_user(user=request.user, status=status, channel=channel, q=q)
    return render(
        request,
        "messaging/bulk/bulk_list.html",
        {
            **paginate(request, qs, per_page=30),
            "statuses": BulkSend.Status.choices,
            "status": status,
            "channel": channel,
            "q": q,
            "badges": SEND_BADGES,
        },
    )


def _label(minute_iso: str) -> str:
    moment = timezone.localtime(dt.datetime.fromisoformat(minute_iso))
    return localize_digits(moment.strftime("%H:%M"), get_language())


def _live(send: BulkSend, stats: dict[str, Any]) -> bool:
    """Worth refreshing: the send runs, or it ended lately and reports are still coming in."""
    if send.status in LIVE:
        return True
    recent = send.finished_at and send.finished_at > timezone.now() - dt.timedelta(minutes=15)
    return bool(send.status == BulkSend.Status.DONE and recent and stats["sent"] > stats["delivered"])


def _report_context(send: BulkSend) -> dict[str, Any]:
    send = bulk.bulk_send_refresh(send=send)
    stats = bulk.bulk_send_stats(send)
    by = stats["by_status"]
    labels = dict(Message.Status.choices)
    donut = {
        "kind": "donut",
        "items": [
            {"name": str(labels[s]), "value": by.get(s, 0), "color": STATUS_COLOURS[s]}
            for s in ("delivered", "sent", "queued", "sending", "failed", "suppressed", "cancelled")
            if by.get(s)
        ],
    }
    timeline = bulk_selectors.bulk_timeline(send)
    names = {
        "sent": _("Sent"),
        "delivered": _("Delivered"),
        "failed": _("Failed"),
        "opened": _("Opened"),
        "clicked": _("Clicked"),
    }
    colours = {
        "sent": "#0dcaf0",
        "delivered": "#198754",
        "failed": "#dc3545",
        "opened": "#0d6efd",
        "clicked": "#6610f2",
    }
    shown = ["sent", "delivered", "failed"] + (["opened", "clicked"] if send.channel == Channel.EMAIL else [])
    lines = {
        "kind": "lines",
        "labels": [_label(m) for m in timeline["minutes"]],
        "series": [
            {"name": names[key], "data": timeline["series"][key], "color": colours[key]}
            for key in shown
            if any(timeline["series"][key])
        ],
    }
    return {
        "send": send,
        "stats": stats,
        "donut": donut,
        "lines": lines,
        "live": _live(send, stats),
        "has_timeline": bool(timeline["minutes"]),
        "donut_id": f"chart-donut-{send.pk}",
        "lines_id": f"chart-lines-{send.pk}",
        "pct": "٪" if get_language() == "fa" else "%",
    }


@login_required
def bulk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    send = _send_or_404(request, pk)
    status = request.GET.get("status", "")
    status = status if status in bulk_selectors.RECIPIENT_FILTERS else ""
    q = request.GET.get("q", "").strip()[:100]
    recipients = paginate(request, bulk_selectors.bulk_recipients(send, status=status, q=q), per_page=50)
    context = _report_context(send)
    context.update(
        {
            "recipients": recipients,
            "filter_status": status,
            "filter_q": q,
            "recipient_filters": [
                (s, dict(Message.Status.choices).get(s) or {"opened": _("Opened"), "clicked": _("Clicked")}[s])
                for s in bulk_selectors.RECIPIENT_FILTERS
            ],
            "can_manage": bulk_selectors.can_manage_bulk_send(request.user, send),
            "resend_choices": RESEND_CHOICES,
            "group_choices": GROUP_CHOICES,
            "badges": SEND_BADGES,
            "resends": bulk_selectors.bulk_sends_of_resend(send).filter(
                pk__in=bulk_selectors.bulk_sends_visible_to(request.user).values("pk")
            ),
            "source_label": _source_label(send),
        }
    )
    return render(request, "messaging/bulk/bulk_detail.html", context)


def _source_label(send: BulkSend) -> str:
    params = send.source_params or {}
    label = str(send.get_source_display())
    if send.source == BulkSend.Source.TARGET_GROUP and send.target_group:
        return f"{label}: {send.target_group}"
    if send.source == BulkSend.Source.SAVED_FILTER:
        saved = (
            SavedFilter.objects.filter(pk=params.get("saved_filter")).first() if params.get("saved_filter") else None
        )
        if saved:
            return f"{label}: {saved.name}"
        source = bulk.recipient_source_get(params.get("list_key", ""))
        return f"{label}: {source.label if source else ''}"
    if send.source == BulkSend.Source.EXCEL:
        return (
            f"{label}: {params.get('file', '')} ({localize_digits(str(len(params.get('rows', []))), get_language())})"
        )
    if send.source == BulkSend.Source.NUMBERS:
        return f"{label} ({localize_digits(str(len(params.get('lines', []))), get_language())})"
    return label


@login_required
def bulk_report_part(request: HttpRequest, pk: int) -> HttpResponse:
    """The counts and charts, polled by the report page while the send runs."""
    send = _send_or_404(request, pk)
    context = _report_context(send)
    context["badges"] = SEND_BADGES
    response = render(request, "messaging/bulk/_report.html", context)
    was = request.GET.get("was", "")
    if request.htmx and was and was != send.status:  # buttons and the table change with the status
        response["HX-Refresh"] = "true"
    return response


# --- actions --------------------------------------------------------------------------------


def _start(request: HttpRequest, send: BulkSend) -> HttpResponse:
    try:
        count = bulk.bulk_send_start(actor=request.user, send=send)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("messaging:bulk_detail", send.pk)
    if send.status == BulkSend.Status.SCHEDULED:
        messages.success(request, _("The send is scheduled."))
    else:
        messages.success(
            request, _("%(count)s messages are queued.") % {"count": localize_digits(str(count), get_language())}
        )
    return redirect("messaging:bulk_detail", send.pk)


@login_required
@require_POST
def bulk_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    send = _send_or_404(request, pk)
    if action == "start":
        return _start(request, send)
    service = {"pause": bulk.bulk_send_pause, "resume": bulk.bulk_send_resume, "cancel": bulk.bulk_send_cancel}.get(
        action
    )
    if service is None:
        raise Http404
    done = {"pause": _("The send is paused."), "resume": _("The send goes on."), "cancel": _("The send is cancelled.")}
    try:
        service(actor=request.user, send=send)
        messages.success(request, done[action])
    except ApplicationError as exc:
        error_to_message(request, exc)
    return redirect("messaging:bulk_detail", send.pk)


@login_required
@require_POST
def bulk_resend(request: HttpRequest, pk: int) -> HttpResponse:
    send = _send_or_404(request, pk)
    statuses = [s for s in request.POST.getlist("statuses") if s in dict(RESEND_CHOICES)]
    try:
        new = bulk.bulk_send_resend(actor=request.user, send=send, statuses=statuses or ["failed"])
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("messaging:bulk_detail", send.pk)
    messages.success(request, _("A new send to those recipients is ready. Check it, then press Start."))
    return redirect("messaging:bulk_detail", new.pk)


@login_required
@require_POST
def bulk_make_group(request: HttpRequest, pk: int) -> HttpResponse:
    send = _send_or_404(request, pk)
    status = request.POST.get("status", "")
    statuses = [status] if status in dict(GROUP_CHOICES) and status else []
    name = request.POST.get("name", "").strip()[:150]
    try:
        group, added = targets.group_from_send(actor=request.user, send=send, statuses=statuses, name=name)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("messaging:bulk_detail", send.pk)
    messages.success(
        request,
        _("The target group “%(name)s” has %(count)s members.")
        % {"name": group.name, "count": localize_digits(str(added), get_language())},
    )
    return redirect("messaging:group_detail", group.pk)


# --- target groups --------------------------------------------------------------------------


class GroupForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _group_or_404(request: HttpRequest, pk: int) -> Any:
    group = bulk_selectors.group_get_for_user(user=request.user, pk=pk)
    if group is None:
        raise Http404
    return group


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    _require_sender(request.user)
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = targets.group_create(actor=request.user, **form.cleaned_data)
            return redirect("messaging:group_detail", group.pk)
        except ApplicationError as exc:
            error_to_form(form, exc)
    q = request.GET.get("q", "").strip()[:100]
    qs = bulk_selectors.group_list_for_user(user=request.user, q=q)
    may_create = request.user.has_perm("messaging.add_targetgroup") or request.user.has_perm("messaging.add_bulksend")
    return render(
        request,
        "messaging/groups/group_list.html",
        {**paginate(request, qs, per_page=50), "form": form, "q": q, "may_create": may_create},
    )


@login_required
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from crm.identities.selectors import identity_base_for_user

    group = _group_or_404(request, pk)
    member_ids = bulk_selectors.group_member_ids(group).values("identity_id")
    members = identity_base_for_user(user=request.user).filter(pk__in=member_ids).order_by("display_name", "pk")
    page = paginate(request, members, per_page=50)
    form = GroupForm(initial={"name": group.name, "description": group.description})
    return render(
        request,
        "messaging/groups/group_detail.html",
        {
            **page,
            "group": group,
            "count": bulk_selectors.group_member_ids(group).count(),
            "can_manage": bulk_selectors.can_manage_group(request.user, group),
            "saved_filters": _saved_filters(request.user),
            "sources": bulk.recipient_sources(),
            "form": form,
        },
    )


@login_required
@require_POST
def group_edit(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_or_404(request, pk)
    form = GroupForm(request.POST)
    if form.is_valid():
        try:
            targets.group_update(actor=request.user, group=group, **form.cleaned_data)
            messages.success(request, _("Saved."))
        except ApplicationError as exc:
            error_to_message(request, exc)
    return redirect("messaging:group_detail", group.pk)


@login_required
@require_POST
def group_delete(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_or_404(request, pk)
    try:
        targets.group_delete(actor=request.user, group=group)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("messaging:group_detail", group.pk)
    messages.success(request, _("The target group is deleted."))
    return redirect("messaging:group_list")


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.replace(",", " ").split() if part.isdigit()][:100000]


@login_required
@require_POST
def group_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add members: from a saved filter, from a list query (?list_key=&query=, e.g. the
    identities list's "add to a group"), or picked identity ids."""
    group = _group_or_404(request, pk)
    try:
        if request.POST.get("saved_filter", "").isdigit():
            saved = _saved_filters(request.user).filter(pk=int(request.POST["saved_filter"])).first()
            if saved is None:
                raise Http404
            added = targets.group_add_from_query(
                actor=request.user, group=group, list_key=saved.list_key, query=saved.query
            )
        elif request.POST.get("list_key"):
            added = targets.group_add_from_query(
                actor=request.user,
                group=group,
                list_key=request.POST["list_key"],
                query=clean_query(request.POST.get("query", "")),
            )
        else:
            added = targets.group_add_members(
                actor=request.user, group=group, identity_ids=_ids(request.POST.get("ids", ""))
            )
        messages.success(
            request, _("%(count)s members added.") % {"count": localize_digits(str(added), get_language())}
        )
    except ApplicationError as exc:
        error_to_message(request, exc)
    return redirect("messaging:group_detail", group.pk)


@login_required
@require_POST
def group_remove(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_or_404(request, pk)
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    try:
        removed = targets.group_remove_members(actor=request.user, group=group, identity_ids=ids)
        messages.success(
            request, _("%(count)s members removed.") % {"count": localize_digits(str(removed), get_language())}
        )
    except ApplicationError as exc:
        error_to_message(request, exc)
    return redirect("messaging:group_detail", group.pk)


def newsletter_url(group_id: int) -> str:
    return f"{reverse('messaging:bulk_create')}?{urlencode({'group': group_id, 'channel': 'email'})}"


urlpatterns = [
    path("bulk/", bulk_list, name="bulk_list"),
    path("bulk/new/", bulk_create, name="bulk_create"),
    path("bulk/<int:pk>/", bulk_detail, name="bulk_detail"),
    path("bulk/<int:pk>/edit/", bulk_edit, name="bulk_edit"),
    path("bulk/<int:pk>/report/", bulk_report_part, name="bulk_report_part"),
    path("bulk/<int:pk>/resend/", bulk_resend, name="bulk_resend"),
    path("bulk/<int:pk>/group/", bulk_make_group, name="bulk_make_group"),
    path("bulk/<int:pk>/<str:action>/", bulk_action, name="bulk_action"),
    path("groups/", group_list, name="group_list"),
    path("groups/<int:pk>/", group_detail, name="group_detail"),
    path("groups/<int:pk>/edit/", group_edit, name="group_edit"),
    path("groups/<int:pk>/delete/", group_delete, name="group_delete"),
    path("groups/<int:pk>/add/", group_add, name="group_add"),
    path("groups/<int:pk>/remove/", group_remove, name="group_remove"),
]
