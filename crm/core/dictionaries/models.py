from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core.customfields.models import pick_label


class DictionaryEntry(models.Model):
    """An entry of an admin-editable list (task statuses, event types, user statuses, journals).

    System entries are protected (PL-11): code and existence are fixed, labels may change.
    """

    dictionary = models.SlugField(_("list"), max_length=64)
    code = models.SlugField(_("code"), max_length=64)
    labels = models.JSONField(_("labels"), default=dict)
    is_system = models.BooleanField(_("system entry"), default=False, editable=False)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["dictionary", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["dictionary", "code"], name="dictionary_code_unique")]
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return pick_label(self.labels, self.code)
