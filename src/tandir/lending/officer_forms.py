"""Forms of the loan officer's pages: the day's follow-up notes, centres, groups and members,
and the collection sheet, whose lines are parsed here so every bad one is reported at once."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tandir.core.money import AMOUNT_DIGITS, AMOUNT_PLACES
from tandir.engine import quantum
from tandir.lending.actions import SheetEntry
from tandir.lending.models import Attendance, Centre, CollectionLine, Weekday
from tandir.orgs.access import scope
from tandir.orgs.models import Branch

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def branches_of(user: Any) -> QuerySet[Branch]:
    return scope(user, Branch.objects.all(), branch_field="pk").order_by("name")


class _PlaceForm(forms.Form):
    branch = forms.ModelChoiceField(queryset=Branch.objects.none(), label=gettext_lazy("branch"))
    name = forms.CharField(label=gettext_lazy("name"), max_length=200)
    meeting_place = forms.CharField(
        label=gettext_lazy("meeting place"), max_length=200, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branches = list(branches_of(user))
        field: Any = self.fields["branch"]
        field.queryset = branches_of(user)
        if not self.is_bound and len(branches) == 1:
            field.initial = branches[0].pk


class CentreForm(_PlaceForm):
    meeting_day = forms.TypedChoiceField(
        label=gettext_lazy("meeting day"), choices=Weekday.choices, coerce=int
    )
    field_order = ["branch", "name", "meeting_day", "meeting_place"]


class GroupForm(_PlaceForm):
    centre = forms.ModelChoiceField(
        queryset=Centre.objects.none(), required=False, label=gettext_lazy("centre")
    )
    meeting_day = forms.TypedChoiceField(
        label=gettext_lazy("meeting day"),
        choices=[("", "---------"), *Weekday.choices],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=gettext_lazy("Leave empty when the group meets with its centre."),
    )
    field_order = ["branch", "centre", "name", "meeting_day", "meeting_place"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        field: Any = self.fields["centre"]
        field.queryset = scope(user, Centre.objects.all()).order_by("name")


class MemberForm(forms.Form):
    beneficiary = forms.IntegerField(widget=forms.HiddenInput)
    is_leader = forms.BooleanField(label=gettext_lazy("group leader"), required=False)


class FollowUpForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("what happened"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    promised_on = forms.DateField(
        label=gettext_lazy("promised payment date"), required=False, widget=DATE
    )
    promised_amount = forms.DecimalField(
        label=gettext_lazy("promised amount"),
        required=False,
        min_value=Decimal("0.001"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean_promised_amount(self) -> Decimal | None:
        value: Decimal | None = self.cleaned_data.get("promised_amount")
        if value is not None and value != value.quantize(quantum(self.currency)):
            raise forms.ValidationError(
                _("%(currency)s has no amounts this fine.") % {"currency": self.currency}
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("promised_amount") is not None and data.get("promised_on") is None:
            self.add_error("promised_on", _("A promise to pay needs its date."))
        return data


class SheetDateForm(forms.Form):
    meeting_date = forms.DateField(label=gettext_lazy("meeting date"), widget=DATE)


def next_meeting(weekday: int | None, today: datetime.date) -> datetime.date:
    """The next day the place meets (today if it meets today); today if it has no day."""
    if weekday is None:
        return today
    return today + datetime.timedelta(days=(weekday - today.weekday()) % 7)


def parse_sheet(
    data: Mapping[str, Any], lines: list[CollectionLine], dues: Mapping[int, Decimal]
) -> tuple[list[SheetEntry], dict[int, list[str]]]:
    """The officer's entries for each line of a sheet, and every line's problems.

    A line left out of the submission keeps its defaults (present, paid as due), so the officer
    sends only the exceptions: `attendance-<line>` and `paid-<line>`.
    """
    entries: list[SheetEntry] = []
    problems: dict[int, list[str]] = {}
    for line in lines:
        attendance = data.get(f"attendance-{line.pk}") or Attendance.PRESENT
        if attendance not in Attendance.values:
            problems.setdefault(line.pk, []).append(_("Choose the attendance."))
        due = dues.get(line.pk, Decimal(0))
        text = str(data.get(f"paid-{line.pk}", due)).strip().replace(" ", "").replace(",", ".")
        try:
            paid = Decimal(text or "0")
        except InvalidOperation:
            problems.setdefault(line.pk, []).append(_("Write the amount paid as a number."))
            continue
        if not paid.is_finite() or paid < 0:
            problems.setdefault(line.pk, []).append(_("The amount paid cannot be negative."))
            continue
        if line.loan is None and paid > 0:
            problems.setdefault(line.pk, []).append(_("There is no loan to pay into."))
            continue
        if line.loan is not None and paid != paid.quantize(quantum(line.loan.currency)):
            problems.setdefault(line.pk, []).append(
                _("%(currency)s has no amounts this fine.") % {"currency": line.loan.currency}
            )
            continue
        entries.append(SheetEntry(line_id=line.pk, attendance=attendance, paid=paid))
    return entries, problems
