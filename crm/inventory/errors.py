"""Why a stock operation was refused. The sales approval handlers raise these too: any
`ApplicationError` from a handler rolls the approval back and shows its message."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crm.core.errors import ApplicationError


class InventoryErrorCode(StrEnum):
    NOT_ENOUGH_STOCK = "not_enough_stock"
    NO_WAREHOUSE = "no_warehouse"
    WAREHOUSE_INACTIVE = "warehouse_inactive"
    WAREHOUSE_NOT_ALLOWED = "warehouse_not_allowed"
    NOT_ALLOWED = "not_allowed"
    SAME_WAREHOUSE = "same_warehouse"
    NO_LINES = "no_lines"
    BAD_QUANTITY = "bad_quantity"
    NOT_STOCKED = "not_stocked"
    SERIALS_COUNT = "serials_count"
    SERIAL_NOT_IN_STOCK = "serial_not_in_stock"
    SERIAL_IN_STOCK = "serial_in_stock"
    SERIAL_DUPLICATE = "serial_duplicate"
    SERIAL_CHANGED = "serial_changed"
    ALREADY_REVERSED = "already_reversed"
    IS_REVERSAL = "is_reversal"
    INVALID = "invalid"
    CODE_TAKEN = "code_taken"


class InventoryError(ApplicationError):
    messages = {
        InventoryErrorCode.NOT_ENOUGH_STOCK: _(
            "Not enough stock of “%(product)s” in %(warehouse)s: %(available)s on hand, %(needed)s needed."
        ),
        InventoryErrorCode.NO_WAREHOUSE: _("Choose a warehouse: there is no default warehouse."),
        InventoryErrorCode.WAREHOUSE_INACTIVE: _("The warehouse “%(warehouse)s” is not in use."),
        InventoryErrorCode.WAREHOUSE_NOT_ALLOWED: _("You may not use the warehouse “%(warehouse)s”."),
        InventoryErrorCode.NOT_ALLOWED: _("You may not do this."),
        InventoryErrorCode.SAME_WAREHOUSE: _("Choose two different warehouses."),
        InventoryErrorCode.NO_LINES: _("Add at least one product."),
        InventoryErrorCode.BAD_QUANTITY: _("The quantity of “%(product)s” is not valid."),
        InventoryErrorCode.NOT_STOCKED: _("“%(product)s” is not kept in stock."),
        InventoryErrorCode.SERIALS_COUNT: _("“%(product)s” needs %(needed)s serial numbers, %(given)s given."),
        InventoryErrorCode.SERIAL_NOT_IN_STOCK: _(
            "Serial number %(serial)s of “%(product)s” is not in stock in %(warehouse)s."
        ),
        InventoryErrorCode.SERIAL_IN_STOCK: _("Serial number %(serial)s of “%(product)s” is already in stock."),
        InventoryErrorCode.SERIAL_DUPLICATE: _("Serial number %(serial)s is given twice."),
        InventoryErrorCode.SERIAL_CHANGED: _(
            "Serial number %(serial)s has moved since; this movement can no longer be reversed."
        ),
        InventoryErrorCode.ALREADY_REVERSED: _("This movement is already reversed."),
        InventoryErrorCode.IS_REVERSAL: _("A reversal cannot be reversed."),
        InventoryErrorCode.INVALID: _("Some values are not valid."),
        InventoryErrorCode.CODE_TAKEN: _("Another warehouse has this code."),
    }
    statuses = {
        InventoryErrorCode.NOT_ALLOWED: 403,
        InventoryErrorCode.WAREHOUSE_NOT_ALLOWED: 403,
        InventoryErrorCode.NOT_ENOUGH_STOCK: 409,
        InventoryErrorCode.SERIAL_NOT_IN_STOCK: 409,
        InventoryErrorCode.SERIAL_IN_STOCK: 409,
        InventoryErrorCode.SERIAL_CHANGED: 409,
        InventoryErrorCode.ALREADY_REVERSED: 409,
        InventoryErrorCode.CODE_TAKEN: 409,
    }

    def __init__(self, code: InventoryErrorCode, message: str | None = None, **params: object):
        super().__init__(code, message, **params)  # type: ignore[arg-type]
        self.status = self.statuses.get(code, 400)
