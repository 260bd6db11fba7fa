"""The registry's models, one module per concern."""

from .content import (
    AnnualCalendarDetails,
    CalendarEntry,
    ExerciseDetails,
    ProcurementItem,
    ProcurementPlanDetails,
)
from .findings import Finding
from .notices import ImmutableRecordError, Notice, NoticeVersion, ReferenceCounter
from .officials import ApiToken, Official
from .regimes import Commitment, Organisation, Participation, State

__all__ = [
    "AnnualCalendarDetails",
    "ApiToken",
    "CalendarEntry",
    "Commitment",
    "ExerciseDetails",
    "Finding",
    "ImmutableRecordError",
    "Notice",
    "NoticeVersion",
    "Official",
    "Organisation",
    "Participation",
    "ProcurementItem",
    "ProcurementPlanDetails",
    "ReferenceCounter",
    "State",
]
