"""Import wizard (ID-9): upload → column mapping and options → job page with live progress
and the report ("run for real" after a dry run). vCard export of one identity and of the
list's current selection (same filters and access rules as the list)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.core.customfields.selectors import custom_field_definitions
from crm.core.errors import ApplicationError
from crm.core.lists.export import export_csv
from crm.core.permissions.access import hidden_fields
from crm.identities import selectors
from crm.identities.access import accessible_category_ids
from crm.identities.imports import services
from crm.identities.imports.fields import CUSTOM_PREFIX, field_choices
from crm.identities.imports.readers import EXTENSIONS, detect_format, table_head, vcard_preview
from crm.identities.imports.selectors import import_job_get_for_user, import_jobs_for_user
from crm.identities.models import Category, Email, Identity, ImportJob, Phone
from crm.identities.vcard import identity_card_data, write_card
from crm.identities.web.views import PRESETS
from crm.identities.web.views import _filters as list_filters  # the list's own parsing of its query string

PREVIEW_ROWS = 5
REPORT_ROWS_SHOWN = 1000


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        required=False,
        choices=[("", gettext_lazy("From the file name")), *ImportJob.Format.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = settings.CRM_UPLOAD_MAX_BYTES / 1024 / 1024
        self.fields["file"].help_text = _("CSV, Excel (.xlsx) or vCard (.vcf), at most %(size)s MB.") % {
            "size": f"{limit:g}"
        }
        self.fields["file"].widget.attrs.update({"class": "form-control", "accept": ",".join(EXTENSIONS)})
        self.fields["format"].widget.attrs["class"] = "form-select"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        upload = data.get("file")
        if upload is None:
            return data
        if not (data.get("format") or detect_format(upload.name)):
            self.add_error("file", _("Upload a .csv, .xlsx or .vcf file."))
        elif upload.size > settings.CRM_UPLOAD_MAX_BYTES:
            self.add_error("file", _("The file is too large."))
        return data


class MappingForm(forms.Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("When a row has a problem"),
        choices=[
            (ImportJob.Mode.SKIP_BAD, gettext_lazy("Import the good rows and list the bad ones")),
            (ImportJob.Mode.ALL_OR_NOTHING, gettext_lazy("Import nothing (all or nothing)")),
        ],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run first: check every row and write nothing"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Put everyone in this category"),
        queryset=Category.objects.none(),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, headers: list[str], choices: list[Any], categories: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories
        self.fields["category"].empty_label = _("No category")
        options = [("", _("— do not import —")), *choices]
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or f"#{index + 1}",
                choices=options,
                required=False,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
        self.headers = headers

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{i}"] for i in range(len(self.headers))]

    def mapping(self) -> dict[str, str]:
        return {
            str(i): self.cleaned_data[f"col_{i}"] for i in range(len(self.headers)) if self.cleaned_data[f"col_{i}"]
        }


def _require_import(user: Any) -> None:
    if not user.has_perm("identities.import_identity"):
        raise PermissionDenied


def _job_or_404(request: HttpRequest, pk: int) -> ImportJob:
    job = import_job_get_for_user(user=request.user, pk=pk)
    if job is None:
        raise Http404
    return job


def _file_head(job: ImportJob) -> tuple[list[str], list[Any]]:
    with job.file.open("rb") as handle:
        content = handle.read()
    if job.format == ImportJob.Format.VCARD:
        return [], vcard_preview(content, PREVIEW_ROWS)
    return table_head(job.format, content, PREVIEW_ROWS)


@login_required
def identity_import(request: HttpRequest) -> HttpResponse:
    """Step 1: upload the file."""
    _require_import(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_job_create(
                actor=request.user, content=upload.read(), filename=upload.name, fmt=form.cleaned_data["format"] or None
            )
        except ApplicationError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("identity_import_mapping", job.pk)
    jobs = import_jobs_for_user(user=request.user).defer("report", "mapping")[:10]
    return render(request, "identities/import_upload.html", {"form": form, "jobs": jobs})


@login_required
def identity_import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: what each column is, and the options; submitting starts the (dry) run."""
    _require_import(request.user)
    job = _job_or_404(request, pk)
    if job.status != ImportJob.Status.PENDING:
        return redirect("identity_import_job", job.pk)
    headers, preview = _file_head(job)
    hidden = hidden_fields(request.user, Identity)
    definitions = [d for d in custom_field_definitions(model=Identity) if f"{CUSTOM_PREFIX}{d.key}" not in hidden]
    initial = {f"col_{i}": field for i, field in job.mapping.items()}
    initial |= {"mode": job.mode, "dry_run": job.dry_run, "category": job.category}
    form = MappingForm(
        request.POST or None,
        initial=initial,
        headers=headers,
        choices=field_choices(definitions),
        categories=selectors.categories_for_user(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                job = services.import_job_configure(
                    actor=request.user,
                    job=job,
                    mapping=form.mapping(),
                    mode=form.cleaned_data["mode"],
                    dry_run=form.cleaned_data["dry_run"],
                    category=form.cleaned_data["category"],
                )
                services.import_job_start(actor=request.user, job=job)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("identity_import_job", job.pk)
    columns = [
        (field, [row[i] if i < len(row) else "" for row in preview]) for i, field in enumerate(form.column_fields())
    ]
    return render(
        request,
        "identities/import_mapping.html",
        {"job": job, "form": form, "columns": columns, "cards": preview if not headers else []},
    )


def _report_csv(job: ImportJob) -> HttpResponse:
    columns = [
        (_("Row"), lambda p: p.get("row")),
        (_("Field"), lambda p: p.get("field")),
        (_("Column"), lambda p: p.get("column")),
        (_("Level"), lambda p: p.get("level")),
        (_("Problem"), lambda p: p.get("message")),
    ]
    return export_csv(rows=job.report, columns=columns, filename=f"import-{job.pk}-report")


@login_required
def identity_import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 3: progress (polled every second while running) and the report."""
    _require_import(request.user)
    job = _job_or_404(request, pk)
    if request.GET.get("report") == "csv":
        return _report_csv(job)
    running = job.status in (ImportJob.Status.PENDING, ImportJob.Status.RUNNING)
    errors = sum(1 for p in job.report if p.get("level") == "error")
    labels = dict(field_choices(custom_field_definitions(model=Identity)))
    shown = [{**p, "label": labels.get(p.get("field"), p.get("field"))} for p in job.report[:REPORT_ROWS_SHOWN]]
    context = {
        "job": job,
        "running": running,
        "percent": int(job.processed_rows * 100 / job.total_rows) if job.total_rows else 0,
        "report": shown,
        "report_more": max(0, len(job.report) - REPORT_ROWS_SHOWN),
        "error_entries": errors,
        "warning_entries": len(job.report) - errors,
        "can_run_for_real": job.dry_run
        and job.status == ImportJob.Status.DONE
        and (not job.error_count or job.mode == ImportJob.Mode.SKIP_BAD),
    }
    template = "identities/import_job.html"
    if request.htmx:
        template += "#job-status"
    return render(request, template, context)


@login_required
@require_POST
def identity_import_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a configured job, or run a finished dry run for real (as a new job)."""
    _require_import(request.user)
    job = _job_or_404(request, pk)
    try:
        with transaction.atomic():
            if job.status == ImportJob.Status.PENDING:
                job = services.import_job_start(actor=request.user, job=job)
            else:
                job = services.import_job_rerun(actor=request.user, job=job)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("identity_import_job", job.pk)


# ---- vCard export ------------------------------------------------------------------------


def _card(identity: Identity, hidden: set[str], allowed: set[int]) -> str:
    names = [c.name for c in identity.categories.all() if c.pk in allowed]
    return write_card(identity_card_data(identity, hidden=hidden, category_names=names))


def _with_children(qs: Any) -> Any:
    return qs.prefetch_related(
        Prefetch("phones", queryset=Phone.objects.order_by("-is_primary", "id")),
        Prefetch("emails", queryset=Email.objects.order_by("-is_primary", "id")),
        "addresses",
        "websites",
        "categories",
    )


def _vcard_response(content: Any, name: str) -> HttpResponse:
    response_class = HttpResponse if isinstance(content, str) else StreamingHttpResponse
    response = response_class(content, content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=f"{name}.vcf")
    return response


@login_required
def identity_vcard(request: HttpRequest, pk: int) -> HttpResponse:
    identity = selectors.identity_get_for_user(user=request.user, pk=pk)
    if identity is None:
        raise Http404
    hidden = hidden_fields(request.user, Identity)
    return _vcard_response(_card(identity, hidden, accessible_category_ids(request.user)), identity.display_name)


@login_required
def identity_vcard_export(request: HttpRequest) -> HttpResponse:
    """The list's selection (same query string as the list) as one .vcf file, streamed."""
    if not request.user.has_perm("identities.export_identity"):
        raise PermissionDenied
    preset = request.GET.get("preset", "all")
    preset = preset if preset in PRESETS else "all"
    qs = _with_children(
        selectors.identity_list_for_user(user=request.user, filters=list_filters(request, preset)["filters"])
    )
    hidden = hidden_fields(request.user, Identity)
    allowed = accessible_category_ids(request.user)

    def cards() -> Iterator[str]:
        for identity in qs.iterator(chunk_size=500):
            yield _card(identity, hidden, allowed)

    return _vcard_response(cards(), "identities")


urlpatterns = [
    path("import/", identity_import, name="identity_import"),
    path("import/<int:pk>/", identity_import_job, name="identity_import_job"),
    path("import/<int:pk>/mapping/", identity_import_mapping, name="identity_import_mapping"),
    path("import/<int:pk>/start/", identity_import_start, name="identity_import_start"),
    path("vcard/", identity_vcard_export, name="identity_vcard_export"),
    path("<int:pk>/vcard/", identity_vcard, name="identity_vcard"),
]
