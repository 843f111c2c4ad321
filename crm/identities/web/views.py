"""Identity pages (ID-1…ID-8): the lists (all, customers, mine) with filters, saved
filters and export; the create/edit form; the profile with its tabs and actions; quick
search. Each view parses input with a form, reads through a scoped selector, calls one
service and renders."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.core.audit.selectors import audit_entries_for
from crm.core.customfields.forms import add_custom_fields, custom_data_from_form
from crm.core.customfields.selectors import (
    custom_field_definitions,
    custom_order,
    custom_value_display,
    custom_values_display,
)
from crm.core.errors import ApplicationError
from crm.core.i18n.calendars import parse_user_date
from crm.core.i18n.digits import to_latin_digits
from crm.core.i18n.formatting import list_separator
from crm.core.lists.export import export_response
from crm.core.lists.selectors import saved_filters_for
from crm.core.permissions.access import can, field_access, hidden_fields
from crm.core.timeline.selectors import timeline_page
from crm.core.web.admin_forms import bootstrapify
from crm.core.web.errors import error_to_form, error_to_message
from crm.core.web.paging import paginate
from crm.identities import selectors, services
from crm.identities.access import accessible_category_ids
from crm.identities.errors import IdentityErrorCode
from crm.identities.models import Identity, Phone
from crm.identities.phones import display_phone
from crm.identities.profile import profile_actions, profile_facts, profile_tabs
from crm.identities.web import category_views
from crm.identities.web.forms import (
    MAX_ROWS,
    NESTED,
    SORT_CHOICES,
    AddPhoneForm,
    ContactLinkForm,
    CustomerNumberForm,
    IdentityFilterForm,
    IdentityForm,
    NestedRows,
    active_users,
    nested_initial,
)

# preset -> (saved-filter list key, page title, default sort)
PRESETS = {
    "all": ("identities", gettext_lazy("Identities"), "-id"),
    "customers": ("customers", gettext_lazy("Customers"), "customer_number"),
    "mine": ("my_identities", gettext_lazy("My assigned identities"), "-id"),
}
TABS = [
    ("details", gettext_lazy("Details")),
    ("history", gettext_lazy("History")),
    ("changes", gettext_lazy("Changes")),
    ("contacts", gettext_lazy("Contacts")),
]
FILTERABLE_CUSTOM = {"choice", "multi_choice", "text", "long_text", "number", "money", "date"}
NESTED_NAMES = {name for name, *_rest in NESTED}
SORTABLE_CUSTOM = {"choice", "text", "number", "money", "date", "datetime"}


def _require_view(user: Any) -> None:
    if not (user.has_perm("identities.view_identity") or user.has_perm("identities.view_all_identity")):
        raise PermissionDenied


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 100000))
    except ValueError:
        return 1


# ---- lists -------------------------------------------------------------------------------


def _custom_filters(request: HttpRequest, definitions: list[Any]) -> list[tuple[Any, str, Any]]:
    """cf_<key>=value filters: choice/date/number equal, text contains, multi choice has."""
    found = []
    for definition in definitions:
        raw = request.GET.get(f"cf_{definition.key}", "").strip()
        if not raw or definition.kind not in FILTERABLE_CUSTOM:
            continue
        value: Any = raw
        op = {"multi_choice": "has", "text": "contains", "long_text": "contains"}.get(definition.kind, "eq")
        if definition.kind in ("number", "money"):
            try:
                value = Decimal(to_latin_digits(raw).replace("٬", "").replace(",", "").replace("٫", "."))
            except InvalidOperation:
                value = None
        elif definition.kind == "date":
            parsed = parse_user_date(raw)
            value = parsed.isoformat() if parsed else None
        if value is None:
            messages.warning(request, _("The filter on “%(field)s” is not valid.") % {"field": definition.label})
            continue
        found.append((definition, op, value))
    return found


def _filters(request: HttpRequest, preset: str) -> dict[str, Any]:
    user = request.user
    users = list(active_users())
    form = IdentityFilterForm(request.GET, categories=selectors.categories_for_user(user=user), users=users)
    hidden = hidden_fields(user, Identity)
    definitions = [d for d in custom_field_definitions(model=Identity) if f"custom.{d.key}" not in hidden]
    filters = selectors.IdentityFilters(
        q=form.value("q") or "",
        kind=form.value("kind") or "",
        category=form.value("category"),
        customers_only=bool(form.value("customers")) or preset == "customers",
        unknown=True if form.value("unknown") else None,
        city=(form.value("city") or "").strip(),
        colour=form.value("colour") or "",
        class_code=to_latin_digits(form.value("class_code") or "").strip(),
        custom=_custom_filters(request, definitions),
    )
    assigned = form.value("assigned")
    if preset == "mine" or assigned == "me":
        filters.assigned_to = user
    elif assigned:
        filters.assigned_to = next((u for u in users if str(u.pk) == assigned), None)
    sort = request.GET.get("sort") or PRESETS[preset][2]
    custom_sort = next((d for d in definitions if sort.lstrip("-") == f"cf_{d.key}"), None)
    if custom_sort is None and sort not in dict(SORT_CHOICES):
        sort = PRESETS[preset][2]
    filters.sort = sort
    return {
        "filters": filters,
        "form": form,
        "definitions": definitions,
        "hidden": hidden,
        "sort": sort,
        "custom_sort": custom_sort,
    }


def _visible_categories(user: Any, identity: Identity) -> list[Any]:
    allowed = accessible_category_ids(user)
    return [c for c in identity.categories.all() if c.pk in allowed]


def _first(related: Any, show: Any) -> str:
    """A value of the first row of a prefetched relation (primary phone/email come first)."""
    item = next(iter(related.all()), None)
    return show(item) if item is not None else ""


def _export(request: HttpRequest, qs: QuerySet[Identity], parsed: dict[str, Any]) -> HttpResponse:
    if not request.user.has_perm("identities.export_identity"):
        raise PermissionDenied
    hidden, user = parsed["hidden"], request.user

    columns = [
        (label, getter)
        for name, label, getter in (
            ("display_name", _("Name"), lambda i: i.display_name),
            ("kind", _("Kind"), lambda i: i.get_kind_display()),
            ("customer_number", _("Customer number"), lambda i: i.customer_number or ""),
            ("phones", _("Primary phone"), lambda i: _first(i.phones, lambda p: display_phone(p.number))),
            ("emails", _("Email"), lambda i: _first(i.emails, lambda e: e.address)),
            ("addresses", _("City"), lambda i: _first(i.addresses, lambda a: a.city)),
            (
                "categories",
                _("Categories"),
                lambda i: list_separator().join(c.name for c in _visible_categories(user, i)),
            ),
        )
        if name not in hidden
    ]
    columns += [(d.label, lambda i, d=d: custom_value_display(d, i.custom.get(d.key))) for d in parsed["definitions"]]
    rows = selectors.identity_list_rows(qs).prefetch_related("addresses").iterator(chunk_size=2000)
    return export_response(
        fmt=request.GET["export"],
        rows=rows,
        columns=columns,
        filename=PRESETS[parsed["preset"]][0],
        rtl=request.LANGUAGE_CODE == "fa",
    )


@login_required
def identity_list(request: HttpRequest, preset: str = "all") -> HttpResponse:
    _require_view(request.user)
    parsed = _filters(request, preset) | {"preset": preset}
    qs = selectors.identity_list_for_user(user=request.user, filters=parsed["filters"])
    if parsed["custom_sort"] is not None:
        qs = custom_order(qs, definition=parsed["custom_sort"], descending=parsed["sort"].startswith("-"))
    if request.GET.get("export") in ("csv", "xlsx"):
        return _export(request, qs, parsed)
    page = paginate(request, selectors.identity_list_rows(qs))
    for row in page["rows"]:
        row.visible_categories = _visible_categories(request.user, row)
    list_key, title, _sort = PRESETS[preset]
    more = ("unknown", "assigned", "city", "colour", "class_code", "customers")
    return render(
        request,
        "identities/identity_list.html",
        {
            **page,
            **parsed,
            "list_key": list_key,
            "title": title,
            "saved_filters": saved_filters_for(user=request.user, list_key=list_key),
            "sort_choices": SORT_CHOICES,
            "sortable": [d for d in parsed["definitions"] if d.kind in SORTABLE_CUSTOM],
            "filterable": [d for d in parsed["definitions"] if d.kind in FILTERABLE_CUSTOM],
            "columns": [d for d in parsed["definitions"] if d.kind not in ("long_text", "file")][:2],
            "more_open": any(request.GET.get(n) for n in more)
            or any(k.startswith("cf_") and v for k, v in request.GET.items()),
            "can_export": request.user.has_perm("identities.export_identity"),
        },
    )


@login_required
def identity_quick_search(request: HttpRequest) -> HttpResponse:
    """The widget's live results (htmx); without htmx, the list page searched for the text."""
    _require_view(request.user)
    text = request.GET.get("q", "").strip()
    if not request.htmx:
        return redirect(f"{reverse('identity_list')}?{urlencode({'q': text})}")
    results = selectors.identity_quick_search(user=request.user, text=text)
    prefetch_related_objects(results, Prefetch("phones", queryset=Phone.objects.order_by("-is_primary", "id")))
    return render(request, "identities/widgets/quick_search.html#results", {"results": results, "q": text})


# ---- the form ----------------------------------------------------------------------------


def _identity_or_404(request: HttpRequest, pk: int, include_deleted: bool = False) -> Identity:
    identity = selectors.identity_get_for_user(user=request.user, pk=pk, include_deleted=include_deleted)
    if identity is None:
        raise Http404
    return identity


def _initial(identity: Identity | None) -> dict[str, Any]:
    if identity is None:
        return {}
    names = [*IdentityForm.PERSON_FIELDS, *IdentityForm.ORGANISATION_FIELDS, *IdentityForm.DETAIL_FIELDS, "kind"]
    return {n: getattr(identity, n) for n in names} | {
        "categories": [c.pk for c in identity.categories.all()],
        "assignees": [u.pk for u in identity.assignees.all()],
    }


def _save(
    request: HttpRequest,
    *,
    identity: Identity | None,
    form: IdentityForm,
    nested: NestedRows,
    custom: dict[str, Any],
    convert: bool,
) -> Identity:
    values: dict[str, Any] = {**form.core_values(), **nested.values(), "custom": custom}
    if "categories" in form.fields:
        # categories the user cannot see stay on the identity (services._set_categories)
        values["categories"] = list(form.cleaned_data["categories"])
    assignees = list(form.cleaned_data["assignees"]) if "assignees" in form.fields else None
    if identity is None:
        return services.identity_create(actor=request.user, assignees=assignees, **values)
    with transaction.atomic():
        # experts first: the update may take the identity out of the categories the user sees
        if assignees is not None and {u.pk for u in assignees} != {u.pk for u in identity.assignees.all()}:
            services.identity_assign(actor=request.user, identity=identity, users=assignees)
        if convert:
            identity = services.unknown_convert(actor=request.user, identity=identity, **values)
        else:
            identity = services.identity_update(actor=request.user, identity=identity, **values)
    return identity


def _service_error_to_forms(form: IdentityForm, nested: NestedRows, exc: ApplicationError) -> None:
    """Service errors land on the field (or the nested row) they are about."""
    code = getattr(exc, "code", None)
    value = str(exc.params.get("value", ""))
    if code == IdentityErrorCode.INVALID_PHONE and nested.error_to_row("phones", "number", value, exc.message):
        return
    if code == IdentityErrorCode.INVALID_EMAIL and nested.error_to_row("emails", "address", value, exc.message):
        return
    if code in (IdentityErrorCode.INVALID_PHONE, IdentityErrorCode.INVALID_EMAIL):
        form.add_error(None, exc.message)
        return
    if code == IdentityErrorCode.NAME_REQUIRED and form.cleaned_data.get("kind") == Identity.Kind.ORGANISATION:
        form.add_error("organisation_name" if "organisation_name" in form.fields else None, exc.message)
        return
    error_to_form(form, exc, prefix="cf_")


@login_required
def identity_edit(request: HttpRequest, pk: int | None = None, convert: bool = False) -> HttpResponse:
    identity = _identity_or_404(request, pk) if pk else None
    if identity is None and not request.user.has_perm("identities.add_identity"):
        raise PermissionDenied
    if identity is not None and not can(request.user, "change", identity):
        messages.error(request, _("You may not change this identity."))
        return redirect("identity_detail", identity.pk)
    if convert and not identity.is_unknown:
        return redirect("identity_edit", identity.pk)
    access = field_access(request.user, Identity)
    data = request.POST.copy() if request.method == "POST" else None
    add_row = data.pop("add_row", [""])[0] if data is not None else ""
    if add_row in NESTED_NAMES:  # "Add a row" (no JS): one more blank row, nothing saved
        key = f"{add_row}-TOTAL_FORMS"
        total = data.get(key, "")
        data[key] = str(min(int(total) + 1, MAX_ROWS)) if total.isdigit() else total
    form = IdentityForm(
        data,
        request.FILES or None,
        initial=_initial(identity),
        categories=selectors.categories_for_user(user=request.user),
        assignee_ids=[u.pk for u in identity.assignees.all()] if identity else (),
    )
    form.apply_access(access)
    add_custom_fields(form, model=Identity, values=identity.custom if identity else {}, access=access)
    bootstrapify(form)  # the custom fields too
    nested = NestedRows(data, initial=nested_initial(identity) if identity else None, access=access)
    if add_row:
        form.full_clean()
        form.errors.clear()  # not a save: no "required" errors yet
    elif data is not None and all([form.is_valid(), nested.is_valid()]):
        custom = custom_data_from_form(form)  # may refuse an upload: then the form shows why
        try:
            saved = (
                None
                if form.errors
                else _save(request, identity=identity, form=form, nested=nested, custom=custom, convert=convert)
            )
        except ApplicationError as exc:
            _service_error_to_forms(form, nested, exc)
        else:
            if (
                saved is not None
                and not selectors.identity_base_for_user(user=request.user).filter(pk=saved.pk).exists()
            ):
                messages.success(request, _("Saved. The identity is now only in categories you cannot open."))
                return redirect("identity_list")
            if saved is not None:
                messages.success(request, _("Saved."))
                return redirect("identity_detail", saved.pk)
    return render(
        request,
        "identities/identity_form.html",
        {
            "form": form,
            "nested": nested,
            "identity": identity,
            "convert": convert,
            "readonly_lists": {n: lvl for n, lvl in access.items() if lvl == "view"},
        },
    )


@login_required
def identity_convert(request: HttpRequest, pk: int) -> HttpResponse:
    return identity_edit(request, pk, convert=True)


# ---- the profile -------------------------------------------------------------------------


def _changes(identity: Identity, hidden: set[str]) -> list[Any]:
    entries = audit_entries_for(target=identity, hidden=hidden)
    hidden_custom = {n.removeprefix("custom.") for n in hidden if n.startswith("custom.")}
    for entry in entries:  # the 'created' entry carries all custom values in one dict
        pair = entry.changes.get("custom") if isinstance(entry.changes, dict) else None
        if hidden_custom and isinstance(pair, list):
            entry.changes["custom"] = [
                {k: v for k, v in (side or {}).items() if k not in hidden_custom} if isinstance(side, dict) else side
                for side in pair
            ]
    return entries


def _contacts(request: HttpRequest, identity: Identity) -> dict[str, Any]:
    """Contact persons of an organisation, or the organisations a person speaks for;
    only identities the user may see are listed."""
    is_org = identity.kind == Identity.Kind.ORGANISATION
    links = list(identity.contact_links.all() if is_org else identity.organisation_links.all())
    others = [link.person if is_org else link.organisation for link in links]
    visible = set(
        selectors.identity_base_for_user(user=request.user)
        .filter(pk__in=[o.pk for o in others])
        .values_list("pk", flat=True)
    )
    rows = [(link, other) for link, other in zip(links, others, strict=True) if other.pk in visible]
    find = request.GET.get("find", "").strip()
    want = Identity.Kind.PERSON if is_org else Identity.Kind.ORGANISATION
    found = []
    if find:
        taken = {o.pk for o in others} | {identity.pk}
        found = [
            i
            for i in selectors.identity_quick_search(user=request.user, text=find, limit=20)
            if i.kind == want and i.pk not in taken
        ]
    return {"contact_rows": rows, "find": find, "found": found, "link_form": ContactLinkForm()}


@login_required
def identity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    identity = _identity_or_404(request, pk, include_deleted=True)
    extra_tabs = {t.key: t for t in profile_tabs(request.user)}
    tabs = TABS + [(t.key, t.label) for t in extra_tabs.values()]
    tab = request.GET.get("tab", "details")
    tab = tab if tab in dict(tabs) else "details"
    hidden = hidden_fields(request.user, Identity)
    context: dict[str, Any] = {
        "identity": identity,
        "tab": tab,
        "tabs": tabs,
        "facts": profile_facts(request.user, identity),
        "actions": [] if identity.is_deleted else profile_actions(request.user, identity),
        "hidden": hidden,
        "categories": _visible_categories(request.user, identity),
        "can_change": can(request.user, "change", identity),
        "can_delete": can(request.user, "delete", identity),
        "can_give_number": request.user.has_perm("identities.assign_customer_number"),
    }
    if tab == "details":
        context |= {
            "custom_values": custom_values_display(obj=identity, hidden=hidden),
            "phone_form": AddPhoneForm(initial={"number": request.GET.get("phone", "")}),
            "number_form": CustomerNumberForm(),
        }
    elif tab == "history":
        context |= timeline_page(user=request.user, identity_id=identity.pk, page=_page_number(request))
    elif tab in extra_tabs:
        context |= {"extra_tab": True, "extra_tab_html": extra_tabs[tab].render(request, identity)}
    elif tab == "changes":
        context["history"] = _changes(identity, hidden)
        if request.user.has_perm("identities.merge_identity"):  # "undo this merge" under merge entries
            context["merge_extras"] = {"identity.merged": "identities/merge_undo_button.html"}
    else:
        context |= _contacts(request, identity)
    return render(request, "identities/identity_detail.html", context)


def _back(pk: int, tab: str = "details") -> HttpResponse:
    return redirect(f"{reverse('identity_detail', args=[pk])}?tab={tab}")


@login_required
@require_POST
def identity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    identity = _identity_or_404(request, pk)
    try:
        services.identity_delete(actor=request.user, identity=identity)
    except ApplicationError as exc:
        error_to_message(request, exc)
    else:
        messages.success(request, _("The identity was deleted. It can be restored from its profile."))
    return redirect("identity_detail", pk)


@login_required
@require_POST
def identity_restore(request: HttpRequest, pk: int) -> HttpResponse:
    identity = _identity_or_404(request, pk, include_deleted=True)
    try:
        services.identity_restore(actor=request.user, identity=identity)
    except ApplicationError as exc:
        error_to_message(request, exc)
    else:
        messages.success(request, _("The identity was restored."))
    return redirect("identity_detail", pk)


@login_required
@require_POST
def identity_customer_number(request: HttpRequest, pk: int) -> HttpResponse:
    identity = _identity_or_404(request, pk)
    form = CustomerNumberForm(request.POST)
    if form.is_valid():
        try:
            identity = services.customer_number_give(
                actor=request.user, identity=identity, number=form.cleaned_data["number"].strip() or None
            )
        except ApplicationError as exc:
            error_to_message(request, exc)
        else:
            messages.success(request, _("Customer number %(number)s given.") % {"number": identity.customer_number})
    return _back(pk)


@login_required
@require_POST
def identity_add_phone(request: HttpRequest, pk: int) -> HttpResponse:
    identity = _identity_or_404(request, pk)
    form = AddPhoneForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return _back(pk)
    try:
        phone = services.identity_add_phone(actor=request.user, identity=identity, **form.cleaned_data)
    except ApplicationError as exc:
        error_to_message(request, exc)
    else:
        messages.success(request, _("Number %(number)s is on the profile.") % {"number": display_phone(phone.number)})
    return _back(pk)


@login_required
@require_POST
def identity_contact_link(request: HttpRequest, pk: int) -> HttpResponse:
    identity = _identity_or_404(request, pk)
    form = ContactLinkForm(request.POST)
    other = (
        selectors.identity_get_for_user(user=request.user, pk=form.cleaned_data["other"]) if form.is_valid() else None
    )
    if other is None:
        messages.error(request, _("No identity with this number was found."))
        return _back(pk, "contacts")
    is_org = identity.kind == Identity.Kind.ORGANISATION
    try:
        services.contact_person_link(
            actor=request.user,
            organisation=identity if is_org else other,
            person=other if is_org else identity,
            role=form.cleaned_data["role"],
        )
    except ApplicationError as exc:
        error_to_message(request, exc)
    else:
        messages.success(request, _("Linked with %(name)s.") % {"name": other})
    return _back(pk, "contacts")


@login_required
@require_POST
def identity_contact_unlink(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    identity = _identity_or_404(request, pk)
    links = [*identity.contact_links.all(), *identity.organisation_links.all()]
    link = next((item for item in links if item.pk == link_pk), None)
    if link is None:
        raise Http404
    try:
        services.contact_person_unlink(actor=request.user, link=link)
    except ApplicationError as exc:
        error_to_message(request, exc)
    else:
        messages.success(request, _("The link was removed."))
    return _back(pk, "contacts")


urlpatterns = [
    path("", identity_list, name="identity_list"),
    path("customers/", identity_list, {"preset": "customers"}, name="customer_list"),
    path("mine/", identity_list, {"preset": "mine"}, name="my_identities"),
    path("quick-search/", identity_quick_search, name="identity_quick_search"),
    path("new/", identity_edit, name="identity_create"),
    path("<int:pk>/", identity_detail, name="identity_detail"),
    path("<int:pk>/edit/", identity_edit, name="identity_edit"),
    path("<int:pk>/delete/", identity_delete, name="identity_delete"),
    path("<int:pk>/restore/", identity_restore, name="identity_restore"),
    path("<int:pk>/customer-number/", identity_customer_number, name="identity_customer_number"),
    path("<int:pk>/phones/add/", identity_add_phone, name="identity_add_phone"),
    path("<int:pk>/convert/", identity_convert, name="identity_convert"),
    path("<int:pk>/contacts/link/", identity_contact_link, name="identity_contact_link"),
    path("<int:pk>/contacts/<int:link_pk>/unlink/", identity_contact_unlink, name="identity_contact_unlink"),
    *category_views.urlpatterns,
]
