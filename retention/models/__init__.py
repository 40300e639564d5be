"""The retention app's tables, split by package (app label ``retention`` unchanged):
``figures`` the stored monthly figures, ``health`` scores, configuration, readings and flags,
``playbooks`` playbooks, their versions and runs."""

from .figures import MonthlySnapshot
from .health import (
    COMMENT_MAX_LENGTH,
    AccountHealth,
    Band,
    HealthScore,
    Rating,
    RiskFlag,
    RiskFlagEvent,
    ScoringConfiguration,
    ScoringLock,
    SentimentReading,
    band_rank,
    comment_error,
    said,
)
from .playbooks import (
    Assignee,
    Playbook,
    PlaybookRun,
    PlaybookStep,
    PlaybookVersion,
    RunStep,
    StepKind,
    Trigger,
)

__all__ = [
    "COMMENT_MAX_LENGTH",
    "AccountHealth",
    "Assignee",
    "Band",
    "HealthScore",
    "MonthlySnapshot",
    "Playbook",
    "PlaybookRun",
    "PlaybookStep",
    "PlaybookVersion",
    "Rating",
    "RiskFlag",
    "RiskFlagEvent",
    "RunStep",
    "ScoringConfiguration",
    "ScoringLock",
    "SentimentReading",
    "StepKind",
    "Trigger",
    "band_rank",
    "comment_error",
    "said",
]
