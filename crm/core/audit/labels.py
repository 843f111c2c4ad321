"""People-readable labels for audit actions such as `employeecard.updated`."""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

VERBS = {
    "created": gettext_lazy("created"),
    "updated": gettext_lazy("changed"),
    "deleted": gettext_lazy("deleted"),
    "restored": gettext_lazy("restored"),
    "custom_updated": gettext_lazy("custom fields changed"),
    "permissions_changed": gettext_lazy("rights changed"),
    "preferences_changed": gettext_lazy("preferences changed"),
    "ended": gettext_lazy("ended"),
    "defined": gettext_lazy("defined"),
}


def _model_label(model_name: str) -> str:
    for model in apps.get_models():
        if model._meta.model_name == model_name:
            return str(model._meta.verbose_name)
    return model_name


def audit_action_label(action: str) -> str:
    subject, _dot, verb = action.partition(".")
    if subject == "mailsettings":
        subject = "mailserversettings"
    if subject == "customfield":
        subject = "customfielddefinition"
    verb_label = VERBS.get(verb)
    if verb_label is None:
        return action
    return _("%(what)s %(verb)s") % {"what": _model_label(subject), "verb": verb_label}
