"""Duplicates and merge pages (ID-7, ID-10): the list of likely duplicates, the side-by-side
merge page (also the "merge with…" entry from a profile), and a merge's record with its undo.
Every page needs the merge right."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.core.errors import ApplicationError
from crm.core.permissions.access import can
from crm.core.web.errors import error_to_form, error_to_message
from crm.identities.errors import IdentityError, IdentityErrorCode
from crm.identities.merge import (
    duplicate_candidates,
    duplicate_dismiss,
    identity_merge,
    identity_merge_undo,
    merge_comparison,
    merge_identity_get,
    merge_record_get_for_user,
    merge_record_summary,
    suggested_survivor,
)
from crm.identities.models import Identity
from crm.identities.phones import display_phone
from crm.identities.selectors import identity_quick_search

PER_PAGE = 20
MERGE_PERM = "identities.merge_identity"


class PairForm(forms.Form):
    a = forms.IntegerField(widget=forms.HiddenInput)
    b = forms.IntegerField(widget=forms.HiddenInput)


class MergeForm(PairForm):
    survivor = forms.TypedChoiceField(label=gettext_lazy("Keep"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args: Any, pair: tuple[Identity, Identity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = [(i.pk, str(i)) for i in pair]


def _require_merge_right(request: HttpRequest) -> None:
    if not request.user.has_perm(MERGE_PERM):
        raise PermissionDenied


def _identity_or_404(request: HttpRequest, pk: Any) -> Identity:
    identity = merge_identity_get(user=request.user, pk=pk)
    if identity is None:
        raise Http404
    return identity


def _page(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 10000))
    except ValueError:
        return 1


def _with_phones(*identities: Identity) -> None:
    for identity in identities:
        identity.shown_phones = [display_phone(p.number) for p in identity.phones.all()]  # type: ignore[attr-defined]


@login_required
def duplicate_list(request: HttpRequest) -> HttpResponse:
    _require_merge_right(request)
    page, phonetic = _page(request), request.GET.get("phonetic") == "1"
    pairs = duplicate_candidates(user=request.user, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE, phonetic=phonetic)
    for pair in pairs:
        _with_phones(pair.a, pair.b)
    return render(
        request,
        "identities/duplicate_list.html",
        {
            "pairs": pairs[:PER_PAGE],
            "page_number": page,
            "has_next": len(pairs) > PER_PAGE,
            "phonetic": phonetic,
        },
    )


@login_required
@require_POST
def duplicate_dismiss_view(request: HttpRequest) -> HttpResponse:
    _require_merge_right(request)
    form = PairForm(request.POST)
    if not form.is_valid():
        raise Http404
    a, b = (_identity_or_404(request, form.cleaned_data[k]) for k in ("a", "b"))
    try:
        duplicate_dismiss(actor=request.user, a=a, b=b)
    except ApplicationError as exc:
        error_to_message(request, exc)
    else:
        if request.htmx:  # the pair's card is replaced by nothing
            return HttpResponse("")
        messages.success(request, _("“%(a)s” and “%(b)s” will not be proposed as duplicates again.") % {"a": a, "b": b})
    back = {k: request.POST[k] for k in ("page", "phonetic") if request.POST.get(k)}
    return redirect(reverse("duplicate_list") + (f"?{urlencode(back)}" if back else ""))


def _choose_other(request: HttpRequest, a: Identity) -> HttpResponse:
    """ "Merge with…": find the second identity by name, phone, email or customer number."""
    q = request.GET.get("q", "").strip()
    found = [i for i in identity_quick_search(user=request.user, text=q, limit=11) if i.pk != a.pk][:10]
    _with_phones(a)
    return render(request, "identities/merge_choose.html", {"a": a, "q": q, "found": found})


@login_required
def identity_merge_view(request: HttpRequest) -> HttpResponse:
    _require_merge_right(request)
    data = request.POST if request.method == "POST" else request.GET
    a = _identity_or_404(request, data.get("a"))
    if not data.get("b"):
        return _choose_other(request, a)
    b = _identity_or_404(request, data.get("b"))
    if a.pk == b.pk:
        error_to_message(request, IdentityError(IdentityErrorCode.MERGE_SAME))
        return _choose_other(request, a)
    suggested = suggested_survivor(a, b)
    form = MergeForm(request.POST or None, pair=(a, b), initial={"a": a.pk, "b": b.pk, "survivor": suggested.pk})
    if request.method == "POST" and form.is_valid():
        survivor, merged = (a, b) if form.cleaned_data["survivor"] == a.pk else (b, a)
        try:
            record = identity_merge(actor=request.user, survivor=survivor, merged=merged)
        except ApplicationError as exc:
            error_to_form(form, exc)
        else:
            messages.success(
                request, _("“%(merged)s” was merged into “%(survivor)s”.") % {"merged": merged, "survivor": survivor}
            )
            return redirect("identity_merge_done", record.pk)
    chosen = form["survivor"].value() or suggested.pk
    return render(
        request,
        "identities/merge_compare.html",
        {
            "a": a,
            "b": b,
            "form": form,
            "chosen": int(chosen),
            "can_merge": can(request.user, "change", a) and can(request.user, "change", b),
            **merge_comparison(user=request.user, a=a, b=b),
        },
    )


@login_required
def identity_merge_done(request: HttpRequest, pk: int) -> HttpResponse:
    _require_merge_right(request)
    record = merge_record_get_for_user(user=request.user, pk=pk)
    if record is None:
        raise Http404
    return render(
        request,
        "identities/merge_done.html",
        {
            "record": record,
            "sections": merge_record_summary(user=request.user, record=record),
        },
    )


@login_required
@require_POST
def identity_merge_undo_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_merge_right(request)
    record = merge_record_get_for_user(user=request.user, pk=pk)
    if record is None:
        raise Http404
    try:
        identity_merge_undo(actor=request.user, record=record)
    except ApplicationError as exc:
        error_to_message(request, exc)
    else:
        messages.success(
            request, _("The merge was undone: “%(merged)s” is back with what it had.") % {"merged": record.merged}
        )
    return redirect("identity_merge_done", record.pk)


urlpatterns = [
    path("duplicates/", duplicate_list, name="duplicate_list"),
    path("duplicates/dismiss/", duplicate_dismiss_view, name="duplicate_dismiss"),
    path("merge/", identity_merge_view, name="identity_merge"),
    path("merges/<int:pk>/", identity_merge_done, name="identity_merge_done"),
    path("merges/<int:pk>/undo/", identity_merge_undo_view, name="identity_merge_undo"),
]
