"""Inbound SMS surveys/contests with their counted results and a lottery draw; routing
rules that turn inbound email/SMS into tasks or notes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm.core.errors import ApplicationError
from crm.core.i18n.forms import UserDateTimeField
from crm.core.web.admin_forms import BootstrapMixin
from crm.core.web.errors import error_to_form, error_to_message
from crm.core.web.paging import paginate
from crm.messaging import routing, surveys
from crm.messaging.models import Channel, Mailbox, RoutingRule, SmsLine, Survey, SurveyAnswer
from crm.org.models import User


def _require(user: Any, *perms: str) -> None:
    if not any(user.has_perm(p) for p in perms):
        raise PermissionDenied


# --- surveys --------------------------------------------------------------------------------


class SurveyForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    keyword = forms.CharField(
        label=gettext_lazy("Keyword"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("People text the keyword and a code, e.g. “poll 2”. Empty: the code alone."),
    )
    options = forms.CharField(
        label=gettext_lazy("Options"),
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
        help_text=gettext_lazy("One per line: code, a colon, the label — e.g. “1: Very satisfied”."),
    )
    sms_line = forms.ModelChoiceField(label=gettext_lazy("SMS line"), queryset=SmsLine.objects.none(), required=False)
    starts_at = UserDateTimeField(label=gettext_lazy("Starts"), required=False)
    ends_at = UserDateTimeField(label=gettext_lazy("Ends"), required=False)
    reply_text = forms.CharField(label=gettext_lazy("Reply"), max_length=300, required=False)
    correct_code = forms.CharField(label=gettext_lazy("Correct answer (contest)"), max_length=20, required=False)
    one_answer_per_number = forms.BooleanField(
        label=gettext_lazy("One answer per number"), required=False, initial=True
    )
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sms_line"].queryset = SmsLine.objects.filter(active=True)
        self.fields["sms_line"].empty_label = _("Any line")


def parse_options(text: str) -> list[tuple[str, str]]:
    rows = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        for sep in (":", "：", "-", "="):
            if sep in line:
                code, label = line.split(sep, 1)
                break
        else:
            code, _space, label = line.partition(" ")
        rows.append((code.strip(), label.strip()))
    return rows


def _survey_or_404(request: HttpRequest, pk: int) -> Survey:
    survey = surveys.survey_get_for_user(request.user, pk)
    if survey is None:
        raise Http404
    return survey


@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, "messaging.view_survey", "messaging.add_survey")
    qs = surveys.surveys_for_user(request.user).select_related("sms_line")
    return render(request, "messaging/inbound/survey_list.html", paginate(request, qs.order_by("-id")))


def _survey_edit(request: HttpRequest, survey: Survey | None) -> HttpResponse:
    if request.method == "POST":
        form = SurveyForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            options = parse_options(data.pop("options"))
            try:
                saved = surveys.survey_save(actor=request.user, survey=survey, options=options, **data)
            except ApplicationError as exc:
                error_to_form(form, exc)
            else:
                messages.success(request, _("Survey saved."))
                return redirect("messaging:survey_detail", saved.pk)
    elif survey is not None:
        initial = {f: getattr(survey, f) for f in surveys.SURVEY_FIELDS}
        initial["options"] = "\n".join(f"{o.code}: {o.label}" for o in survey.options.all())
        form = SurveyForm(initial=initial)
    else:
        form = SurveyForm(initial={"one_answer_per_number": True, "active": True})
    return render(request, "messaging/inbound/survey_form.html", {"form": form, "survey": survey})


@login_required
def survey_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, "messaging.add_survey")
    return _survey_edit(request, None)


@login_required
def survey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, "messaging.change_survey")
    return _survey_edit(request, _survey_or_404(request, pk))


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey_or_404(request, pk)
    answers = SurveyAnswer.objects.filter(survey=survey).select_related("option").order_by("-id")
    return render(
        request,
        "messaging/inbound/survey_detail.html",
        {"survey": survey, "results": surveys.survey_results(survey), **paginate(request, answers, per_page=25)},
    )


@login_required
@require_POST
def survey_draw(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, "messaging.change_survey")
    survey = _survey_or_404(request, pk)
    try:
        count = max(1, min(int(request.POST.get("count", "1")), 100))
    except ValueError:
        count = 1
    winners = surveys.survey_draw(actor=request.user, survey=survey, count=count)
    answers = SurveyAnswer.objects.filter(survey=survey).select_related("option").order_by("-id")
    return render(
        request,
        "messaging/inbound/survey_detail.html",
        {
            "survey": survey,
            "results": surveys.survey_results(survey),
            "winners": winners,
            "drawn": True,
            **paginate(request, answers, per_page=25),
        },
    )


# --- routing rules --------------------------------------------------------------------------


class RoutingRuleForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=[c for c in Channel.choices if c[0] != "fax"])
    mailbox = forms.ModelChoiceField(label=gettext_lazy("Mailbox"), queryset=Mailbox.objects.none(), required=False)
    sms_line = forms.ModelChoiceField(label=gettext_lazy("SMS line"), queryset=SmsLine.objects.none(), required=False)
    keyword = forms.CharField(label=gettext_lazy("Text contains"), max_length=100, required=False)
    target = forms.ChoiceField(label=gettext_lazy("Create"))
    title = forms.CharField(
        label=gettext_lazy("Title of the new record"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Empty: the channel, the sender and the start of the message."),
    )
    assignee = forms.ModelChoiceField(
        label=gettext_lazy("Assign tasks to"), queryset=User.objects.none(), required=False
    )
    priority = forms.IntegerField(label=gettext_lazy("Order"), min_value=0, max_value=999, initial=10)
    stop = forms.BooleanField(label=gettext_lazy("Stop after this rule"), required=False, initial=True)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mailbox"].queryset = Mailbox.objects.filter(active=True, kind=Mailbox.Kind.ORGANISATION)
        self.fields["sms_line"].queryset = SmsLine.objects.filter(active=True)
        self.fields["mailbox"].empty_label = self.fields["sms_line"].empty_label = _("Any")
        self.fields["target"].choices = [(t.key, t.label) for t in routing.routing_targets()]
        self.fields["assignee"].queryset = User.objects.filter(is_active=True).order_by("first_name", "username")
        self.fields["assignee"].empty_label = _("The rule's owner")

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        params: dict[str, Any] = {}
        if data.pop("title"):
            params["title"] = self.cleaned_data["title"]
        assignee = data.pop("assignee")
        if assignee is not None:
            params["assignee"] = assignee.pk
        return {**data, "params": params}


def _rule_or_404(request: HttpRequest, pk: int) -> RoutingRule:
    rule = routing.routing_rules_for_user(request.user).filter(pk=pk).first()
    if rule is None:
        raise Http404
    return rule


@login_required
def routing_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, "messaging.view_routingrule", "messaging.add_routingrule")
    targets = {t.key: t.label for t in routing.routing_targets()}
    rows = list(routing.routing_rules_for_user(request.user))
    for row in rows:
        row.target_label = targets.get(row.target, row.target)
    return render(request, "messaging/inbound/routing_list.html", {"rows": rows})


def _rule_edit(request: HttpRequest, rule: RoutingRule | None) -> HttpResponse:
    if request.method == "POST":
        form = RoutingRuleForm(request.POST)
        if form.is_valid():
            try:
                routing.routing_rule_save(actor=request.user, rule=rule, **form.values())
            except ApplicationError as exc:
                error_to_form(form, exc)
            else:
                messages.success(request, _("Routing rule saved."))
                return redirect("messaging:routing_list")
    elif rule is not None:
        initial = {f: getattr(rule, f) for f in routing.RULE_FIELDS if f != "params"}
        initial["title"] = (rule.params or {}).get("title", "")
        initial["assignee"] = (rule.params or {}).get("assignee")
        form = RoutingRuleForm(initial=initial)
    else:
        form = RoutingRuleForm(initial={"priority": 10, "stop": True, "active": True, "target": "task"})
    return render(request, "messaging/inbound/routing_form.html", {"form": form, "rule": rule})


@login_required
def routing_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, "messaging.add_routingrule")
    return _rule_edit(request, None)


@login_required
def routing_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, "messaging.change_routingrule")
    return _rule_edit(request, _rule_or_404(request, pk))


@login_required
@require_POST
def routing_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _rule_or_404(request, pk)
    try:
        routing.routing_rule_delete(actor=request.user, rule=rule)
    except ApplicationError as exc:
        error_to_message(request, exc)
        return redirect("messaging:routing_edit", pk)
    messages.success(request, _("Routing rule deleted."))
    return redirect("messaging:routing_list")


urlpatterns = [
    path("surveys/", survey_list, name="survey_list"),
    path("surveys/new/", survey_create, name="survey_create"),
    path("surveys/<int:pk>/", survey_detail, name="survey_detail"),
    path("surveys/<int:pk>/edit/", survey_edit, name="survey_edit"),
    path("surveys/<int:pk>/draw/", survey_draw, name="survey_draw"),
    path("routing/", routing_list, name="routing_list"),
    path("routing/new/", routing_create, name="routing_create"),
    path("routing/<int:pk>/", routing_edit, name="routing_edit"),
    path("routing/<int:pk>/delete/", routing_delete, name="routing_delete"),
]
