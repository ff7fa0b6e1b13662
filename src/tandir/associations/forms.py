"""Forms of the association pages. They parse what was typed; the rules (members only, one
holder of an office at a time, dates that make sense) are the actions' and come back as the
form's errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from tandir.associations.models import (
    ActivityKind,
    Association,
    AssociationKind,
    DuesPeriod,
    Membership,
    Office,
)
from tandir.core.money import AMOUNT_DIGITS, AMOUNT_PLACES
from tandir.lending.models import Sector
from tandir.orgs.access import scope
from tandir.orgs.models import Branch, District, Locality

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date(label: Any, *, required: bool = True, help_text: Any = "") -> forms.DateField:
    return forms.DateField(label=label, widget=DATE, required=required, help_text=help_text)


def branches_of(user: Any) -> QuerySet[Branch]:
    return scope(user, Branch.objects.all(), branch_field="pk").order_by("name")


class _Member(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.beneficiary.full_name


class AssociationForm(forms.Form):
    branch = forms.ModelChoiceField(queryset=Branch.objects.none(), label=gettext_lazy("branch"))
    kind = forms.ChoiceField(
        label=gettext_lazy("kind"), choices=AssociationKind.choices, initial="association"
    )
    name = forms.CharField(label=gettext_lazy("name"), max_length=200)
    sector = forms.ChoiceField(
        label=gettext_lazy("sector"), choices=[("", "---------"), *Sector.choices], required=False
    )
    district = forms.ModelChoiceField(
        queryset=District.objects.none(), label=gettext_lazy("district"), required=False
    )
    locality = forms.ModelChoiceField(
        queryset=Locality.objects.none(), label=gettext_lazy("locality"), required=False
    )
    founded_on = _date(gettext_lazy("founded on"))
    formed_with_programme = forms.BooleanField(
        label=gettext_lazy("the programme helped form it"), required=False
    )
    purpose = forms.CharField(
        label=gettext_lazy("purpose"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, user: Any, editing: bool = False, **kwargs: Any) -> None:
        from tandir.registry.queries import districts_for

        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        if editing:
            del self.fields["branch"]
        else:
            fields["branch"].queryset = branches_of(user)
            branches = list(fields["branch"].queryset)
            if not self.is_bound and len(branches) == 1:
                fields["branch"].initial = branches[0].pk
        districts = districts_for(user).order_by("name")
        fields["district"].queryset = districts
        fields["locality"].queryset = Locality.objects.filter(
            district__in=districts.values("pk")
        ).order_by("name")


class DuesForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("dues per period"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        min_value=Decimal(0),
        required=False,
        help_text=gettext_lazy("Leave empty if members pay no dues."),
    )
    period = forms.ChoiceField(
        label=gettext_lazy("paid"), choices=[("", "---------"), *DuesPeriod.choices], required=False
    )
    since = _date(gettext_lazy("dues payable from"), required=False)


class JoinForm(forms.Form):
    beneficiary = forms.IntegerField(widget=forms.HiddenInput)
    joined_on = _date(gettext_lazy("joined on"))
    business_name = forms.CharField(label=gettext_lazy("business"), max_length=200, required=False)


class LeaveForm(forms.Form):
    left_on = _date(gettext_lazy("left on"))


class ElectionForm(forms.Form):
    membership = _Member(queryset=Membership.objects.none(), label=gettext_lazy("member"))
    office = forms.ChoiceField(label=gettext_lazy("office"), choices=Office.choices)
    starts_on = _date(gettext_lazy("term starts on"))
    ends_on = _date(
        gettext_lazy("term ends on"),
        required=False,
        help_text=gettext_lazy("Leave empty if the term has no fixed end."),
    )

    def __init__(self, *args: Any, association: Association, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["membership"]
        field.queryset = _current(association)


class EndTermForm(forms.Form):
    ends_on = _date(gettext_lazy("term ends on"))


def _current(association: Association) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(association=association, left_on=None)
        .select_related("beneficiary")
        .order_by("beneficiary__last_name", "beneficiary__first_name", "pk")
    )


def _everyone(association: Association) -> QuerySet[Membership]:
    """Members past and present: a meeting or activity may be recorded late, after some left."""
    return (
        Membership.objects.filter(association=association)
        .select_related("beneficiary")
        .order_by("left_on", "beneficiary__last_name", "beneficiary__first_name", "pk")
    )


class _PeopleField(forms.MultipleChoiceField):
    """Members ticked by participant id: the action checks each one was a member on the day, so
    a tampered form naming someone else is refused with the reason, not silently dropped."""

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit()


def _people_choices(association: Association) -> list[tuple[str, str]]:
    seen: dict[int, str] = {}
    for membership in _everyone(association):
        seen.setdefault(membership.beneficiary_id, membership.beneficiary.full_name)
    return [(str(pk), name) for pk, name in seen.items()]


class MeetingForm(forms.Form):
    held_on = _date(gettext_lazy("held on"))
    place = forms.CharField(label=gettext_lazy("place"), max_length=200, required=False)
    present = _PeopleField(
        label=gettext_lazy("members present"), widget=forms.CheckboxSelectMultiple
    )
    minutes = forms.CharField(
        label=gettext_lazy("minutes"), widget=forms.Textarea(attrs={"rows": 8}), required=False
    )

    def __init__(self, *args: Any, association: Association, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["present"]
        field.choices = _people_choices(association)

    def present_ids(self) -> list[int]:
        return [int(v) for v in self.cleaned_data["present"]]


class DuesPaymentForm(forms.Form):
    membership = _Member(queryset=Membership.objects.none(), label=gettext_lazy("member"))
    amount = forms.DecimalField(
        label=gettext_lazy("amount"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
    )
    paid_on = _date(gettext_lazy("paid on"))
    note = forms.CharField(label=gettext_lazy("note"), max_length=200, required=False)

    def __init__(self, *args: Any, association: Association, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["membership"]
        field.queryset = _everyone(association)


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("kind"), choices=ActivityKind.choices)
    held_on = _date(gettext_lazy("date"))
    description = forms.CharField(
        label=gettext_lazy("description"), widget=forms.Textarea(attrs={"rows": 3})
    )
    participants = forms.IntegerField(
        label=gettext_lazy("participants"),
        min_value=1,
        help_text=gettext_lazy("Everyone who took part, people from outside included."),
    )
    members = _PeopleField(
        label=gettext_lazy("members who took part"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, association: Association, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["members"]
        field.choices = _people_choices(association)

    def member_ids(self) -> list[int]:
        return [int(v) for v in self.cleaned_data["members"]]
