"""My email (inbox, sent, threads, composer), any message's page, mailboxes and their
access, fax lists and sending a fax. Reads go through the mail selectors (404 for what the
user may not see), writes through the mail and fax services."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.audit.selectors import audit_entries_for
from crm.core.errors import ApplicationError
from crm.core.i18n.digits import to_latin_digits
from crm.core.richtext import sanitize_html
from crm.core.web.errors import error_to_form, error_to_message
from crm.core.web.paging import paginate
from crm.identities.selectors import identity_base_for_user, identity_get_for_user
from crm.messaging import fax as fax_services
from crm.messaging.access import fax_lines_for_user, mailboxes_for_user
from crm.messaging.mail import selectors, services
from crm.messaging.mail.building import address_list
from crm.messaging.mail.servers import connection_check, has_imap
from crm.messaging.models import AccountAccess, Channel, Mailbox, Message
from crm.messaging.web.mail_forms import ComposeForm, FaxForm, MailboxForm, MailFilterForm
from crm.org.selectors import colleague_choices

# ---- helpers ---------------------------------------------------------------------------------


def _int(value: Any) -> int | None:
    text = to_latin_digits(str(value or "")).strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _message_or_404(request: HttpRequest, pk: int) -> Message:
    message = selectors.message_get_for_user(user=request.user, pk=pk)
    if message is None:
        raise Http404
    return message


def _identity_labels(user: Any, rows: list[Message]) -> None:
    """Each row's identity when the user may see it (never a name they may not see)."""
    ids = {m.identity_id for m in rows if m.identity_id}
    found = {i.pk: i for i in identity_base_for_user(user=user).filter(pk__in=ids)} if ids else {}
    for row in rows:
        row.identity = found.get(row.identity_id) if row.identity_id else None


def _tabs(request: HttpRequest, active: str) -> dict[str, Any]:
    return {"tab": active, "unread": selectors.mail_unread_count(user=request.user)}


# ---- inbox, sent, thread ---------------------------------------------------------------------


def _mail_list(request: HttpRequest, *, sent: bool) -> HttpResponse:
    user = request.user
    mailboxes = selectors.mailboxes_readable_by(user).order_by("kind", "name")
    form = MailFilterForm(request.GET or None, mailboxes=mailboxes)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    mailbox_id = data["mailbox"].pk if data.get("mailbox") else None
    if sent:
        qs = selectors.mail_sent_for_user(user=user, mailbox_id=mailbox_id, text=data.get("q", ""))
    else:
        qs = selectors.mail_inbox_for_user(
            user=user, mailbox_id=mailbox_id, unread_only=bool(data.get("unread")), text=data.get("q", "")
        )
    page = paginate(request, qs)
    _identity_labels(user, page["rows"])
    fetchable = [m for m in mailboxes if m.active and has_imap(m)] if not sent else []
    return render(
        request,
        "messaging/mail/mail_list.html",
        {
            **page,
            **_tabs(request, "sent" if sent else "inbox"),
            "form": form,
            "sent": sent,
            "fetchable": fetchable,
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
        },
    )


@login_required
def mail_inbox(request: HttpRequest) -> HttpResponse:
    return _mail_list(request, sent=False)


@login_required
def mail_sent(request: HttpRequest) -> HttpResponse:
    return _mail_list(request, sent=True)


@login_required
def mail_thread(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message_or_404(request, pk)
    thread = selectors.mail_thread_for_user(user=request.user, message=message)
    for row in thread:
        row.safe_html = sanitize_html(row.html) if row.html else ""
        if row.direction == Message.Direction.IN and row.read_at is None:
            services.message_read_set(actor=request.user, message=row, read=True)
    _identity_labels(request.user, thread)
    return render(
        request,
        "messaging/mail/thread.html",
        {**_tabs(request, "inbox"), "message": message, "thread": thread, "last": thread[-1] if thread else message},
    )


@login_required
@require_POST
def mail_fetch_now(request: HttpRequest) -> HttpResponse:
    """Check the user's mailboxes for new mail now (the worker does it every few minutes)."""
    from crm.messaging.mail.imap import mailbox_fetch

    new, errors = 0, []
    for mailbox in selectors.mailboxes_readable_by(request.user).filter(active=True):
        if not has_imap(mailbox):
            continue
        result = mailbox_fetch(mailbox=mailbox, limit=100)
        new += result.new
        if result.error:
            errors.append(f"{mailbox.name}: {result.error}")
    if errors:
        messages.error(request, _("Some mailboxes could not be checked: %(errors)s") % {"errors": "; ".join(errors)})
    messages.success(request, _("%(n)s new messages.") % {"n": new})
    return redirect("messaging:mail_inbox")


# ---- any message ----------------------------------------------------------------------------


@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message_or_404(request, pk)
    if message.direction == Message.Direction.IN and message.read_at is None:
        services.message_read_set(actor=request.user, message=message, read=True)
    _identity_labels(request.user, [message])
    thread_size = len(selectors.mail_thread_for_user(user=request.user, message=message)) if message.thread_key else 1
    may_reply = message.channel == Channel.EMAIL and mailboxes_for_user(request.user, send=True).exists()
    back = {
        Channel.EMAIL: "messaging:mail_inbox" if message.direction == Message.Direction.IN else "messaging:mail_sent",
        Channel.FAX: "messaging:fax_list",
        Channel.SMS: "messaging:sms_list",
    }.get(message.channel, "messaging:mail_inbox")
    try:
        back_url = reverse(back)
    except NoReverseMatch:  # a list page of another part of messaging not installed
        back_url = ""
    try:
        bulk_url = reverse("messaging:bulk_detail", args=[message.bulk_send_id]) if message.bulk_send_id else ""
    except NoReverseMatch:
        bulk_url = ""
    return render(
        request,
        "messaging/message_detail.html",
        {
            "message": message,
            "safe_html": sanitize_html(message.html) if message.html else "",
            "events": list(message.events.all()[:200]),
            "thread_size": thread_size,
            "may_reply": may_reply,
            "cc_list": address_list(message.cc),
            "back_url": back_url,
            "bulk_url": bulk_url,
        },
    )


@login_required
@require_POST
def message_read(request: HttpRequest, pk: int) -> HttpResponse:
    message = _message_or_404(request, pk)
    read = request.POST.get("read") == "1"
    services.message_read_set(actor=request.user, message=message, read=read)
    if not read:
        messages.success(request, _("Marked as unread."))
        return redirect("messaging:mail_inbox")
    return redirect("messaging:message_detail", pk=message.pk)


# ---- composer ---------------------------------------------------------------------------------


def _quote(message: Message) -> str:
    text = message.body or ""
    quoted = "\n".join(f"> {line}" for line in text.splitlines())
    return "\n\n" + _("%(sender)s wrote:") % {"sender": message.from_address} + "\n" + quoted


def _forward_text(message: Message) -> str:
    head = [
        "---------- " + _("Forwarded message") + " ----------",
        _("From: %(value)s") % {"value": message.from_address},
        _("To: %(value)s") % {"value": message.to_address},
        _("Subject: %(value)s") % {"value": message.subject},
    ]
    return "\n\n" + "\n".join(head) + "\n\n" + (message.body or "")


def _compose_initial(request: HttpRequest) -> tuple[dict[str, Any], Message | None, Message | None]:
    user = request.user
    initial: dict[str, Any] = {"format": "text", "add_signature": True}
    reply_to = forward_of = None
    reply_id, forward_id = _int(request.GET.get("reply")), _int(request.GET.get("forward"))
    if reply_id:
        reply_to = _message_or_404(request, reply_id)
        own = {m.address.lower() for m in mailboxes_for_user(user, send=True)}
        if reply_to.direction == Message.Direction.IN:
            to = [reply_to.from_address]
        else:
            to = address_list(reply_to.to_address)
        initial.update(
            to=", ".join(to),
            subject=services.reply_subject(reply_to.subject, "Re"),
            body=_quote(reply_to),
            reply_to=reply_to.pk,
        )
        if request.GET.get("all") == "1":
            others = [a for a in address_list(reply_to.to_address) + address_list(reply_to.cc) if a.lower() not in own]
            initial["cc"] = ", ".join(a for a in others if a not in to)
        if reply_to.mailbox_id and mailboxes_for_user(user, send=True).filter(pk=reply_to.mailbox_id).exists():
            initial["mailbox"] = reply_to.mailbox_id
    elif forward_id:
        forward_of = _message_or_404(request, forward_id)
        initial.update(
            subject=services.reply_subject(forward_of.subject, "Fwd"),
            body=_forward_text(forward_of),
            forward_of=forward_of.pk,
        )
        if forward_of.mailbox_id and mailboxes_for_user(user, send=True).filter(pk=forward_of.mailbox_id).exists():
            initial["mailbox"] = forward_of.mailbox_id
    identity_id = _int(request.GET.get("identity"))
    if identity_id and identity_get_for_user(user=user, pk=identity_id):
        initial["identities"] = [identity_id]
    if request.GET.get("to") and not initial.get("to"):
        initial["to"] = request.GET["to"][:2000]
    mailbox_id = _int(request.GET.get("mailbox"))
    if mailbox_id:
        initial["mailbox"] = mailbox_id
    if "mailbox" not in initial:
        with contextlib.suppress(ApplicationError):
            initial["mailbox"] = services.mailbox_for_sending(actor=user, mailbox_id=None).pk
    return initial, reply_to, forward_of


@login_required
def mail_compose(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = ComposeForm(request.POST, request.FILES, user=user)
        reply_to = forward_of = None
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data.get("reply_to"):
                    reply_to = _message_or_404(request, data["reply_to"])
                if data.get("forward_of"):
                    forward_of = _message_or_404(request, data["forward_of"])
                message = services.email_compose(
                    actor=user,
                    mailbox=data["mailbox"],
                    to=data["to"],
                    cc=data["cc"],
                    subject=data["subject"],
                    body=data["body"],
                    is_html=data["format"] == "html",
                    files=data["files"],
                    identity_ids=[i.pk for i in data["identities"]],
                    reply_to=reply_to,
                    forward_of=forward_of,
                    add_signature=data["add_signature"],
                    compose_key=data["compose_key"],
                )
            except ApplicationError as exc:
                error_to_form(form, exc)
            else:
                messages.success(request, _("Your email is on its way."))
                return redirect("messaging:message_detail", pk=message.pk)
    else:
        initial, reply_to, forward_of = _compose_initial(request)
        form = ComposeForm(initial=initial, user=user)
    no_mailbox = not form.fields["mailbox"].queryset.exists()
    return render(
        request,
        "messaging/mail/compose.html",
        {
            **_tabs(request, "compose"),
            "form": form,
            "reply_to": reply_to,
            "forward_of": forward_of,
            "no_mailbox": no_mailbox,
        },
    )


# ---- mailboxes (PL-11) and who may use them (CM-3) --------------------------------------------


def _kinds(user: Any) -> list[str]:
    kinds = [Mailbox.Kind.PERSONAL.value]
    if user.has_perm("messaging.add_mailbox"):
        kinds.insert(0, Mailbox.Kind.ORGANISATION.value)
    return kinds


@login_required
def mailbox_list(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.mailboxes_managed_by(request.user).order_by("kind", "name"))
    grants: dict[int, int] = {}
    for row in AccountAccess.objects.filter(mailbox__in=[r.pk for r in rows]).values_list("mailbox_id", flat=True):
        grants[row] = grants.get(row, 0) + 1
    for row in rows:
        row.grant_count = grants.get(row.pk, 0)
        row.may_change = services.mailbox_may_change(request.user, row)
    return render(
        request,
        "messaging/mail/mailbox_list.html",
        {"rows": rows, "may_add_org": request.user.has_perm("messaging.add_mailbox"), **_tabs(request, "mailboxes")},
    )


def _mailbox_values(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "kind"}


@login_required
def mailbox_create(request: HttpRequest) -> HttpResponse:
    kinds = _kinds(request.user)
    wanted = request.GET.get("kind") or request.POST.get("kind")
    if wanted in kinds:
        kinds = [wanted]
    form = MailboxForm(request.POST or None, kinds=kinds, initial={"kind": kinds[0], "active": True})
    if request.method == "POST" and form.is_valid():
        try:
            mailbox = services.mailbox_save(
                actor=request.user, values={**_mailbox_values(form.cleaned_data), "kind": form.cleaned_data["kind"]}
            )
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, _("Mailbox saved."))
            return redirect("messaging:mailbox_edit", pk=mailbox.pk)
    return render(request, "messaging/mail/mailbox_form.html", {"form": form, "mailbox": None})


def _managed_or_404(request: HttpRequest, pk: int, *, change: bool = True) -> Mailbox:
    mailbox = selectors.mailbox_get_managed(user=request.user, pk=pk)
    if mailbox is None:
        raise Http404
    if change and not services.mailbox_may_change(request.user, mailbox):
        raise PermissionDenied
    return mailbox


@login_required
def mailbox_edit(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = _managed_or_404(request, pk, change=request.method == "POST")
    initial = {name: getattr(mailbox, name) for name in MailboxForm.base_fields if not name.endswith("_password")}
    form = MailboxForm(request.POST or None, kinds=[mailbox.kind], initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.mailbox_save(actor=request.user, mailbox=mailbox, values=_mailbox_values(form.cleaned_data))
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, _("Mailbox saved."))
            return redirect("messaging:mailbox_edit", pk=mailbox.pk)
    return render(
        request,
        "messaging/mail/mailbox_form.html",
        {
            "form": form,
            "mailbox": mailbox,
            "may_change": services.mailbox_may_change(request.user, mailbox),
            "has_smtp_password": bool(mailbox.smtp_password),
            "has_imap_password": bool(mailbox.imap_password),
            "history": audit_entries_for(target=mailbox),
        },
    )


@login_required
@require_POST
def mailbox_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Try the mailbox's SMTP and IMAP logins (htmx: the result box only)."""
    mailbox = _managed_or_404(request, pk)
    results = connection_check(mailbox)
    if request.htmx:
        return render(request, "messaging/mail/mailbox_test_result.html", {"results": results})
    for kind, ok, detail in results:
        (messages.success if ok else messages.error)(request, f"{kind}: {detail}")
    return redirect("messaging:mailbox_edit", pk=mailbox.pk)


@login_required
def mailbox_access(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = _managed_or_404(request, pk)
    if mailbox.kind != Mailbox.Kind.ORGANISATION:
        raise Http404
    current = {g.user_id: g.can_send for g in AccountAccess.objects.filter(mailbox=mailbox)}
    users = list(colleague_choices(also=list(current)))
    if request.method == "POST":
        grants: dict[int, bool] = {}
        for user in users:
            if request.POST.get(f"read_{user.pk}"):
                grants[user.pk] = bool(request.POST.get(f"send_{user.pk}"))
        try:
            services.mailbox_access_set(actor=request.user, mailbox=mailbox, grants=grants)
        except ApplicationError as exc:
            error_to_message(request, exc)
        else:
            messages.success(request, _("Access saved."))
            return redirect("messaging:mailbox_access", pk=mailbox.pk)
    rows = [(user, user.pk in current, current.get(user.pk, False)) for user in users]
    return render(request, "messaging/mail/mailbox_access.html", {"mailbox": mailbox, "rows": rows})


# ---- fax (CM-4) -----------------------------------------------------------------------------


@login_required
def fax_list(request: HttpRequest) -> HttpResponse:
    direction = request.GET.get("direction")
    direction = direction if direction in (Message.Direction.IN, Message.Direction.OUT) else None
    qs = selectors.fax_list_for_user(user=request.user, direction=direction, text=request.GET.get("q", ""))
    page = paginate(request, qs)
    _identity_labels(request.user, page["rows"])
    return render(
        request,
        "messaging/fax/fax_list.html",
        {
            **page,
            "direction": direction or "",
            "q": request.GET.get("q", ""),
            "may_send": fax_lines_for_user(request.user, send=True).exists(),
        },
    )


@login_required
def fax_send(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial: dict[str, Any] = {}
    identity = None
    identity_id = _int(request.GET.get("identity"))
    if identity_id:
        identity = identity_get_for_user(user=user, pk=identity_id)
        if identity is not None:
            initial["identity"] = identity.pk
            fax = next((p.number for p in identity.phones.all() if p.kind == "fax"), "")
            initial["to"] = fax
    if request.GET.get("to"):
        initial["to"] = request.GET["to"][:40]
    form = FaxForm(request.POST or None, request.FILES or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            message = fax_services.fax_send(
                actor=user,
                line=data["line"],
                to_number=data["to"],
                document=data["document"],
                subject=data["subject"],
                cover_text=data["cover_text"],
                identity_id=data["identity"].pk if data.get("identity") else None,
                compose_key=data["compose_key"],
            )
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, _("The fax is queued."))
            return redirect("messaging:message_detail", pk=message.pk)
    return render(
        request,
        "messaging/fax/fax_send.html",
        {"form": form, "identity": identity, "no_line": not form.fields["line"].queryset.exists()},
    )


urlpatterns = [
    path("mail/", mail_inbox, name="mail_inbox"),
    path("mail/sent/", mail_sent, name="mail_sent"),
    path("mail/compose/", mail_compose, name="mail_compose"),
    path("mail/fetch/", mail_fetch_now, name="mail_fetch_now"),
    path("mail/thread/<int:pk>/", mail_thread, name="mail_thread"),
    path("message/<int:pk>/", message_detail, name="message_detail"),
    path("message/<int:pk>/read/", message_read, name="message_read"),
    path("mailboxes/", mailbox_list, name="mailbox_list"),
    path("mailboxes/new/", mailbox_create, name="mailbox_create"),
    path("mailboxes/<int:pk>/", mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/test/", mailbox_test, name="mailbox_test"),
    path("mailboxes/<int:pk>/access/", mailbox_access, name="mailbox_access"),
    path("fax/", fax_list, name="fax_list"),
    path("fax/send/", fax_send, name="fax_send"),
]
