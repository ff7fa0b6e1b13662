"""The beneficiary form: one validation used by the web page, the API and the file import."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tandir.orgs.models import Branch, District, Locality, Project
from tandir.registry.models import Beneficiary, Sex, Status
from tandir.registry.names import normalise_phone

CURRENCY_CODES = ["AMD", "AZN", "PKR", "TRY", "USD", "EUR", "RUB", "GEL"]


def choice_sources(user: Any) -> dict[str, QuerySet[Any]]:
    """What each choice field of `BeneficiaryForm` may offer `user`."""
    from tandir.orgs.access import scope
    from tandir.registry.queries import choosable_target_groups

    return {
        "branch": scope(user, Branch.objects.all(), branch_field="pk"),
        "projects": scope(user, Project.objects.all(), branch_field=None),
        "target_groups": choosable_target_groups(user),
        "district": District.objects.select_related("region"),
        "locality": Locality.objects.all(),
    }


class KnownChoices:
    """The rows an officer's forms may choose from, loaded once for many forms.

    An import validates thousands of lines with `BeneficiaryForm`; with these, choosing a
    branch, district, locality, project or target group costs no query per line.
    """

    def __init__(self, user: Any) -> None:
        self.rows = {
            name: {str(row.pk): row for row in rows} for name, rows in choice_sources(user).items()
        }


def _choose_from(field: forms.Field, rows: dict[str, Any]) -> None:
    """Make a model choice field look its value up in `rows` instead of the database."""
    multiple = isinstance(field, forms.ModelMultipleChoiceField)

    def clean(value: Any) -> Any:
        values = list(value or []) if multiple else ([] if value in field.empty_values else [value])
        if not values:
            if field.required:
                raise forms.ValidationError(field.error_messages["required"], code="required")
            return [] if multiple else None
        chosen = []
        for item in values:
            row = rows.get(str(getattr(item, "pk", item)))
            if row is None:
                raise forms.ValidationError(
                    field.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
            chosen.append(row)
        return chosen if multiple else chosen[0]

    field.clean = clean  # type: ignore[method-assign]


class BeneficiaryForm(forms.ModelForm):
    """Fields of a beneficiary plus household, consent and enrolment, validated together.

    `branches`, `projects` and `target_groups` querysets are narrowed to the officer's scope by
    the caller, so a form can never attach a person to another organisation's branch.
    """

    projects = forms.ModelMultipleChoiceField(
        queryset=Project.objects.none(), required=False, label=_("projects")
    )
    household_members = forms.IntegerField(label=_("household members"), min_value=1, max_value=40)
    household_dependants = forms.IntegerField(
        label=_("dependants"), min_value=0, max_value=40, initial=0
    )
    household_head_sex = forms.ChoiceField(label=_("sex of head of household"), choices=Sex.choices)
    household_income = forms.DecimalField(
        label=_("household monthly income"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        required=False,
    )
    household_income_currency = forms.ChoiceField(
        label=_("currency"), choices=[(c, c) for c in CURRENCY_CODES], required=False
    )
    consent_programme = forms.BooleanField(
        label=_("consents to use in the programme"), required=True
    )
    consent_surveys = forms.BooleanField(label=_("consents to follow-up surveys"), required=False)
    consent_sharing = forms.BooleanField(
        label=_("consents to anonymised sharing with the network"), required=False
    )
    initial_status = forms.ChoiceField(
        label=_("stage"),
        choices=[
            (Status.REGISTERED, Status.REGISTERED.label),
            (Status.INTERESTED, Status.INTERESTED.label),
        ],
        initial=Status.REGISTERED,
        required=False,
        help_text=_("“Interested” for people met in outreach who have not yet enrolled."),
    )

    class Meta:
        model = Beneficiary
        fields = [*Beneficiary.PERSON_FIELDS, "target_groups"]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "target_groups": forms.CheckboxSelectMultiple,
        }

    def __init__(
        self, *args: Any, user: Any, known: KnownChoices | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.known = known
        self.fields["national_id"].required = False
        if self.instance.pk:
            # Consent changes have their own actions; editing details does not re-ask it.
            self.fields["consent_programme"].required = False
            del self.fields["initial_status"]  # the stage moves with change_status
        if known:
            for name, rows in known.rows.items():
                _choose_from(self.fields[name], rows)
            return
        sources = choice_sources(user)
        for name, queryset in sources.items():
            self.fields[name].queryset = queryset  # type: ignore[attr-defined]
        if not self.is_bound and sources["branch"].count() == 1:
            self.fields["branch"].initial = sources["branch"].first()

    def _get_validation_exclusions(self) -> set[str]:
        excluded: set[str] = super()._get_validation_exclusions()  # type: ignore[misc]
        if self.known:
            # Chosen from rows just loaded: the model need not look each one up again.
            excluded |= {"branch", "district", "locality"}
        return excluded

    def clean_phone(self) -> str:
        phone = normalise_phone(self.cleaned_data.get("phone") or "")
        if phone and len(phone.lstrip("+")) < 6:
            raise forms.ValidationError(_("A phone number needs at least 6 digits."), code="phone")
        return phone

    def clean_national_id(self) -> str | None:
        value = (self.cleaned_data.get("national_id") or "").strip().upper()
        return value or None

    def clean_date_of_birth(self) -> datetime.date:
        born: datetime.date = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if born > today:
            raise forms.ValidationError(_("The date of birth is in the future."), code="future")
        if age < 15 or age > 100:
            raise forms.ValidationError(
                _("The participant must be between 15 and 100 years old."), code="age"
            )
        return born

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        locality, district = data.get("locality"), data.get("district")
        if locality and district and locality.district_id != district.pk:
            self.add_error("locality", _("This locality is not in the chosen district."))
        members, dependants = data.get("household_members"), data.get("household_dependants")
        if members is not None and dependants is not None and dependants >= members:
            self.add_error(
                "household_dependants",
                _("Dependants must be fewer than the household members."),
            )
        if data.get("household_income") is not None and not data.get("household_income_currency"):
            self.add_error("household_income_currency", _("Give the currency of the income."))
        return data


class BeneficiaryFilterForm(forms.Form):
    """The list page's search box and filters; every choice limited to what the user may see."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name in any script, phone or ID")}
        ),
    )
    project = forms.ModelChoiceField(
        label=_("Project"), queryset=Project.objects.none(), required=False
    )
    district = forms.ModelChoiceField(
        label=_("District"), queryset=District.objects.none(), required=False
    )
    target_group = forms.ChoiceField(label=_("Target group"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "---------"), *Status.choices]
    )
    sex = forms.ChoiceField(
        label=_("Sex"), required=False, choices=[("", "---------"), *Sex.choices]
    )
    duplicates = forms.BooleanField(label=_("Possible duplicates only"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        from tandir.orgs.access import scope
        from tandir.registry.queries import districts_for, target_groups_for

        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = scope(  # type: ignore[attr-defined]
            user, Project.objects.all(), branch_field=None
        )
        self.fields["district"].queryset = districts_for(user)  # type: ignore[attr-defined]
        self.fields["target_group"].choices = [  # type: ignore[attr-defined]
            ("", "---------"),
            *((g.code, str(g)) for g in target_groups_for(user)),
        ]
