"""Forms of the donor-report and exchange-rate pages. They parse; the actions decide what is
allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tandir.core.money import CURRENCY_CHOICES
from tandir.orgs.access import scope
from tandir.orgs.models import Project

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ExchangeRateForm(forms.Form):
    on = forms.DateField(label=_("date"), widget=DATE)
    from_currency = forms.ChoiceField(label=_("from"), choices=CURRENCY_CHOICES)
    to_currency = forms.ChoiceField(label=_("to"), choices=CURRENCY_CHOICES, initial="USD")
    rate = forms.DecimalField(
        label=_("rate"),
        help_text=_("What one unit of the first currency is worth in the second."),
        max_digits=20,
        decimal_places=8,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "min": 0}),
    )
    source = forms.CharField(
        label=_("source"),
        max_length=200,
        help_text=_("Where the rate comes from, e.g. the Central Bank of Armenia."),
    )

    def __init__(self, *args: Any, currency: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if currency:
            self.fields["from_currency"].initial = currency


class DonorReportForm(forms.Form):
    """The project, the period and the reporting currency (GET: the page reads it)."""

    project = forms.ModelChoiceField(queryset=Project.objects.none(), label=_("project"))
    date_from = forms.DateField(label=_("from"), widget=DATE)
    date_to = forms.DateField(label=_("to"), widget=DATE)
    currency = forms.ChoiceField(
        label=_("reporting currency"),
        choices=[("", _("the project's")), *CURRENCY_CHOICES],
        required=False,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["project"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = scope(user, Project.objects.all(), branch_field=None).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The period ends before it starts."))
        return data
