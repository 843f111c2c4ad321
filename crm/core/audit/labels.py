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
    "details_changed": gettext_lazy("details changed"),
    "became_customer": gettext_lazy("became a customer"),
    "phone_added": gettext_lazy("phone number added"),
    "unknown_created": gettext_lazy("created as an unknown contact"),
    "unknown_converted": gettext_lazy("converted from an unknown contact"),
    "assigned": gettext_lazy("experts assigned"),
    "contact_linked": gettext_lazy("contact person added"),
    "contact_unlinked": gettext_lazy("contact person removed"),
    "merged": gettext_lazy("merged"),
    "merge_undone": gettext_lazy("merge undone"),
    "imported": gettext_lazy("imported"),
    "access_changed": gettext_lazy("access changed"),
    "version_added": gettext_lazy("new version added"),
    "responded": gettext_lazy("invitation answered"),
    "referred": gettext_lazy("referred"),
    "done": gettext_lazy("marked done"),
    "reopened": gettext_lazy("reopened"),
    "submitted": gettext_lazy("submitted"),
    "regenerated": gettext_lazy("address renewed"),
    "approved": gettext_lazy("approved"),
    "rejected": gettext_lazy("rejected"),
    "cancelled": gettext_lazy("cancelled"),
    "issued": gettext_lazy("issued"),
    "sent": gettext_lazy("sent to the customer"),
    "customer_accepted": gettext_lazy("accepted by the customer"),
    "customer_declined": gettext_lazy("declined by the customer"),
}


def _model_label(model_name: str) -> str:
    for model in apps.get_models():
        if model._meta.model_name == model_name:
            return str(model._meta.verbose_name)
    return model_name


def audit_action_label(action: str) -> str:
    if action.count(".") == 2:  # "sales.document.approved": the model named with its app
        app_label, model_name, verb = action.split(".")
        verb_label = VERBS.get(verb)
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            return action
        if verb_label is None:
            return action
        return _("%(what)s %(verb)s") % {"what": str(model._meta.verbose_name), "verb": verb_label}
    subject, _dot, verb = action.partition(".")
    if subject == "mailsettings":
        subject = "mailserversettings"
    if subject == "customfield":
        subject = "customfielddefinition"
    verb_label = VERBS.get(verb)
    if verb_label is None:
        return action
    return _("%(what)s %(verb)s") % {"what": _model_label(subject), "verb": verb_label}
