"""The choices of the portfolio-quality page: the date, the period and the breakdown."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

DIMENSION_CHOICES = [
    ("", _("No breakdown")),
    ("branch", _("Branch")),
    ("officer", _("Loan officer")),
    ("product", _("Product")),
    ("sector", _("Sector")),
    ("sex", _("Sex")),
    ("target_group", _("Target group")),
    ("district", _("District")),
    ("month", _("Month")),
]


class PortfolioForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), widget=forms.DateInput(attrs={"type": "date"}))
    date_from = forms.DateField(
        label=_("Period from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The first day of the month when left empty."),
    )
    dimension = forms.ChoiceField(
        label=_("Break down by"), choices=DIMENSION_CHOICES, required=False
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        as_of, start = data.get("as_of"), data.get("date_from")
        if as_of and as_of > self.today:
            self.add_error("as_of", _("A report is of a date that has come."))
        if as_of and start and start > as_of:
            self.add_error("date_from", _("The period must start on or before its last day."))
        return data
