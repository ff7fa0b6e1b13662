"""Forms of the event pages. They parse and offer choices within the user's organisation; the
rules themselves (dates in order, people of one's own organisation, amounts above zero) are the
actions', which also guard the API and the command line."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tandir.core.money import CURRENCY_CHOICES
from tandir.events.models import ActivityStatus, EventKind, InvestorKind, Outcome, Party
from tandir.orgs.models import StaffUser
from tandir.training.models import PartnerInstitution


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _partners(user: Any) -> Any:
    return PartnerInstitution.objects.filter(organization_id=user.organization_id).order_by("name")


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=EventKind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    starts_on = forms.DateField(label=_("first day"), widget=DateInput())
    ends_on = forms.DateField(label=_("last day"), widget=DateInput())
    place = forms.CharField(label=_("place"), max_length=200, required=False)
    online_link = forms.URLField(label=_("online link"), required=False, assume_scheme="https")
    description = forms.CharField(label=_("description"), required=False, widget=forms.Textarea)
    partners = forms.ModelMultipleChoiceField(
        label=_("partner institutions organising it"),
        queryset=PartnerInstitution.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partners"].queryset = _partners(user)  # type: ignore[attr-defined]


class StaffRegistrationForm(forms.Form):
    staff = forms.ModelChoiceField(label=_("staff member"), queryset=StaffUser.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = StaffUser.objects.filter(  # type: ignore[attr-defined]
            organization_id=user.organization_id, is_active=True
        ).order_by("last_name", "first_name", "username")
        self.fields["staff"].label_from_instance = (  # type: ignore[attr-defined]
            lambda u: f"{u.get_full_name() or u.username} · {u.get_role_display()}"
        )


class OutsideParticipantForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    affiliation = forms.CharField(label=_("organisation"), max_length=200, required=False)
    email = forms.EmailField(label=_("email"), required=False)
    phone = forms.CharField(
        label=_("phone"), max_length=40, required=False, widget=forms.TextInput({"type": "tel"})
    )


class InvestorForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=InvestorKind.choices)
    contact_name = forms.CharField(label=_("contact person"), max_length=200, required=False)
    email = forms.EmailField(label=_("email"), required=False)
    phone = forms.CharField(
        label=_("phone"), max_length=40, required=False, widget=forms.TextInput({"type": "tel"})
    )


class ProjectForm(forms.Form):
    beneficiary = forms.IntegerField(label=_("entrepreneur"), widget=forms.HiddenInput)
    title = forms.CharField(label=_("project title"), max_length=200)
    amount_sought = forms.DecimalField(label=_("amount sought"), max_digits=20, decimal_places=3)
    currency = forms.ChoiceField(label=_("currency"), choices=CURRENCY_CHOICES)
    summary = forms.CharField(label=_("summary"), required=False, widget=forms.Textarea)


class MeetingForm(forms.Form):
    investor = forms.IntegerField(label=_("investor"))
    met_on = forms.DateField(label=_("met on"), widget=DateInput())
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea)
    follow_up = forms.CharField(label=_("follow-up"), max_length=300, required=False)
    follow_up_on = forms.DateField(label=_("follow up by"), required=False, widget=DateInput())


class OutcomeForm(forms.Form):
    investor = forms.IntegerField(label=_("investor"))
    outcome = forms.ChoiceField(label=_("outcome"), choices=Outcome.choices)
    invested_amount = forms.DecimalField(
        label=_("amount invested"), max_digits=20, decimal_places=3, required=False
    )


class AgreementForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=_("partner institution"), queryset=PartnerInstitution.objects.none()
    )
    title = forms.CharField(label=_("title"), max_length=200)
    reference = forms.CharField(label=_("reference"), max_length=60, required=False)
    signed_on = forms.DateField(label=_("signed on"), widget=DateInput())
    valid_until = forms.DateField(label=_("valid until"), required=False, widget=DateInput())
    summary = forms.CharField(label=_("purpose"), required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = _partners(user)  # type: ignore[attr-defined]


class ActivityForm(forms.Form):
    description = forms.CharField(label=_("activity"), max_length=300)
    responsible_party = forms.ChoiceField(label=_("responsible party"), choices=Party.choices)
    responsible_person = forms.CharField(
        label=_("responsible person"), max_length=200, required=False
    )
    due_on = forms.DateField(label=_("due date"), widget=DateInput())


class ActivityStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=ActivityStatus.choices)
    done_on = forms.DateField(label=_("done on"), required=False, widget=DateInput())
