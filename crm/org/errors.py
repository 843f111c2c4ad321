from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from crm.core.errors import ApplicationError


class OrgErrorCode(StrEnum):
    DEPARTMENT_CYCLE = "department_cycle"
    DEPARTMENT_IN_USE = "department_in_use"
    APPOINTMENT_OVERLAP = "appointment_overlap"
    DATES_ORDER = "dates_order"
    INACTIVE_POSITION = "inactive_position"
    SUBSTITUTE_IS_HOLDER = "substitute_is_holder"


class OrgError(ApplicationError):
    messages = {
        OrgErrorCode.DEPARTMENT_CYCLE: _("A department cannot be placed under itself or one of its sub-departments."),
        OrgErrorCode.DEPARTMENT_IN_USE: _("This department still has sub-departments or positions."),
        OrgErrorCode.APPOINTMENT_OVERLAP: _("%(user)s already holds this position in an overlapping period."),
        OrgErrorCode.DATES_ORDER: _("The end date must not be before the start date."),
        OrgErrorCode.INACTIVE_POSITION: _("This position is inactive."),
        OrgErrorCode.SUBSTITUTE_IS_HOLDER: _("The substitute already holds this position."),
    }
