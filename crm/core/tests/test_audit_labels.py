"""Audit actions read as words: "sales.document.approved" names its model with its app, so
two models called Document (a file, a sales document) are not confused."""

from __future__ import annotations

from django.utils import translation

from crm.core.audit.labels import audit_action_label


def test_actions_name_the_model_of_their_app():
    with translation.override("en"):
        assert audit_action_label("sales.document.approved") == "sales document approved"
        assert audit_action_label("activities.document.created") == "file created"
        assert audit_action_label("identity.merged") == "identity merged"


def test_unknown_actions_are_shown_as_they_are():
    assert audit_action_label("sales.nosuchmodel.approved") == "sales.nosuchmodel.approved"
    assert audit_action_label("sales.document.frobbed") == "sales.document.frobbed"
