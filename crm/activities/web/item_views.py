"""Phone calls, notes and files (AC-4, AC-5, AC-6): lists with filters, forms, detail
pages with the shared item panel (follow-ups, comments, attachments). Reads go through
the activities selectors (404 for what the user may not see), writes through services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.activities import selectors, services
from crm.activities.models import Call, Document, Note
from crm.activities.web.item_forms import (
    PICKER_FIELD,
    CallFilterForm,
    CallForm,
    DocumentForm,
    ItemFilterForm,
    NewVersionForm,
    NoteForm,
    call_initial,
    format_duration,
)
from crm.core.customfields.forms import add_custom_fields, custom_data_from_form
from crm.core.customfields.selectors import custom_values_display
from crm.core.errors import ApplicationError
from crm.core.i18n.digits import to_latin_digits
from crm.core.items.errors import ItemError, ItemErrorCode
from crm.core.items.selectors import attachment_version_for_user, attachments_for_items
from crm.core.permissions.access import field_access, hidden_fields
from crm.core.web.admin_forms import bootstrapify
from crm.core.web.errors import error_to_message
from crm.core.web.paging import paginate
from crm.identities.phones import looks_like_phone, normalize_phone
from crm.identities.selectors import identity_base_for_user, identity_get_for_user, identity_quick_search
from crm.org import selectors as org_selectors

FILE_ERRORS = {ItemErrorCode.FILE_TOO_LARGE, ItemErrorCode.FILE_TYPE_REFUSED, ItemErrorCode.FILE_EMPTY}


# ---- shared helpers ------------------------------------------------------------------------


def service_error_to_form(form: Form, exc: ApplicationError, *, upload_field: str = "upload") -> None:
    """A service error on the field it is about: upload refusals on the file field,
    field errors (one message or a list) on their fields, custom fields under cf_."""
    if isinstance(exc, ItemError) and exc.code in FILE_ERRORS and upload_field in form.fields:
        form.add_error(upload_field, exc.message)
        return
    for name, message in exc.fields.items():
        field = next((n for n in (f"cf_{name}", name) if n in form.fields), None)
        for text in message if isinstance(message, (list, tuple)) else [message]:
            form.add_error(field, str(text))
    if not exc.fields:
        form.add_error(None, exc.message)


def prefill_identity(request: HttpRequest) -> int | None:
    """?identity=<id> from a profile's quick-create link, only if the user may see it."""
    raw = to_latin_digits(request.GET.get("identity", "")).strip()
    if not raw.isdigit():
        return None
    identity = identity_get_for_user(user=request.user, pk=int(raw))
    return identity.pk if identity else None


def visible_identity_ids(user: Any, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(identity_base_for_user(user=user).filter(pk__in=ids).values_list("pk", flat=True))


def download_url(public_id: Any, number: int | None = None) -> str | None:
    """The core attachment download address (images and PDFs are served inline there)."""
    try:
        url = reverse("item_attachment_download", args=[public_id])
    except NoReverseMatch:
        return None
    return f"{url}?v={number}" if number else url


def _custom_form(form: Form, model: type, user: Any, values: dict[str, Any] | None) -> None:
    add_custom_fields(form, model=model, values=values, access=field_access(user, model))
    bootstrapify(form)


@login_required
def identity_pick(request: HttpRequest) -> HttpResponse:
    """The identity picker's options (htmx): what is chosen stays ticked, the search adds
    up to eight more; only identities the user may see."""
    field = request.GET.get("field", "")
    if not PICKER_FIELD.match(field):
        raise Http404
    multiple = request.GET.get("multiple") == "1"
    chosen_ids = [int(v) for v in request.GET.getlist(field) if v.isdigit()][:50]
    base = identity_base_for_user(user=request.user)
    chosen = list(base.filter(pk__in=chosen_ids)) if chosen_ids else []
    if not multiple:
        chosen = chosen[:1]
    text = request.GET.get(f"{field}__q", "").strip()
    taken = {i.pk for i in chosen}
    found = [i for i in identity_quick_search(user=request.user, text=text, limit=8) if i.pk not in taken]
    return render(
        request,
        "activities/calls/identity_options.html",
        {"widget": {"name": field, "multiple": multiple, "chosen": chosen, "found": found}, "searched": bool(text)},
    )


# ---- phone calls (AC-4) -------------------------------------------------------------------------


def _call_or_404(request: HttpRequest, pk: int) -> Call:
    call = selectors.call_get_for_user(user=request.user, pk=pk)
    if call is None:
        raise Http404
    return call


def _may_change_call(user: Any, call: Call) -> bool:
    return user.is_superuser or user.pk in (call.created_by_id, call.user_id)


def _may_delete(user: Any, obj: Any, perm: str) -> bool:
    return user.is_superuser or obj.created_by_id == user.pk or user.has_perm(perm)


def _sees_all_calls(user: Any) -> bool:
    return user.is_superuser or user.has_perm("activities.view_all_call")


def _text_filter(qs: QuerySet[Call], text: str) -> QuerySet[Call]:
    if looks_like_phone(text):
        number = normalize_phone(text)
        if number:
            return qs.filter(their_number=number)
        digits = "".join(ch for ch in to_latin_digits(text) if ch.isdigit())
        return qs.filter(Q(their_number__contains=digits) | Q(our_number__contains=digits))
    return qs.filter(Q(subject__icontains=text) | Q(description__icontains=text))


@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    users = org_selectors.colleague_choices()
    form = CallFilterForm(request.GET or None, user=user, users=users if _sees_all_calls(user) else None)
    qs = selectors.call_list_for_user(user=user)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data.get("direction"):
            qs = qs.filter(direction=data["direction"])
        if data.get("user"):
            qs = qs.filter(user=data["user"])
        if data.get("identity"):
            qs = qs.filter(identity=data["identity"])
        start, end = form.window()
        if start:
            qs = qs.filter(started_at__gte=start)
        if end:
            qs = qs.filter(started_at__lt=end)
        if data.get("q", "").strip():
            qs = _text_filter(qs, data["q"].strip())
    page = paginate(request, qs.order_by("-started_at", "-id"))
    visible = visible_identity_ids(user, [c.identity_id for c in page["rows"] if c.identity_id])
    for call in page["rows"]:
        call.identity_visible = call.identity_id in visible
        call.duration_text = format_duration(call.duration_seconds)
    return render(
        request,
        "activities/calls/call_list.html",
        {
            **page,
            "form": form,
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
            "more_open": any(request.GET.get(n) for n in ("since", "until", "user", "identity")),
        },
    )


def _call_form_page(request: HttpRequest, call: Call | None) -> HttpResponse:
    initial: dict[str, Any] = call_initial(call) if call else {}
    if call is None:
        identity_id = prefill_identity(request)
        if identity_id:
            initial["identity"] = identity_id
    form = CallForm(request.POST or None, initial=initial, user=request.user)
    _custom_form(form, Call, request.user, call.custom if call else None)
    if request.method == "POST" and form.is_valid():
        custom = custom_data_from_form(form)
        if not form.errors:
            try:
                if call is None:
                    call = services.call_log(actor=request.user, values=form.values(), custom=custom)
                else:
                    call = services.call_update(actor=request.user, call=call, values=form.values(), custom=custom)
            except ApplicationError as exc:
                service_error_to_form(form, exc)
            else:
                messages.success(request, _("The call was saved."))
                return redirect("activities:call_detail", call.pk)
    return render(request, "activities/calls/call_form.html", {"form": form, "call": call})


@login_required
def call_create(request: HttpRequest) -> HttpResponse:
    return _call_form_page(request, None)


@login_required
def call_edit(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call_or_404(request, pk)
    if not _may_change_call(request.user, call):
        messages.error(request, _("You may not change this call."))
        return redirect("activities:call_detail", call.pk)
    return _call_form_page(request, call)


@login_required
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call_or_404(request, pk)
    recording = None
    if call.recording_id and call.recording and call.recording.deleted_at is None:
        version = attachment_version_for_user(user=request.user, public_id=call.recording.public_id)
        if version is not None:
            recording = {
                "version": version,
                "url": download_url(call.recording.public_id, version.number),
            }
    identity_visible = bool(call.identity_id and visible_identity_ids(request.user, [call.identity_id]))
    call.duration_text = format_duration(call.duration_seconds)
    return render(
        request,
        "activities/calls/call_detail.html",
        {
            "call": call,
            "recording": recording,
            "identity_visible": identity_visible,
            "custom_values": custom_values_display(obj=call, hidden=hidden_fields(request.user, Call)),
            "can_change": _may_change_call(request.user, call),
            "can_delete": _may_delete(request.user, call, "activities.delete_call"),
        },
    )


@login_required
@require_POST
def call_delete(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call_or_404(request, pk)
    try:
        services.call_delete(actor=request.user, call=call)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("activities:call_detail", pk)
    messages.success(request, _("The call was deleted."))
    return redirect("activities:call_list")


# ---- notes (AC-5) ------------------------------------------------------------------------------


def _note_or_404(request: HttpRequest, pk: int) -> Note:
    note = selectors.note_get_for_user(user=request.user, pk=pk)
    if note is None:
        raise Http404
    return note


def _filter_text(qs: QuerySet, text: str, fields: tuple[str, ...]) -> QuerySet:
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": text})
    return qs.filter(condition)


def _list_filters(form: ItemFilterForm, qs: QuerySet, text_fields: tuple[str, ...]) -> QuerySet:
    if not (form.is_bound and form.is_valid()):
        return qs
    data = form.cleaned_data
    text = (data.get("q") or "").strip()
    if text:
        qs = _filter_text(qs, text, text_fields)
    if data.get("identity"):
        qs = qs.filter(identities=data["identity"])
    start, end = form.window()
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lt=end)
    return qs


@login_required
def note_list(request: HttpRequest) -> HttpResponse:
    form = ItemFilterForm(request.GET or None, user=request.user)
    qs = _list_filters(form, selectors.note_list_for_user(user=request.user), ("title", "body"))
    page = paginate(request, qs.order_by("-created_at", "-id"))
    return render(
        request,
        "activities/notes/note_list.html",
        {**page, "form": form, "more_open": any(request.GET.get(n) for n in ("since", "until", "identity"))},
    )


def _note_form_page(request: HttpRequest, note: Note | None) -> HttpResponse:
    user = request.user
    initial: dict[str, Any] = {}
    if note is not None:
        initial = {"title": note.title, "body": note.body, "identities": [i.pk for i in note.identities.all()]}
    else:
        identity_id = prefill_identity(request)
        if identity_id:
            initial["identities"] = [identity_id]
    form = NoteForm(request.POST or None, initial=initial, user=user)
    _custom_form(form, Note, user, note.custom if note else None)
    if request.method == "POST" and form.is_valid():
        custom = custom_data_from_form(form)
        data = form.cleaned_data
        chosen = [i.pk for i in data["identities"]]
        if not form.errors:
            try:
                if note is None:
                    note = services.note_create(
                        actor=user, title=data["title"], body=data["body"], identity_ids=chosen, custom=custom
                    )
                else:
                    # links to identities the user cannot see stay as they are
                    hidden = [i.pk for i in note.identities.all()]
                    kept = set(hidden) - visible_identity_ids(user, hidden)
                    note = services.note_update(
                        actor=user,
                        note=note,
                        title=data["title"],
                        body=data["body"],
                        identity_ids=[*chosen, *kept],
                        custom=custom,
                    )
            except ApplicationError as exc:
                service_error_to_form(form, exc)
            else:
                messages.success(request, _("The note was saved."))
                return redirect("activities:note_detail", note.pk)
    return render(request, "activities/notes/note_form.html", {"form": form, "note": note})


@login_required
def note_create(request: HttpRequest) -> HttpResponse:
    return _note_form_page(request, None)


@login_required
def note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    note = _note_or_404(request, pk)
    if not _may_delete(request.user, note, "activities.change_note"):
        messages.error(request, _("You may not change this note."))
        return redirect("activities:note_detail", note.pk)
    return _note_form_page(request, note)


def _visible_identities(user: Any, obj: Any) -> list[Any]:
    linked = list(obj.identities.all())
    visible = visible_identity_ids(user, [i.pk for i in linked])
    return [i for i in linked if i.pk in visible]


@login_required
def note_detail(request: HttpRequest, pk: int) -> HttpResponse:
    note = _note_or_404(request, pk)
    return render(
        request,
        "activities/notes/note_detail.html",
        {
            "note": note,
            "identities": _visible_identities(request.user, note),
            "custom_values": custom_values_display(obj=note, hidden=hidden_fields(request.user, Note)),
            "can_change": _may_delete(request.user, note, "activities.change_note"),
            "can_delete": _may_delete(request.user, note, "activities.delete_note"),
        },
    )


@login_required
@require_POST
def note_delete(request: HttpRequest, pk: int) -> HttpResponse:
    note = _note_or_404(request, pk)
    try:
        services.note_delete(actor=request.user, note=note)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("activities:note_detail", pk)
    messages.success(request, _("The note was deleted."))
    return redirect("activities:note_list")


# ---- files (AC-6) ------------------------------------------------------------------------------


def _document_or_404(request: HttpRequest, pk: int) -> Document:
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    if document is None:
        raise Http404
    return document


@login_required
def document_list(request: HttpRequest) -> HttpResponse:
    form = ItemFilterForm(request.GET or None, user=request.user)
    qs = _list_filters(form, selectors.document_list_for_user(user=request.user), ("title", "description"))
    page = paginate(request, qs.order_by("-created_at", "-id"))
    files = {
        str(a.item_id): a
        for a in _current_files([d.pk for d in page["rows"]])  # one query for the page's files
    }
    for document in page["rows"]:
        document.file = files.get(str(document.pk))
    return render(
        request,
        "activities/documents/document_list.html",
        {**page, "form": form, "more_open": any(request.GET.get(n) for n in ("since", "until", "identity"))},
    )


def _current_files(ids: list[int]) -> list[Any]:
    return attachments_for_items(item_type=services.DOCUMENT, item_ids=ids)


@login_required
def document_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial: dict[str, Any] = {}
    identity_id = prefill_identity(request)
    if identity_id:
        initial["identities"] = [identity_id]
    form = DocumentForm(request.POST or None, request.FILES or None, initial=initial, user=user)
    _custom_form(form, Document, user, None)
    if request.method == "POST" and form.is_valid():
        custom = custom_data_from_form(form)
        data = form.cleaned_data
        if not form.errors:
            try:
                document = services.document_create(
                    actor=user,
                    title=data["title"],
                    upload=data["upload"],
                    description=data["description"],
                    identity_ids=[i.pk for i in data["identities"]],
                    custom=custom,
                )
            except ApplicationError as exc:
                service_error_to_form(form, exc)
            else:
                messages.success(request, _("The file was saved."))
                return redirect("activities:document_detail", document.pk)
    return render(request, "activities/documents/document_form.html", {"form": form})


def _document_context(request: HttpRequest, document: Document, version_form: NewVersionForm) -> dict[str, Any]:
    attachment = services.document_file(document)
    versions = list(attachment.versions.select_related("uploaded_by").order_by("-number")) if attachment else []
    current = versions[0] if versions else None
    for version in versions:
        version.url = download_url(attachment.public_id, version.number) if attachment else None
    preview = None
    if current is not None and current.previewable:
        url = download_url(attachment.public_id, current.number)
        preview = {"kind": current.previewable, "url": url} if url else None
    return {
        "document": document,
        "attachment": attachment,
        "versions": versions,
        "current": current,
        "preview": preview,
        "identities": _visible_identities(request.user, document),
        "custom_values": custom_values_display(obj=document, hidden=hidden_fields(request.user, Document)),
        "version_form": version_form,
        "can_change": _may_delete(request.user, document, "activities.change_document"),
        "can_delete": _may_delete(request.user, document, "activities.delete_document"),
    }


@login_required
def document_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document_or_404(request, pk)
    context = _document_context(request, document, NewVersionForm())
    return render(request, "activities/documents/document_detail.html", context)


@login_required
@require_POST
def document_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document_or_404(request, pk)
    form = NewVersionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.document_new_version(actor=request.user, document=document, upload=form.cleaned_data["upload"])
        except ApplicationError as exc:
            service_error_to_form(form, exc)
        else:
            messages.success(request, _("The new version was saved."))
            return redirect("activities:document_detail", pk)
    context = _document_context(request, document, form)
    return render(request, "activities/documents/document_detail.html", context, status=400)


@login_required
@require_POST
def document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document_or_404(request, pk)
    try:
        services.document_delete(actor=request.user, document=document)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("activities:document_detail", pk)
    messages.success(request, _("The file was deleted."))
    return redirect("activities:document_list")


urlpatterns = [
    path("identities/pick/", identity_pick, name="identity_pick"),
    path("calls/", call_list, name="call_list"),
    path("calls/new/", call_create, name="call_create"),
    path("calls/<int:pk>/", call_detail, name="call_detail"),
    path("calls/<int:pk>/edit/", call_edit, name="call_edit"),
    path("calls/<int:pk>/delete/", call_delete, name="call_delete"),
    path("notes/", note_list, name="note_list"),
    path("notes/new/", note_create, name="note_create"),
    path("notes/<int:pk>/", note_detail, name="note_detail"),
    path("notes/<int:pk>/edit/", note_edit, name="note_edit"),
    path("notes/<int:pk>/delete/", note_delete, name="note_delete"),
    path("files/", document_list, name="document_list"),
    path("files/new/", document_create, name="document_create"),
    path("files/<int:pk>/", document_detail, name="document_detail"),
    path("files/<int:pk>/versions/", document_new_version, name="document_new_version"),
    path("files/<int:pk>/delete/", document_delete, name="document_delete"),
]
