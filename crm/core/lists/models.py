from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.core.base_models import TimeStampedModel


class SavedFilter(TimeStampedModel):
    """A named list query (PL-8): the query string of a list page, private or shared."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    list_key = models.CharField(_("list"), max_length=64)
    name = models.CharField(_("name"), max_length=120)
    query = models.CharField(_("query"), max_length=2000, blank=True)
    shared = models.BooleanField(_("shared with everyone"), default=False)

    class Meta:
        ordering = ["list_key", "name"]
        indexes = [models.Index(fields=["list_key", "owner"], name="savedfilter_list_owner_idx")]
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        permissions = [("share_savedfilter", _("Can share saved filters with everyone"))]

    def __str__(self) -> str:
        return self.name
