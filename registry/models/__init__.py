"""The registry's models, one module per concern."""

from .compliance import ComplianceRollup, Receipt
from .content import (
    AnnualCalendarDetails,
    CalendarEntry,
    ExerciseDetails,
    ProcurementItem,
    ProcurementPlanDetails,
)
from .feeds import CalendarFeed
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
from .officials import ApiToken, Official, RecoveryCode, RecoveryCodeDevice
from .regimes import Commitment, Organisation, Participation, State
from .reports import ReportExport

__all__ = [
    "AnnualCalendarDetails",
    "ApiToken",
    "CalendarEntry",
    "CalendarFeed",
    "Commitment",
    "ComplianceRollup",
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
    "Receipt",
    "RecoveryCode",
    "RecoveryCodeDevice",
    "ReferenceCounter",
    "ReportExport",
    "State",
]
