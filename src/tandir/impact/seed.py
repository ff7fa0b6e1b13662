"""The outcome questions every organisation starts with, by the codes reports read.

Pure data: `impact.actions.seed_instruments` turns it into a baseline instrument and the
follow-ups (6 and 12 months after disbursement).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

CHANGE = [
    {"name": "better", "label": gettext_noop("Better")},
    {"name": "same", "label": gettext_noop("About the same")},
    {"name": "worse", "label": gettext_noop("Worse")},
]
YES_NO = [
    {"name": "yes", "label": gettext_noop("Yes")},
    {"name": "no", "label": gettext_noop("No")},
]

# code, label, type, required, min, max, choices; `baseline` says whether the baseline asks it
# (a change "since the programme" means nothing at intake).
OUTCOME_QUESTIONS: list[dict[str, Any]] = [
    {
        "code": "household_income_monthly",
        "label": gettext_noop("Household income last month, from all sources"),
        "type": "money",
        "required": True,
        "min": 0,
        "baseline": True,
    },
    {
        "code": "income_change",
        "label": gettext_noop("Compared with before the programme, your household income is"),
        "type": "choice",
        "required": True,
        "choices": CHANGE,
        "baseline": False,
    },
    {
        "code": "business_operating",
        "label": gettext_noop("Is your business operating?"),
        "type": "choice",
        "required": True,
        "choices": YES_NO,
        "baseline": True,
    },
    {
        "code": "business_revenue_monthly",
        "label": gettext_noop("Business revenue last month"),
        "type": "money",
        "min": 0,
        "baseline": True,
    },
    {
        "code": "business_profit_monthly",
        "label": gettext_noop("Business profit last month (may be negative)"),
        "type": "money",
        "baseline": True,
    },
    {
        "code": "paid_employees",
        "label": gettext_noop("Paid employees, besides you"),
        "type": "number",
        "min": 0,
        "max": 500,
        "baseline": True,
    },
    {
        "code": "family_workers",
        "label": gettext_noop("Family members working in the business, besides you"),
        "type": "number",
        "min": 0,
        "max": 50,
        "baseline": True,
    },
    {
        "code": "quality_of_life",
        "label": gettext_noop("Your quality of life, from 1 (very bad) to 5 (very good)"),
        "type": "scale",
        "required": True,
        "min": 1,
        "max": 5,
        "baseline": True,
    },
    {
        "code": "quality_of_life_change",
        "label": gettext_noop("Compared with before the programme, your quality of life is"),
        "type": "choice",
        "required": True,
        "choices": CHANGE,
        "baseline": False,
    },
    {
        "code": "satisfaction",
        "label": gettext_noop("Your satisfaction with the programme, from 1 to 5"),
        "type": "scale",
        "min": 1,
        "max": 5,
        "baseline": False,
    },
    {
        "code": "complaint",
        "label": gettext_noop("Any complaint or suggestion"),
        "type": "text",
        "baseline": False,
    },
]

# (code, name, months after disbursement) of the seeded follow-ups.
FOLLOW_UPS = [
    ("follow-up-6", gettext_noop("Follow-up at 6 months"), 6),
    ("follow-up-12", gettext_noop("Follow-up at 12 months"), 12),
]
BASELINE = ("baseline", gettext_noop("Baseline at intake"))
