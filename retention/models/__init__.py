"""The retention app's tables, split by package (app label ``retention`` unchanged):
``figures`` the stored monthly figures, ``health`` scores, configuration, readings and flags."""

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

__all__ = [
    "COMMENT_MAX_LENGTH",
    "AccountHealth",
    "Band",
    "HealthScore",
    "MonthlySnapshot",
    "Rating",
    "RiskFlag",
    "RiskFlagEvent",
    "ScoringConfiguration",
    "ScoringLock",
    "SentimentReading",
    "band_rank",
    "comment_error",
    "said",
]
