"""Work reports and performance figures (AC-11): one's own daily/weekly reports (draft,
then submitted and frozen), the reports of the staff one manages, and simple figures
per person for a period in the user's calendar."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.activities import selectors, services
from crm.activities.models import WorkReport
from crm.activities.web.item_views import prefill_identity, service_error_to_form, visible_identity_ids
from crm.activities.web.report_forms import (
    MAX_LINES,
    PerformanceForm,
    ReportFilterForm,
    WorkReportForm,
    line_formset,
    month_start,
)
from crm.core.errors import ApplicationError
from crm.core.web.paging import paginate


def _report_or_404(request: HttpRequest, pk: int) -> WorkReport:
    report = selectors.work_report_get_for_user(user=request.user, pk=pk)
    if report is None:
        raise Http404
    return report


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    staff = selectors.performance_staff(user=user)
    form = ReportFilterForm(request.GET or None, staff=staff)
    staff_id = form.value("staff") if "staff" in form.fields else None
    qs = selectors.work_report_list_for_user(user=user, staff_id=staff_id)
    if form.value("period"):
        qs = qs.filter(period=form.value("period"))
    qs = qs.annotate(line_count=Count("lines"), total_minutes=Sum("lines__minutes")).order_by("-date_from", "-id")
    page = paginate(request, qs)
    return render(
        request,
        "activities/reports/report_list.html",
        {**page, "form": form, "many_staff": len(staff) > 1},
    )


def _lines_initial(report: WorkReport | None, request: HttpRequest) -> list[dict[str, Any]]:
    if report is None:
        identity_id = prefill_identity(request)
        return [{"identity": identity_id}] if identity_id else []
    return [{"text": line.text, "identity": line.identity_id, "minutes": line.minutes} for line in report.lines.all()]


def _report_form_page(request: HttpRequest, report: WorkReport | None) -> HttpResponse:
    user = request.user
    initial = (
        {
            "period": report.period,
            "date_from": report.date_from,
            "date_to": report.date_to,
            "summary": report.summary,
        }
        if report
        else {}
    )
    data = request.POST.copy() if request.method == "POST" else None
    add_row = data is not None and "add_row" in data
    if add_row:  # "Add a line" without JS: one more blank row, nothing saved
        total = data.get("lines-TOTAL_FORMS", "")
        data["lines-TOTAL_FORMS"] = str(min(int(total) + 1, MAX_LINES)) if total.isdigit() else total
    lines_initial = _lines_initial(report, request)
    form = WorkReportForm(data, initial=initial)
    lines = line_formset(data, user=user, initial=lines_initial, extra=1 if report else 3)
    if data is not None and not add_row and form.is_valid() and lines.is_valid():
        rows = [p for p in (f.payload() for f in lines.forms if f.cleaned_data) if p]
        try:
            report = services.work_report_save(
                actor=user,
                values=form.values(),
                lines=rows,
                report=report,
                submit=data.get("action") == "submit",
            )
        except ApplicationError as exc:
            service_error_to_form(form, exc)
        else:
            if report.submitted_at:
                messages.success(request, _("The report was submitted."))
            else:
                messages.success(request, _("The draft was saved."))
            return redirect("activities:report_detail", report.pk)
    elif add_row:  # not a save: no "required" errors yet
        for shown in (form, *lines.forms):
            shown.full_clean()
            shown.errors.clear()
    return render(request, "activities/reports/report_form.html", {"form": form, "lines": lines, "report": report})


@login_required
def report_create(request: HttpRequest) -> HttpResponse:
    return _report_form_page(request, None)


@login_required
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report_or_404(request, pk)
    if report.user_id != request.user.pk:
        messages.error(request, _("Only the author may change a work report."))
        return redirect("activities:report_detail", report.pk)
    if report.submitted_at:
        messages.error(request, _("This report was submitted and can no longer be changed."))
        return redirect("activities:report_detail", report.pk)
    return _report_form_page(request, report)


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report_or_404(request, pk)
    lines = list(report.lines.all())
    visible = visible_identity_ids(request.user, [ln.identity_id for ln in lines if ln.identity_id])
    for line in lines:
        line.identity_visible = line.identity_id in visible
    return render(
        request,
        "activities/reports/report_detail.html",
        {
            "report": report,
            "lines": lines,
            "total_minutes": sum(ln.minutes or 0 for ln in lines),
            "can_change": report.user_id == request.user.pk and not report.submitted_at,
        },
    )


@login_required
def report_performance(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    defaults = {"since": month_start(today), "until": today}
    form = PerformanceForm(
        request.GET if request.GET.get("since") or request.GET.get("until") else None, initial=defaults
    )
    if form.is_bound and form.is_valid():
        since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    else:
        since, until = defaults["since"], defaults["until"]
    rows = selectors.performance(user=request.user, since=since, until=until) if not form.errors else []
    keys = ("tasks_done", "calls", "meetings", "reports")
    totals = {key: sum(row[key] for row in rows) for key in keys}
    return render(
        request,
        "activities/reports/performance.html",
        {"form": form, "rows": rows, "totals": totals, "since": since, "until": until},
    )


urlpatterns = [
    path("reports/", report_list, name="report_list"),
    path("reports/new/", report_create, name="report_create"),
    path("reports/performance/", report_performance, name="report_performance"),
    path("reports/<int:pk>/", report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", report_edit, name="report_edit"),
]
