"""Forms of the plan pages. They parse what was typed into a plan's content; the rules (no
negative amounts, costs needed, twelve months of season) live in the actions, which report every
problem at once."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tandir.core.money import AMOUNT_DIGITS, AMOUNT_PLACES
from tandir.lending.forms import products_for
from tandir.lending.models import LoanProduct, Sector
from tandir.plans.cashflow import SEASONS

MONTH_NAMES = [
    _("January"), _("February"), _("March"), _("April"), _("May"), _("June"), _("July"),
    _("August"), _("September"), _("October"), _("November"), _("December"),
]  # fmt: skip
STARTUP_LABELS = {
    "equipment": _("Equipment"),
    "stock": _("Stock"),
    "premises": _("Premises"),
    "working_capital": _("Working capital"),
}
SEASON_LABELS = {
    "even": _("The same every month"),
    "agriculture": _("Agriculture: harvest in late summer and autumn"),
    "livestock": _("Livestock: spring and before the winter"),
    "trade": _("Trade: busiest before the new year"),
    "custom": _("My own figures below"),
}
NUMBER = forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})


def _number(label: Any, *, required: bool = False) -> forms.DecimalField:
    # No minimum here: a negative figure is refused by the action with a message naming it.
    return forms.DecimalField(
        label=label,
        required=required,
        max_digits=AMOUNT_DIGITS + 3,
        decimal_places=AMOUNT_PLACES + 3,
        widget=NUMBER,
    )


class PlanForm(forms.Form):
    title = forms.CharField(label=_("name of the business"), max_length=200)
    idea = forms.CharField(
        label=_("business idea"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    business_type = forms.CharField(
        label=_("type of business"),
        required=False,
        max_length=200,
        help_text=_("For example: a new bakery, or more cows for an existing farm."),
    )
    sector = forms.ChoiceField(label=_("sector"), choices=Sector.choices)
    location = forms.CharField(label=_("location"), required=False, max_length=300)
    market = forms.CharField(
        label=_("market and customers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    competitors = forms.CharField(
        label=_("competitors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    skills = forms.CharField(
        label=_("skills and experience"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    start = forms.DateField(
        label=_("first month of the plan"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    own_contribution = _number(_("own contribution"))
    household_expenses = _number(_("household expenses per month"), required=True)
    household_income = _number(_("other household income per month"))
    existing_debt_payments = _number(_("payments on other debts per month"))
    season_profile = forms.ChoiceField(
        label=_("season"),
        choices=list(SEASON_LABELS.items()),
        initial="even",
        help_text=_("How busy each month is, in percent of an ordinary month."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for month, name in enumerate(MONTH_NAMES):
            self.fields[f"season_{month}"] = _number(name)
            self.fields[f"season_{month}"].initial = 100
        if not self.is_bound and not self.initial.get("start"):
            self.fields["start"].initial = _next_month()

    @property
    def season_fields(self) -> list[forms.BoundField]:
        return [self[f"season_{month}"] for month in range(12)]


def _next_month() -> datetime.date:
    today = timezone.localdate()
    return (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


class StartupCostForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=list(STARTUP_LABELS.items()))
    description = forms.CharField(label=_("what"), required=False, max_length=200)
    amount = _number(_("amount"))


class RevenueForm(forms.Form):
    name = forms.CharField(label=_("product or service"), required=False, max_length=200)
    unit_price = _number(_("price"))
    quantity = _number(_("sold in an ordinary month"))


class CostForm(forms.Form):
    name = forms.CharField(label=_("cost"), required=False, max_length=200)
    amount = _number(_("per month"))
    seasonal = forms.BooleanField(
        label=_("follows the season"), required=False, help_text=_("Feed, seed, stock bought.")
    )


StartupFormSet = forms.formset_factory(StartupCostForm, extra=2)
RevenueFormSet = forms.formset_factory(RevenueForm, extra=2)
CostFormSet = forms.formset_factory(CostForm, extra=2)


def _filled(row: dict[str, Any], names: tuple[str, ...]) -> bool:
    return any(row.get(name) not in (None, "") for name in names)


def _text(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def content_from(
    form: PlanForm, startup: forms.BaseFormSet, revenue: forms.BaseFormSet, costs: forms.BaseFormSet
) -> dict[str, Any]:
    """A plan's content from the valid forms; rows left empty are not lines."""
    data = form.cleaned_data
    profile = data["season_profile"]
    if profile in SEASONS:
        season = [str(v) for v in SEASONS[profile]]
    else:
        season = [_text(data.get(f"season_{m}")) for m in range(12)]
    return {
        "idea": data["idea"],
        "business_type": data["business_type"],
        "sector": data["sector"],
        "location": data["location"],
        "market": data["market"],
        "competitors": data["competitors"],
        "skills": data["skills"],
        "start": data["start"].isoformat(),
        "own_contribution": _text(data["own_contribution"]),
        "household_expenses": _text(data["household_expenses"]),
        "household_income": _text(data["household_income"]),
        "existing_debt_payments": _text(data["existing_debt_payments"]),
        "season_profile": profile,
        "season": season,
        "startup_costs": [
            {"kind": r["kind"], "description": r["description"], "amount": _text(r["amount"])}
            for r in startup.cleaned_data
            if _filled(r, ("description", "amount"))
        ],
        "revenue": [
            {
                "name": r["name"],
                "unit_price": _text(r["unit_price"]),
                "quantity": _text(r["quantity"]),
            }
            for r in revenue.cleaned_data
            if _filled(r, ("name", "unit_price", "quantity"))
        ],
        "costs": [
            {"name": r["name"], "amount": _text(r["amount"]), "seasonal": r["seasonal"]}
            for r in costs.cleaned_data
            if _filled(r, ("name", "amount"))
        ],
    }


def initial_from(title: str, content: dict[str, Any]) -> dict[str, Any]:
    """The plan form's initial values from a stored content."""
    initial: dict[str, Any] = {"title": title}
    for name in ("idea", "business_type", "sector", "location", "market", "competitors",
                 "skills", "start", "own_contribution", "household_expenses",
                 "household_income", "existing_debt_payments"):  # fmt: skip
        initial[name] = content.get(name, "")
    initial["season_profile"] = content.get("season_profile") or "custom"
    for month, value in enumerate(content.get("season") or []):
        initial[f"season_{month}"] = value
    return initial


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[("accept", _("Ready for appraisal")), ("back", _("Send back to draft"))],
    )
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class SendForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=LoanProduct.objects.none(),
        label=_("product"),
        required=False,
        empty_label=_("The product suggested"),
    )
    term = forms.IntegerField(
        label=_("number of installments"),
        required=False,
        min_value=1,
        max_value=600,
        help_text=_("Empty: the shortest term the cash flow can carry."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products_for(user)  # type: ignore[attr-defined]


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("why the plan is not financed"), max_length=300)
