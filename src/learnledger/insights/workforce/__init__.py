"""Workforce planning: the skill supply of each role, by quarter, against its requirements and
the headcount plan (`forecast_supply`), and who may see it (`forecast_for`)."""

from learnledger.insights.workforce.access import forecast_for
from learnledger.insights.workforce.forecast import (
    COLUMNS,
    ForecastCell,
    ForecastRequest,
    WorkforceForecast,
    forecast_supply,
)

__all__ = [
    "COLUMNS",
    "ForecastCell",
    "ForecastRequest",
    "WorkforceForecast",
    "forecast_for",
    "forecast_supply",
]
