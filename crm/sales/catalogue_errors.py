"""Errors of the product catalogue and price lists (SL-1, SL-10)."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crm.core.errors import ApplicationError


class CatalogueErrorCode(StrEnum):
    NAME_REQUIRED = "name_required"
    CODE_REQUIRED = "code_required"
    CODE_TAKEN = "code_taken"
    GROUP_CYCLE = "group_cycle"
    GROUP_IN_USE = "group_in_use"
    NEGATIVE_AMOUNT = "negative_amount"
    PERCENT_RANGE = "percent_range"
    PRICE_LIST_CODE_TAKEN = "price_list_code_taken"
    PRICE_LIST_DATES = "price_list_dates"
    PRICE_LIST_IN_USE = "price_list_in_use"
    RULE_TARGET = "rule_target"
    RULE_METHOD = "rule_method"
    NOT_IN_LIST = "not_in_list"


class CatalogueError(ApplicationError):
    messages = {
        CatalogueErrorCode.NAME_REQUIRED: _("Enter a name."),
        CatalogueErrorCode.CODE_REQUIRED: _("Enter a code."),
        CatalogueErrorCode.CODE_TAKEN: _("The code “%(value)s” is already used by another product."),
        CatalogueErrorCode.GROUP_CYCLE: _("A group cannot be placed under itself or one of its subgroups."),
        CatalogueErrorCode.GROUP_IN_USE: _("This group still has subgroups, products or price rules."),
        CatalogueErrorCode.NEGATIVE_AMOUNT: _("Amounts cannot be negative."),
        CatalogueErrorCode.PERCENT_RANGE: _("A percentage must be between 0 and 100."),
        CatalogueErrorCode.PRICE_LIST_CODE_TAKEN: _("The code “%(value)s” is already used by another price list."),
        CatalogueErrorCode.PRICE_LIST_DATES: _("The end of validity is before its start."),
        CatalogueErrorCode.PRICE_LIST_IN_USE: _("Documents use this price list; deactivate it instead."),
        CatalogueErrorCode.RULE_TARGET: _("A rule applies to all products, one group or one product, not both."),
        CatalogueErrorCode.RULE_METHOD: _("Choose how the rule changes the price."),
        CatalogueErrorCode.NOT_IN_LIST: _("This product has no fixed price in the list."),
    }

    def __init__(self, code: CatalogueErrorCode, message: str | None = None, **kwargs: object) -> None:
        super().__init__(code, message, **kwargs)  # type: ignore[arg-type]
        # the field keys say where the problem is; the text shown there is the message
        self.fields = {name: [self.message] for name in self.fields}
