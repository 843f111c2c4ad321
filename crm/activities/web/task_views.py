"""Task pages (AC-3, AC-12): the cartable (received / referred / done / overdue /
created), the task form, the task with its assignees and referral chain, refer and done,
announcements to staff, and task types (simple workflows). Reads go through the
activities selectors, writes through its services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from crm.activities import selectors, services
from crm.activities.access import can_change_task
from crm.activities.models import Task, TaskAssignee, TaskReferral
from crm.activities.web.task_forms import (
    AnnouncementForm,
    CartableFilterForm,
    DoneForm,
    ReferForm,
    StepFormSet,
    TaskForm,
    TaskTypeForm,
    step_initial,
)
from crm.core.audit.selectors import audit_entries_for
from crm.core.customfields.forms import add_custom_fields, custom_data_from_form
from crm.core.customfields.selectors import custom_values_display
from crm.core.errors import ApplicationError
from crm.core.i18n.formatting import list_separator
from crm.core.lists.selectors import saved_filters_for
from crm.core.permissions.access import field_access, hidden_fields
from crm.core.web.admin_forms import bootstrapify
from crm.core.web.errors import error_to_form, error_to_message
from crm.core.web.paging import paginate
from crm.identities.selectors import identity_base_for_user, identity_get_for_user, identity_quick_search

BOXES = [
    ("received", gettext_lazy("Received"), "bi-inbox"),
    ("overdue", gettext_lazy("Overdue"), "bi-alarm"),
    ("referred", gettext_lazy("Referred on"), "bi-forward"),
    ("done", gettext_lazy("Done"), "bi-check2-all"),
    ("created", gettext_lazy("Sent by me"), "bi-send"),
]
OPEN = TaskAssignee.State.OPEN


def _next_or(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def _task_or_404(request: HttpRequest, pk: int) -> Task:
    task = selectors.task_get_for_user(user=request.user, pk=pk)
    if task is None:
        raise Http404
    return task


def _may_delete(user: Any, task: Task) -> bool:
    # the same rule task_delete applies (the edit window is checked by the service)
    return bool(user.is_superuser or task.created_by_id == user.pk or user.has_perm("activities.delete_all_task"))


# ---- the cartable ------------------------------------------------------------------------


def _decorate(user: Any, box: str, rows: list[Any]) -> None:
    """Per row of a page: the linked identities the user may see, and from whom it came
    (who referred it to the user, else its creator) or to whom the user referred it."""
    tasks = rows if box == "created" else [row.task for row in rows]
    prefetch_related_objects(
        tasks,
        Prefetch("identities", queryset=identity_base_for_user(user=user), to_attr="visible_identities"),
        Prefetch("referrals", queryset=TaskReferral.objects.select_related("from_user", "to_user")),
    )
    if box == "created":
        return
    for row in rows:
        links = list(row.task.referrals.all())
        if box == "referred":
            mine = [r for r in links if r.from_user_id == user.pk]
            row.referred_to = mine[-1].to_user if mine else None
        else:
            to_me = [r for r in links if r.to_user_id == user.pk]
            row.sender = to_me[-1].from_user if to_me else row.task.created_by
            row.referral_note = to_me[-1].note if to_me else ""


@login_required
def task_cartable(request: HttpRequest) -> HttpResponse:
    box = request.GET.get("box", "received")
    if box not in selectors.CARTABLE_BOXES:
        box = "received"
    form = CartableFilterForm(request.GET if any(k in request.GET for k in CartableFilterForm.base_fields) else None)
    qs = form.apply(selectors.task_cartable(user=request.user, box=box), tasks=box == "created")
    page = paginate(request, qs, per_page=25)
    _decorate(request.user, box, page["rows"])
    return render(
        request,
        "activities/tasks/cartable.html",
        {
            **page,
            "box": box,
            "boxes": BOXES,
            "counts": selectors.task_cartable_counts(user=request.user),
            "form": form,
            "now": timezone.now(),
            "list_key": "task_cartable",
            "saved_filters": saved_filters_for(user=request.user, list_key="task_cartable"),
        },
    )


# ---- create and edit ---------------------------------------------------------------------


def _access(user: Any) -> dict[str, str]:
    return dict(field_access(user, Task))


def _form_page(request: HttpRequest, form: TaskForm, task: Task | None) -> HttpResponse:
    return render(
        request,
        "activities/tasks/task_form.html",
        {
            "form": form,
            "task": task,
            "chosen": form.chosen_identities(),
            "custom_fields": [form[name] for name in form.fields if name.startswith("cf_")],
        },
    )


@login_required
def task_create(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    prefill = request.GET.get("identity", "")
    if prefill.isdigit() and identity_get_for_user(user=request.user, pk=int(prefill)) is not None:
        initial["identities"] = [int(prefill)]
    form = TaskForm(request.POST or None, user=request.user, initial=initial)
    add_custom_fields(form, model=Task, values={}, access=_access(request.user))
    bootstrapify(form)
    if request.method == "POST" and form.is_valid():
        custom = custom_data_from_form(form)
        if not form.errors:
            data = form.cleaned_data
            try:
                task = services.task_create(
                    actor=request.user,
                    values=form.values(),
                    user_ids=[u.pk for u in data["users"]],
                    position_ids=[p.pk for p in data["positions"]],
                    identity_ids=[i.pk for i in data["identities"]],
                    custom=custom,
                )
            except ApplicationError as exc:
                error_to_form(form, exc, prefix="cf_")
            else:
                messages.success(request, _("The task was sent."))
                return redirect("activities:task_detail", task.pk)
    return _form_page(request, form, None)


@login_required
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(request, pk)
    if not can_change_task(request.user, task):
        raise PermissionDenied
    visible = {i.pk for i in identity_base_for_user(user=request.user).filter(pk__in=task.identities.all())}
    kept = [i.pk for i in task.identities.all() if i.pk not in visible]  # ones the user cannot see stay
    initial = {
        "title": task.title,
        "description": task.description,
        "priority": task.priority,
        "status": task.status,
        "due_at": task.due_at,
        "identities": sorted(visible),
    }
    form = TaskForm(request.POST or None, user=request.user, initial=initial, editing=True)
    add_custom_fields(form, model=Task, values=task.custom, access=_access(request.user))
    bootstrapify(form)
    if request.method == "POST" and form.is_valid():
        custom = custom_data_from_form(form)
        if not form.errors:
            try:
                services.task_update(
                    actor=request.user,
                    task=task,
                    values=form.values(),
                    identity_ids=[i.pk for i in form.cleaned_data["identities"]] + kept,
                    custom=custom,
                )
            except ApplicationError as exc:
                error_to_form(form, exc, prefix="cf_")
            else:
                messages.success(request, _("Saved."))
                return redirect("activities:task_detail", task.pk)
    return _form_page(request, form, task)


@login_required
def task_identity_search(request: HttpRequest) -> HttpResponse:
    """The identity picker of the task form (htmx): `q` lists matches, `pick` gives the
    chip of one chosen identity. Only identities the user may see."""
    picked = request.GET.get("pick", "")
    if picked.isdigit():
        identity = identity_get_for_user(user=request.user, pk=int(picked))
        if identity is None:
            raise Http404
        return render(request, "activities/tasks/identity_picker.html#chip", {"identity": identity})
    text = request.GET.get("q", "").strip()
    results = identity_quick_search(user=request.user, text=text) if text else []
    return render(request, "activities/tasks/identity_picker.html#results", {"results": results, "q": text})


# ---- the task ----------------------------------------------------------------------------


def _chain(task: Task, history: list[Any]) -> list[dict[str, Any]]:
    """The task's life as one timeline: created (and for whom: the rows opened with it),
    each referral with its note, each "done" with its note. An announcement's many
    "done"s stay in the assignee table instead."""
    rows = list(task.assignees.all())
    opened = min((r.received_at for r in rows if r.received_at), default=None)
    first = [r.user for r in rows if opened and r.received_at == opened]
    events: list[dict[str, Any]] = [{"kind": "created", "at": task.created_at, "from": task.created_by, "to": first}]
    events += [
        {"kind": "referred", "at": r.at, "from": r.from_user, "to": [r.to_user], "note": r.note}
        for r in task.referrals.all()
    ]
    if not task.is_announcement:
        events += [
            {"kind": "done", "at": e.created_at, "from": e.actor, "note": (e.changes or {}).get("note", "")}
            for e in history
            if e.action == "task.done"
        ]
    return sorted(events, key=lambda e: e["at"])


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(request, pk)
    user = request.user
    rows = list(task.assignees.all())
    mine = next((r for r in rows if r.user_id == user.pk and r.state == OPEN), None)
    history = audit_entries_for(target=task, hidden=hidden_fields(user, Task))
    steps = {s.order: s.title for s in task.task_type.steps.all()} if task.task_type is not None else {}
    return render(
        request,
        "activities/tasks/task_detail.html",
        {
            "task": task,
            "rows": rows,
            "steps": steps,
            "mine": mine,
            "identities": list(identity_base_for_user(user=user).filter(pk__in=task.identities.all())),
            "custom_values": custom_values_display(obj=task, hidden=hidden_fields(user, Task)),
            "chain": _chain(task, history),
            "history": history,
            "refer_form": ReferForm(user=user) if mine and not task.closed_at else None,
            "done_form": DoneForm() if mine and not task.closed_at else None,
            "can_edit": can_change_task(user, task),
            "can_delete": _may_delete(user, task),
            "now": timezone.now(),
            "sep": list_separator(),
        },
    )


@login_required
@require_POST
def task_refer(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(request, pk)
    form = ReferForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return redirect("activities:task_detail", task.pk)
    try:
        services.task_refer(
            actor=request.user, task=task, to_user=form.cleaned_data["to_user"], note=form.cleaned_data["note"]
        )
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("activities:task_detail", task.pk)
    messages.success(request, _("Referred to %(who)s.") % {"who": form.cleaned_data["to_user"]})
    return redirect(_next_or(request, reverse("activities:task_detail", args=[task.pk])))


@login_required
@require_POST
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(request, pk)
    form = DoneForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.task_done(actor=request.user, task=task, note=note)
    except ApplicationError as exc:
        error_to_message(request, exc)
    else:
        messages.success(request, _("Marked done: %(title)s") % {"title": task.title})
    return redirect(_next_or(request, reverse("activities:task_detail", args=[task.pk])))


@login_required
@require_POST
def task_delete(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(request, pk)
    try:
        services.task_delete(actor=request.user, task=task)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("activities:task_detail", task.pk)
    messages.success(request, _("The task was deleted."))
    return redirect(f"{reverse('activities:task_cartable')}?box=created")


# ---- announcements -----------------------------------------------------------------------


@login_required
def announcement_create(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("activities.announce"):
        raise PermissionDenied
    form = AnnouncementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            task = services.announcement_send(
                actor=request.user,
                title=data["title"],
                description=data["description"],
                department_ids=[d.pk for d in data["departments"]],
                due_at=data["due_at"],
            )
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            sent = task.assignees.count()
            messages.success(
                request,
                ngettext(
                    "The announcement was sent to %(n)s person.", "The announcement was sent to %(n)s people.", sent
                )
                % {"n": sent},
            )
            return redirect("activities:task_detail", task.pk)
    return render(request, "activities/tasks/announcement_form.html", {"form": form})


# ---- task types (simple workflows, AC-12) ------------------------------------------------


def _require_task_types(user: Any) -> None:
    if not (user.has_perm("activities.add_tasktype") or user.has_perm("activities.view_tasktype")):
        raise PermissionDenied


@login_required
def task_type_list(request: HttpRequest) -> HttpResponse:
    _require_task_types(request.user)
    types = selectors.task_types(active_only=False).prefetch_related("steps__user", "steps__position__department")
    return render(request, "activities/tasks/task_type_list.html", {"types": types})


@login_required
def task_type_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not request.user.has_perm("activities.add_tasktype"):
        raise PermissionDenied
    task_type = selectors.task_types(active_only=False).filter(pk=pk).first() if pk else None
    if pk and task_type is None:
        raise Http404
    data = request.POST or None
    form = TaskTypeForm(data, initial={"name": task_type.name, "active": task_type.active} if task_type else None)
    steps = StepFormSet(data, prefix="steps", initial=step_initial(task_type) if task_type else None)
    if data is not None and form.is_valid() and steps.is_valid():
        chosen = [s for s in (f.step() for f in steps.ordered_forms) if s]
        try:
            saved = services.task_type_save(
                actor=request.user,
                name=form.cleaned_data["name"],
                active=form.cleaned_data["active"],
                steps=chosen,
                task_type=task_type,
            )
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("activities:task_type_edit", saved.pk)
    return render(
        request,
        "activities/tasks/task_type_form.html",
        {"form": form, "steps": steps, "task_type": task_type},
    )


urlpatterns = [
    path("tasks/", task_cartable, name="task_cartable"),
    path("tasks/new/", task_create, name="task_create"),
    path("tasks/identities/", task_identity_search, name="task_identity_search"),
    path("tasks/announce/", announcement_create, name="announcement_create"),
    path("tasks/<int:pk>/", task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", task_edit, name="task_edit"),
    path("tasks/<int:pk>/refer/", task_refer, name="task_refer"),
    path("tasks/<int:pk>/done/", task_done, name="task_done"),
    path("tasks/<int:pk>/delete/", task_delete, name="task_delete"),
    path("task-types/", task_type_list, name="task_type_list"),
    path("task-types/new/", task_type_edit, name="task_type_create"),
    path("task-types/<int:pk>/", task_type_edit, name="task_type_edit"),
]
