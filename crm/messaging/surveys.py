"""SMS surveys, contests and lotteries (CM-8).

A survey listens on one SMS line (or all). People text the survey's keyword and an option
code ("poll 2", "نظر ۲", "POLL-b"), or just the code when the survey has no keyword. Text is
compared in a normal form: Persian/Arabic digits become Latin, Arabic ي/ك become Persian
ی/ک, case and extra spaces do not matter. With "one answer per number" only a number's first
answer counts (later ones are stored as messages but not counted). A contest has a correct
code: the results count correct answers and a draw picks winners among them."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.audit.services import audit_record, tracked_create, tracked_update
from crm.core.errors import ApplicationError
from crm.core.i18n.search import normalize_search
from crm.messaging.models import Message, Survey, SurveyAnswer, SurveyOption

_LEAD = re.compile(r"^[\s\-:.#،,]+")


class SurveyErrorCode(StrEnum):
    NAME_REQUIRED = "name_required"
    OPTIONS_REQUIRED = "options_required"
    DUPLICATE_CODE = "duplicate_code"
    BAD_WINDOW = "bad_window"
    CORRECT_NOT_AN_OPTION = "correct_not_an_option"
    NOT_ALLOWED = "not_allowed"


class SurveyError(ApplicationError):
    messages = {
        SurveyErrorCode.NAME_REQUIRED: _("Give the survey a name."),
        SurveyErrorCode.OPTIONS_REQUIRED: _("A survey needs at least one option."),
        SurveyErrorCode.DUPLICATE_CODE: _("Two options have the code “%(option)s”."),
        SurveyErrorCode.BAD_WINDOW: _("The survey must end after it starts."),
        SurveyErrorCode.CORRECT_NOT_AN_OPTION: _("The correct answer must be one of the option codes."),
        SurveyErrorCode.NOT_ALLOWED: _("You may not change this survey."),
    }


def normal(text: str) -> str:
    return normalize_search(text or "")


# --- matching an inbound SMS --------------------------------------------------------------


def _open_surveys(message: Message) -> list[Survey]:
    now = timezone.now()
    qs = Survey.objects.filter(active=True).filter(
        Q(sms_line__isnull=True) | Q(sms_line_id=message.sms_line_id),
        Q(starts_at__isnull=True) | Q(starts_at__lte=now),
        Q(ends_at__isnull=True) | Q(ends_at__gt=now),
    )
    return list(qs.prefetch_related("options").order_by("-id"))


def _option_for(survey: Survey, text: str) -> SurveyOption | None:
    codes = {normal(o.code): o for o in survey.options.all()}
    if text in codes:
        return codes[text]
    first = text.split(" ", 1)[0] if text else ""
    return codes.get(first)


def survey_match(message: Message) -> tuple[Survey, SurveyOption | None] | None:
    """The survey this SMS answers and the option it chose (None: keyword right, code not)."""
    text = normal(message.body)
    if not text:
        return None
    surveys = _open_surveys(message)
    keyworded = sorted((s for s in surveys if normal(s.keyword)), key=lambda s: -len(normal(s.keyword)))
    for survey in keyworded:
        keyword = normal(survey.keyword)
        if text == keyword or (text.startswith(keyword) and not text[len(keyword)].isalpha()):
            rest = _LEAD.sub("", text[len(keyword) :]).strip()
            return survey, _option_for(survey, rest)
    for survey in surveys:
        if not normal(survey.keyword):
            option = _option_for(survey, text)
            if option is not None:
                return survey, option
    return None


def survey_take(message: Message) -> tuple[SurveyAnswer, str] | None:
    """Record the answer this SMS gives, once; returns (answer, reply text) or None when it
    answers no open survey. A number's repeated answer is kept but not counted (and gets no
    reply) when the survey takes one answer per number."""
    found = survey_match(message)
    if found is None:
        return None
    survey, option = found
    with transaction.atomic():
        # one answer per number holds under concurrent messages: answers queue on the survey row
        Survey.objects.select_for_update().filter(pk=survey.pk).first()
        earlier = SurveyAnswer.objects.filter(message=message).first()
        if earlier is not None:
            return earlier, ""
        repeated = (
            survey.one_answer_per_number
            and SurveyAnswer.objects.filter(survey=survey, number=message.from_address, option__isnull=False).exists()
        )
        answer = SurveyAnswer.objects.create(
            survey=survey,
            option=None if repeated else option,
            number=message.from_address[:32],
            identity_id=message.identity_id,
            message=message,
            text=(message.body or "")[:500],
        )
    if repeated:
        message.meta["survey_repeated"] = True
        return answer, ""
    return answer, survey.reply_text if option is not None else ""


# --- results -------------------------------------------------------------------------------


@dataclass
class OptionResult:
    option: SurveyOption
    count: int
    percent: float
    correct: bool


@dataclass
class SurveyResults:
    survey: Survey
    options: list[OptionResult]
    valid: int  # counted answers naming an option
    invalid: int  # keyword right, code unknown, or repeated by a number
    numbers: int  # distinct numbers that took part
    correct: int | None  # contests only


def survey_results(survey: Survey) -> SurveyResults:
    counts = dict(
        SurveyAnswer.objects.filter(survey=survey, option__isnull=False)
        .values_list("option_id")
        .annotate(n=Count("id"))
        .values_list("option_id", "n")
    )
    valid = sum(counts.values())
    total = SurveyAnswer.objects.filter(survey=survey).count()
    correct_code = normal(survey.correct_code)
    options = [
        OptionResult(
            option=o,
            count=counts.get(o.pk, 0),
            percent=round(100 * counts.get(o.pk, 0) / valid, 1) if valid else 0.0,
            correct=bool(correct_code) and normal(o.code) == correct_code,
        )
        for o in survey.options.all()
    ]
    numbers = SurveyAnswer.objects.filter(survey=survey).values("number").distinct().count()
    correct = sum(r.count for r in options if r.correct) if correct_code else None
    return SurveyResults(
        survey=survey, options=options, valid=valid, invalid=total - valid, numbers=numbers, correct=correct
    )


def survey_draw(*, actor: Any, survey: Survey, count: int = 1) -> list[str]:
    """A lottery among the numbers that answered (correctly, for a contest): `count`
    distinct numbers, drawn with a cryptographic random source and written to the audit."""
    qs = SurveyAnswer.objects.filter(survey=survey, option__isnull=False)
    if normal(survey.correct_code):
        ids = [o.pk for o in survey.options.all() if normal(o.code) == normal(survey.correct_code)]
        qs = qs.filter(option_id__in=ids)
    pool = sorted(set(qs.values_list("number", flat=True)))
    rng = secrets.SystemRandom()
    winners = rng.sample(pool, min(max(count, 0), len(pool)))
    audit_record(actor=actor, target=survey, action="messaging.survey_draw", changes={"winners": winners})
    return winners


# --- keeping surveys -----------------------------------------------------------------------


def _clean_options(options: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    rows = [((code or "").strip(), (label or "").strip()) for code, label in options]
    rows = [(code, label or code) for code, label in rows if code]
    if not rows:
        raise SurveyError(SurveyErrorCode.OPTIONS_REQUIRED)
    seen: set[str] = set()
    for code, _label in rows:
        if normal(code) in seen:
            raise SurveyError(SurveyErrorCode.DUPLICATE_CODE, option=code)
        seen.add(normal(code))
    return rows


SURVEY_FIELDS = (
    "name",
    "keyword",
    "sms_line",
    "starts_at",
    "ends_at",
    "one_answer_per_number",
    "reply_text",
    "correct_code",
    "active",
)


def can_change_survey(user: Any, survey: Survey) -> bool:
    return user.has_perm("messaging.change_survey")


@transaction.atomic
def survey_save(*, actor: Any, survey: Survey | None, options: Iterable[tuple[str, str]], **values: Any) -> Survey:
    """Create or change a survey and its options (options are matched by code, so answers
    keep pointing at their option when labels change)."""
    data = {k: v for k, v in values.items() if k in SURVEY_FIELDS}
    if not (data.get("name") or "").strip():
        raise SurveyError(SurveyErrorCode.NAME_REQUIRED, fields={"name": _("Give the survey a name.")})
    if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
        raise SurveyError(SurveyErrorCode.BAD_WINDOW, fields={"ends_at": _("The survey must end after it starts.")})
    rows = _clean_options(options)
    correct = normal(data.get("correct_code") or "")
    if correct and correct not in {normal(c) for c, _label in rows}:
        raise SurveyError(SurveyErrorCode.CORRECT_NOT_AN_OPTION)
    if survey is None:
        if not actor.has_perm("messaging.add_survey"):
            raise SurveyError(SurveyErrorCode.NOT_ALLOWED)
        survey = Survey(created_by=actor if getattr(actor, "is_authenticated", False) else None, **data)
        tracked_create(obj=survey, actor=actor)
    else:
        if not can_change_survey(actor, survey):
            raise SurveyError(SurveyErrorCode.NOT_ALLOWED)
        tracked_update(obj=survey, actor=actor, **data)
    current = {normal(o.code): o for o in survey.options.all()}
    keep = set()
    for code, label in rows:
        option = current.get(normal(code))
        if option is None:
            option = SurveyOption.objects.create(survey=survey, code=code, label=label)
        elif option.label != label or option.code != code:
            option.code, option.label = code, label
            option.save(update_fields=["code", "label"])
        keep.add(option.pk)
    survey.options.exclude(pk__in=keep).delete()
    return survey


def surveys_for_user(user: Any) -> Any:
    """Surveys belong to the organisation: whoever may view surveys sees them all."""
    if not (user.has_perm("messaging.view_survey") or user.has_perm("messaging.add_survey")):
        return Survey.objects.none()
    return Survey.objects.all().annotate(answer_count=Count("answers"))


def survey_get_for_user(user: Any, pk: int) -> Survey | None:
    return surveys_for_user(user).filter(pk=pk).prefetch_related("options").first()
