"""The registry's models, one module per concern."""

from .content import (
    AnnualCalendarDetails,
    CalendarEntry,
    ExerciseDetails,
    ProcurementItem,
    ProcurementPlanDetails,
)
from .findings import Finding
from .ledger import (
    LedgerCheckpoint,
    LedgerEntry,
    LedgerHead,
    LedgerKind,
    LedgerNode,
    LedgerSubmission,
    LedgerVerification,
)
from .notices import ImmutableRecordError, Notice, NoticeVersion, ReferenceCounter
from .officials import ApiToken, Official
from .regimes import Commitment, Organisation, Participation, State
from .reports import ReportExport

__all__ = [
    "AnnualCalendarDetails",
    "ApiToken",
    "CalendarEntry",
    "Commitment",
    "ExerciseDetails",
    "Finding",
    "ImmutableRecordError",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LedgerHead",
    "LedgerKind",
    "LedgerNode",
    "LedgerSubmission",
    "LedgerVerification",
    "Notice",
    "NoticeVersion",
    "Official",
    "Organisation",
    "Participation",
    "ProcurementItem",
    "ProcurementPlanDetails",
    "ReferenceCounter",
    "ReportExport",
    "State",
]
