"""Categories admin (ID-2): the tree, create/edit with access by position, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.errors import ApplicationError
from crm.core.i18n.formatting import list_separator
from crm.core.web.errors import error_to_form, error_to_message
from crm.identities import selectors, services
from crm.identities.errors import IdentityErrorCode
from crm.identities.models import Category
from crm.identities.web.forms import CategoryForm


def _category_or_404(pk: int) -> Category:
    category = selectors.category_get(pk=pk)
    if category is None:
        raise Http404
    return category


@login_required
def category_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("identities.view_category"):
        raise PermissionDenied
    categories = list(selectors.category_tree())
    for category in categories:
        category.indent = range(category.depth)
        category.position_names = list_separator().join(str(p) for p in category.positions.all())
    return render(request, "identities/category_list.html", {"categories": categories})


@login_required
def category_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    category = _category_or_404(pk) if pk else None
    if not request.user.has_perm("identities.change_category" if category else "identities.add_category"):
        raise PermissionDenied
    parents = selectors.category_tree()
    if category is not None:  # not under itself or one of its sub-categories
        parents = parents.exclude(path__startswith=category.path)
    initial = {}
    if category is not None:
        initial = {
            "name": category.name,
            "parent": category.parent_id,
            "restricted": category.restricted,
            "positions": [p.pk for p in category.positions.all()],
        }
    form = CategoryForm(request.POST or None, initial=initial, categories=parents)
    if request.method == "POST" and form.is_valid():
        try:
            services.category_save(
                actor=request.user,
                category=category,
                name=form.cleaned_data["name"],
                parent=form.cleaned_data["parent"],
                restricted=form.cleaned_data["restricted"],
                positions=list(form.cleaned_data["positions"]),
            )
        except ApplicationError as exc:
            if exc.code == IdentityErrorCode.CATEGORY_CYCLE:
                form.add_error("parent", exc.message)
            else:
                error_to_form(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("category_list")
    return render(request, "identities/category_form.html", {"form": form, "category": category})


@login_required
@require_POST
def category_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("identities.delete_category"):
        raise PermissionDenied
    category = _category_or_404(pk)
    try:
        services.category_delete(actor=request.user, category=category)
    except ApplicationError as exc:
        error_to_message(request, exc)
    else:
        messages.success(request, _("The category “%(name)s” was deleted.") % {"name": category.name})
    return redirect("category_list")


urlpatterns = [
    path("categories/", category_list, name="category_list"),
    path("categories/new/", category_edit, name="category_create"),
    path("categories/<int:pk>/", category_edit, name="category_edit"),
    path("categories/<int:pk>/delete/", category_delete, name="category_delete"),
]
