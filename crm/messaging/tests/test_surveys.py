"""SMS surveys and contests (CM-8): keyword + code however typed, one answer per number,
counted results with percentages, correct answers and a draw; pages with denial."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.messaging import inbound
from crm.messaging.models import Message, Survey, SurveyAnswer
from crm.messaging.surveys import SurveyError, survey_draw, survey_results, survey_save
from crm.messaging.tests.m3_world import inbound_sms, world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_handlers(monkeypatch):
    monkeypatch.setattr(inbound, "_handlers", {})


def poll(world, **extra):
    values = {"name": "Service poll", "keyword": "نظر", "reply_text": "Thanks {{ identity.first_name }}"}
    values.update(extra)
    return survey_save(actor=world.alice, survey=None, options=[("1", "Good"), ("2", "Fair"), ("3", "Poor")], **values)


def test_keyword_and_code_however_typed(world):
    survey = poll(world)
    message = inbound_sms(world, "  نظر   ۲ ", ref="a")  # Persian digit, extra spaces
    answer = SurveyAnswer.objects.get(message=message)
    assert answer.survey == survey and answer.option.code == "2"
    assert answer.identity_id == world.identity("sara").pk
    message.refresh_from_db()
    assert message.meta["survey"] == survey.pk
    reply = Message.objects.get(direction="out")
    assert reply.body == "Thanks Sara" and reply.sms_line == world.line
    # Arabic yeh in the keyword, no space before the code
    inbound_sms(world, "نظري1", ref="b", sender="09351110000")
    assert not SurveyAnswer.objects.filter(message__provider_ref="b").exists()  # "نظري1" ≠ keyword + code
    inbound_sms(world, "نظر-1", ref="c", sender="09351110001")
    assert SurveyAnswer.objects.get(message__provider_ref="c").option.code == "1"


def test_arabic_letters_in_the_keyword_match_persian_ones(world):
    poll(world, keyword="کیفیت")
    inbound_sms(world, "كيفيت 3", ref="k")
    assert SurveyAnswer.objects.get().option.code == "3"


def test_one_answer_per_number_and_idempotent_deliveries(world):
    survey = poll(world)
    inbound_sms(world, "نظر 1", ref="x1")
    inbound_sms(world, "نظر 1", ref="x1")  # the gateway delivered it twice
    inbound_sms(world, "نظر 3", ref="x2")  # a second answer from the same number
    inbound_sms(world, "نظر 3", ref="x3", sender="09351112233")
    inbound_sms(world, "نظر 9", ref="x4", sender="09351112244")  # no such option
    assert SurveyAnswer.objects.count() == 4
    results = survey_results(survey)
    counts = {r.option.code: (r.count, r.percent) for r in results.options}
    assert counts == {"1": (1, 50.0), "2": (0, 0.0), "3": (1, 50.0)}
    assert results.valid == 2 and results.invalid == 2 and results.numbers == 3
    assert results.correct is None
    assert Message.objects.filter(direction="out").count() == 2  # replies only to counted answers


def test_several_answers_allowed_when_the_survey_says_so(world):
    survey = poll(world, one_answer_per_number=False)
    inbound_sms(world, "نظر 1", ref="y1")
    inbound_sms(world, "نظر 2", ref="y2")
    assert survey_results(survey).valid == 2


def test_survey_without_keyword_takes_bare_codes(world):
    survey = survey_save(actor=world.alice, survey=None, name="Quiz", options=[("A", "Paris"), ("B", "Rome")])
    inbound_sms(world, "a", ref="q1")
    inbound_sms(world, "hello there", ref="q2", sender="09351112233")
    assert list(SurveyAnswer.objects.values_list("survey_id", "option__code")) == [(survey.pk, "A")]


def test_closed_and_inactive_surveys_do_not_listen(world):
    now = timezone.now()
    poll(world, ends_at=now - dt.timedelta(hours=1), starts_at=now - dt.timedelta(days=1))
    poll(world, keyword="vote", active=False)
    poll(world, keyword="later", starts_at=now + dt.timedelta(days=1))
    for i, text in enumerate(["نظر 1", "vote 1", "later 1"]):
        inbound_sms(world, text, ref=f"c{i}")
    assert not SurveyAnswer.objects.exists()


def test_contest_counts_correct_answers_and_draws_winners(world):
    survey = poll(world, keyword="quiz", correct_code="2")
    for i, code in enumerate(["2", "2", "1"]):
        inbound_sms(world, f"quiz {code}", ref=f"z{i}", sender=f"0935111000{i}")
    results = survey_results(survey)
    assert results.correct == 2
    assert [r.correct for r in results.options] == [False, True, False]
    winners = survey_draw(actor=world.alice, survey=survey, count=5)
    assert sorted(winners) == ["+989351110000", "+989351110001"]


def test_survey_rules_on_saving(world):
    with pytest.raises(SurveyError):
        survey_save(actor=world.alice, survey=None, name="x", options=[("1", "a"), ("۱", "b")])
    with pytest.raises(SurveyError):
        survey_save(actor=world.alice, survey=None, name="x", options=[("1", "a")], correct_code="5")
    with pytest.raises(SurveyError):
        survey_save(actor=world.alice, survey=None, name="x", options=[])
    with pytest.raises(SurveyError):
        survey_save(actor=world.bob, survey=None, name="x", options=[("1", "a")])


def test_editing_options_keeps_answers_on_their_option(world):
    survey = poll(world)
    inbound_sms(world, "نظر 1", ref="e1")
    survey_save(
        actor=world.alice, survey=survey, name="Service poll", keyword="نظر", options=[("1", "Great"), ("2", "Fair")]
    )
    answer = SurveyAnswer.objects.get()
    assert answer.option.label == "Great"
    assert list(survey.options.values_list("code", flat=True)) == ["1", "2"]


def test_survey_pages(client, world):
    survey = poll(world)
    inbound_sms(world, "نظر 1", ref="p1")
    client.force_login(world.charlie)
    assert client.get(reverse("messaging:survey_list")).status_code == 403
    assert client.get(reverse("messaging:survey_detail", args=[survey.pk])).status_code == 404
    assert client.post(reverse("messaging:survey_draw", args=[survey.pk])).status_code == 403

    client.force_login(world.alice)
    assert "Service poll" in client.get(reverse("messaging:survey_list")).content.decode()
    html = client.get(reverse("messaging:survey_detail", args=[survey.pk])).content.decode()
    assert 'data-testid="survey-results"' in html and "Good" in html
    response = client.post(
        reverse("messaging:survey_create"),
        {
            "name": "Lottery",
            "keyword": "win",
            "options": "1: Yes\n2: No",
            "one_answer_per_number": "on",
            "active": "on",
        },
    )
    created = Survey.objects.get(name="Lottery")
    assert response.status_code == 302 and response.url == reverse("messaging:survey_detail", args=[created.pk])
    assert list(created.options.values_list("code", "label")) == [("1", "Yes"), ("2", "No")]
    drawn = client.post(reverse("messaging:survey_draw", args=[survey.pk]), {"count": "1"}).content.decode()
    assert "+989121234567" in drawn
    bad = client.post(reverse("messaging:survey_create"), {"name": "Bad", "options": ""})
    assert bad.status_code == 200 and not Survey.objects.filter(name="Bad").exists()
