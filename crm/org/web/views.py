"""HTML pages of the organisation: departments, positions, appointments, substitutes,
users, employee cards, mail settings and the user's own preferences."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.audit.selectors import audit_entries_for
from crm.core.errors import ApplicationError
from crm.core.i18n.middleware import SESSION_LANGUAGE
from crm.core.web.errors import error_to_form, error_to_message
from crm.core.web.forms import PreferencesForm
from crm.org import selectors, services
from crm.org.models import MailServerSettings
from crm.org.web.forms import (
    AppointmentEndForm,
    AppointmentForm,
    DepartmentForm,
    MailSettingsForm,
    PositionForm,
    SubstitutionForm,
    UserCreateForm,
)


def _or_404(obj: Any) -> Any:
    if obj is None:
        raise Http404
    return obj


def _saved(request: HttpRequest, target: str, *args: Any) -> HttpResponse:
    messages.success(request, _("Saved."))
    return redirect(target, *args)


@login_required
def org_chart(request: HttpRequest) -> HttpResponse:
    departments = list(selectors.department_list_for_user(user=request.user))
    positions = list(selectors.position_list_for_user(user=request.user))
    by_department: dict[int, list[Any]] = {}
    for position in positions:
        by_department.setdefault(position.department_id, []).append(position)
    return render(
        request, "org/org_chart.html", {"departments": [(d, by_department.get(d.pk, [])) for d in departments]}
    )


@login_required
@permission_required("org.add_department", raise_exception=True)
def department_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    department = _or_404(selectors.department_get_for_user(user=request.user, pk=pk)) if pk else None
    initial = (
        {"name": department.name, "code": department.code, "parent": department.parent, "active": department.active}
        if department
        else {}
    )
    form = DepartmentForm(request.POST or None, initial=initial)
    if department:
        form.fields["parent"].queryset = selectors.department_list_for_user(user=request.user).exclude(
            path__startswith=department.path
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if department:
                services.department_update(actor=request.user, department=department, **data)
            else:
                services.department_create(
                    actor=request.user, name=data["name"], parent=data["parent"], code=data["code"]
                )
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            return _saved(request, "org_chart")
    history = audit_entries_for(target=department) if department else []
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("Department"),
            "back": "org_chart",
            "history": history,
            "object": department,
            "delete_url": "department_delete" if department else None,
        },
    )


@login_required
@require_POST
def department_delete(request: HttpRequest, pk: int) -> HttpResponse:
    department = _or_404(selectors.department_get_for_user(user=request.user, pk=pk))
    try:
        services.department_delete(actor=request.user, department=department)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("department_edit", pk)
    messages.success(request, _("Deleted."))
    return redirect("org_chart")


@login_required
@permission_required("org.view_position", raise_exception=True)
def position_list(request: HttpRequest) -> HttpResponse:
    return render(request, "org/position_list.html", {"positions": selectors.position_list_for_user(user=request.user)})


@login_required
@permission_required("org.add_position", raise_exception=True)
def position_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    position = _or_404(selectors.position_get_for_user(user=request.user, pk=pk)) if pk else None
    initial = (
        {
            "title": position.title,
            "department": position.department,
            "reports_to": position.reports_to,
            "is_manager": position.is_manager,
            "active": position.active,
            "permissions": list(position.permissions.all()),
        }
        if position
        else {"department": request.GET.get("department")}
    )
    form = PositionForm(request.POST or None, initial=initial)
    if position:
        form.fields["reports_to"].queryset = form.fields["reports_to"].queryset.exclude(pk=position.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.position_save(
                actor=request.user,
                position=position,
                title=data["title"],
                department=data["department"],
                reports_to=data["reports_to"],
                is_manager=data["is_manager"],
                active=data["active"],
                permissions=list(data["permissions"]),
            )
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            return _saved(request, "position_list")
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": _("Position"),
            "back": "position_list",
            "history": audit_entries_for(target=position) if position else [],
            "object": position,
        },
    )


@login_required
@permission_required("org.view_appointment", raise_exception=True)
def appointment_list(request: HttpRequest) -> HttpResponse:
    active_only = request.GET.get("all") != "1"
    return render(
        request,
        "org/appointment_list.html",
        {
            "appointments": selectors.appointment_list_for_user(user=request.user, active_only=active_only)[:500],
            "substitutions": selectors.substitution_list_for_user(user=request.user)[:200],
            "active_only": active_only,
        },
    )


@login_required
@permission_required("org.add_appointment", raise_exception=True)
def appointment_create(request: HttpRequest) -> HttpResponse:
    form = AppointmentForm(request.POST or None, initial={"position": request.GET.get("position")})
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            return _saved(request, "appointment_list")
    return render(
        request, "form_page.html", {"form": form, "title": _("Appoint to a position"), "back": "appointment_list"}
    )


@login_required
@permission_required("org.change_appointment", raise_exception=True)
def appointment_end(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _or_404(selectors.appointment_get_for_user(user=request.user, pk=pk))
    form = AppointmentEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_end(actor=request.user, appointment=appointment, **form.cleaned_data)
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            return _saved(request, "appointment_list")
    return render(
        request,
        "form_page.html",
        {
            "form": form,
            "title": str(appointment),
            "back": "appointment_list",
            "history": audit_entries_for(target=appointment),
            "object": appointment,
        },
    )


@login_required
@permission_required("org.add_substitution", raise_exception=True)
def substitution_create(request: HttpRequest) -> HttpResponse:
    form = SubstitutionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.substitution_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            return _saved(request, "appointment_list")
    return render(
        request, "form_page.html", {"form": form, "title": _("Substitute for a position"), "back": "appointment_list"}
    )


@login_required
@require_POST
def substitution_delete(request: HttpRequest, pk: int) -> HttpResponse:
    substitution = _or_404(selectors.substitution_get_for_user(user=request.user, pk=pk))
    try:
        services.substitution_delete(actor=request.user, substitution=substitution)
    except ApplicationError as exc:
        error_to_message(request, exc)
    return redirect("appointment_list")


@login_required
@permission_required("org.view_user", raise_exception=True)
def user_list(request: HttpRequest) -> HttpResponse:
    users = selectors.user_list_for_user(user=request.user, search=request.GET.get("q", "")).prefetch_related(
        "appointments__position"
    )[:500]
    return render(request, "org/user_list.html", {"users": users})


@login_required
@permission_required("org.add_user", raise_exception=True)
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            return _saved(request, "user_list")
    return render(request, "form_page.html", {"form": form, "title": _("New user"), "back": "user_list"})


@login_required
@require_POST
def user_toggle_active(request: HttpRequest, pk: int) -> HttpResponse:
    target = _or_404(selectors.user_get_for_user(user=request.user, pk=pk))
    try:
        services.user_set_active(actor=request.user, user=target, active=not target.is_active)
    except ApplicationError as exc:
        error_to_message(request, exc)
    return redirect("user_list")


@login_required
@permission_required("org.change_mailserversettings", raise_exception=True)
def mail_settings(request: HttpRequest) -> HttpResponse:
    current = MailServerSettings.objects.first()
    initial = (
        {f: getattr(current, f) for f in MailSettingsForm.base_fields if not f.endswith("password")} if current else {}
    )
    form = MailSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.mail_settings_save(actor=request.user, values=dict(form.cleaned_data))
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            return _saved(request, "mail_settings")
    stored = {"smtp": bool(current and current.smtp_password), "imap": bool(current and current.imap_password)}
    return render(
        request,
        "org/mail_settings.html",
        {"form": form, "stored": stored, "history": audit_entries_for(target=current) if current else []},
    )


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm(
        request.POST or None,
        initial={
            "language": user.language,
            "calendar": user.calendar,
            "notify_by_email": user.notify_by_email,
            "notify_by_sms": user.notify_by_sms,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.user_preferences_set(actor=user, **form.cleaned_data)
        request.session[SESSION_LANGUAGE] = form.cleaned_data["language"]
        return _saved(request, "preferences")
    return render(request, "org/preferences.html", {"form": form, "positions": selectors.user_positions(user=user)})
