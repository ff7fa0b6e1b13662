"""The beneficiary form: one validation used by the web page, the API and the file import."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tandir.core.money import AMOUNT_DIGITS, AMOUNT_PLACES, CURRENCY_CHOICES, money
from tandir.engine.money import minor_unit
from tandir.orgs.access import scope
from tandir.orgs.models import Branch, BranchDistrict, District, Locality, Project
from tandir.registry.identity import NotAPhone, normalise_id_number, parse_phone
from tandir.registry.models import Beneficiary, Household, IdDocument, Sex, Status, age_on

EMPTY_CHOICE: list[tuple[str, Any]] = [("", "---------")]
MIN_AGE, MAX_AGE = 15, 100


def choice_sources(user: Any) -> dict[str, QuerySet[Any]]:
    """What each choice field of `BeneficiaryForm` may offer `user`."""
    from tandir.registry.queries import choosable_target_groups, districts_served

    branches = scope(user, Branch.objects.all(), branch_field="pk")
    districts = districts_served(branches)
    return {
        "branch": branches.select_related("organization__country"),
        "projects": scope(user, Project.objects.all(), branch_field=None),
        "target_groups": choosable_target_groups(user),
        "district": districts,
        "locality": Locality.objects.filter(district__in=districts.values("pk")),
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
        self.branch_districts = branch_districts(self.rows["branch"].values())


def branch_districts(branches: Any) -> dict[int, set[int] | None]:
    """Per branch, the ids of the districts it serves; None where it names none (its country)."""
    served: dict[int, set[int] | None] = {branch.pk: None for branch in branches}
    for branch_id, district_id in BranchDistrict.objects.filter(
        branch_id__in=list(served)
    ).values_list("branch_id", "district_id"):
        districts = served[branch_id]
        if districts is None:
            districts = served[branch_id] = set()
        districts.add(district_id)
    return served


def branch_region(branch: Branch) -> str | None:
    """The country numbers without a country code belong to: the branch's organisation's."""
    country = branch.organization.country
    return country.code if country else None


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
    household_members = forms.IntegerField(
        label=_("household members"), min_value=1, max_value=Household.MAX_MEMBERS
    )
    household_dependants = forms.IntegerField(
        label=_("dependants"), min_value=0, max_value=Household.MAX_MEMBERS, initial=0
    )
    household_head_sex = forms.ChoiceField(
        label=_("sex of head of household"), choices=EMPTY_CHOICE + Sex.choices
    )
    household_income = forms.DecimalField(
        label=_("household monthly income"),
        min_value=0,
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,  # each currency's own minor unit is checked in clean()
        required=False,
    )
    household_income_currency = forms.ChoiceField(
        label=_("currency"), choices=EMPTY_CHOICE + CURRENCY_CHOICES, required=False
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

    # Asked at registration on the page, where a skipped answer must be chosen; an import or the
    # API may leave them out, and then they are "not recorded", never a guessed default.
    ANSWERS = ("education", "economic_activity", "heard_via")

    def __init__(
        self,
        *args: Any,
        user: Any,
        known: KnownChoices | None = None,
        answers_required: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.known = known
        self.fields["national_id"].required = False
        self.fields["id_document"].required = False
        for name in self.ANSWERS:
            self.fields[name].required = answers_required
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
        self._follow_places(sources)

    def _follow_places(self, sources: dict[str, QuerySet[Any]]) -> None:
        """Offer only the chosen branch's districts and the chosen district's localities; the
        page reloads the options when the branch or district changes (htmx)."""
        from django.urls import reverse

        from tandir.registry.queries import districts_served

        branch = self._chosen("branch")
        chosen = sources["branch"].filter(pk=branch)
        # A branch outside the officer's scope is the branch field's error, not the district's.
        if branch and chosen.exists():
            self.fields["district"].queryset = districts_served(chosen)  # type: ignore[attr-defined]
        district = self._chosen("district")
        self.fields["locality"].queryset = (  # type: ignore[attr-defined]
            sources["locality"].filter(district_id=district)
            if district
            else Locality.objects.none()
        )
        for name, target in (("branch", "district"), ("district", "locality")):
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": reverse("registry:place_options", args=[target]),
                    "hx-target": f"#id_{target}",
                    # Only a real change reloads; the choice already made stays if still offered.
                    "hx-trigger": "change changed",
                    "hx-include": f"#id_{target}",
                }
            )

    def _chosen(self, name: str) -> int | None:
        """The id chosen for a field: posted, initial, or the record's own."""
        value = self.data.get(name) if self.is_bound else self.initial.get(name)
        if value in (None, "") and not self.is_bound:
            value = getattr(self.instance, f"{name}_id", None) or self.fields[name].initial
        value = getattr(value, "pk", value)
        return int(str(value)) if str(value).isdigit() else None

    def _get_validation_exclusions(self) -> set[str]:
        excluded: set[str] = super()._get_validation_exclusions()  # type: ignore[misc]
        if self.known:
            # Chosen from rows just loaded: the model need not look each one up again.
            excluded |= {"branch", "district", "locality"}
        return excluded

    def clean_id_document(self) -> str:
        return self.cleaned_data.get("id_document") or IdDocument.NATIONAL_ID

    def clean_date_of_birth(self) -> datetime.date:
        born: datetime.date = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(_("The date of birth is in the future."), code="future")
        if not MIN_AGE <= age_on(born, today) <= MAX_AGE:
            raise forms.ValidationError(
                _("The participant must be between %(min)d and %(max)d years old.")
                % {"min": MIN_AGE, "max": MAX_AGE},
                code="age",
            )
        return born

    def _served_districts(self, branch: Branch) -> set[int] | None:
        if self.known:
            return self.known.branch_districts.get(branch.pk)
        return branch_districts([branch])[branch.pk]

    def _clean_place(self, data: dict[str, Any]) -> None:
        branch, district, locality = data.get("branch"), data.get("district"), data.get("locality")
        if branch and district:
            served = self._served_districts(branch)
            country = branch.organization.country_id
            outside = (
                district.pk not in served
                if served is not None
                else country is not None and district.region.country_id != country
            )
            if outside:
                self.add_error("district", _("The chosen branch does not serve this district."))
        if locality and district and locality.district_id != district.pk:
            self.add_error("locality", _("This locality is not in the chosen district."))

    def _clean_identity(self, data: dict[str, Any]) -> None:
        branch = data.get("branch")
        if "phone" in data:
            try:
                data["phone"] = parse_phone(
                    data.get("phone") or "", branch_region(branch) if branch else None
                )
            except NotAPhone:
                self.add_error(
                    "phone",
                    forms.ValidationError(
                        _("This is not a phone number. Write it with its digits, e.g. 091 123456."),
                        code="phone",
                    ),
                )
        data["national_id"] = normalise_id_number(
            data.get("national_id"), data.get("id_document") or IdDocument.NATIONAL_ID
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._clean_place(data)
        self._clean_identity(data)
        members, dependants = data.get("household_members"), data.get("household_dependants")
        if (
            members is not None
            and dependants is not None
            and not Household.dependants_allowed(members, dependants)
        ):
            self.add_error(
                "household_dependants",
                _("Dependants must be fewer than the household members."),
            )
        income = data.get("household_income")
        currency: str = data.get("household_income_currency") or ""
        if income is not None and not currency:
            self.add_error("household_income_currency", _("Give the currency of the income."))
        elif income is not None:
            try:
                data["household_income"] = money(income, currency).amount
            except ValueError:
                self.add_error(
                    "household_income",
                    _("%(currency)s amounts have at most %(places)d decimals.")
                    % {"currency": currency, "places": minor_unit(currency)},
                )
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
        from tandir.registry.queries import districts_for, target_groups_for

        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = scope(  # type: ignore[attr-defined]
            user, Project.objects.all(), branch_field=None
        )
        self.fields["district"].queryset = districts_for(user)  # type: ignore[attr-defined]
        self.visible_groups = list(target_groups_for(user))
        self.fields["target_group"].choices = [  # type: ignore[attr-defined]
            ("", "---------"),
            *((g.code, str(g)) for g in self.visible_groups),
        ]

    def filters_by_protected_group(self) -> bool:
        code = self.cleaned_data.get("target_group")
        return any(g.code == code and g.is_protected for g in self.visible_groups)


def district_options(user: Any, branch_id: Any) -> list[tuple[Any, str]]:
    """Districts a branch in the user's scope serves, for the form's district select."""
    from tandir.registry.queries import districts_served

    branches = scope(user, Branch.objects.all(), branch_field="pk")
    if branch_id and str(branch_id).isdigit():
        branches = branches.filter(pk=int(branch_id))
    return [(d.pk, str(d)) for d in districts_served(branches).order_by("name")]


def locality_options(user: Any, district_id: Any) -> list[tuple[Any, str]]:
    """Localities of a district the user may register in."""
    if not (district_id and str(district_id).isdigit()):
        return []
    sources = choice_sources(user)
    return [
        (loc.pk, str(loc))
        for loc in sources["locality"].filter(district_id=int(district_id)).order_by("name")
    ]


class WithdrawConsentForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the consent withdrawn?"),
        max_length=300,
        help_text=_("For example: asked at the office, by phone, through a relative."),
    )
    confirm = forms.BooleanField(
        label=_(
            "I confirm: the person withdraws consent. Follow-up surveys and anonymised sharing "
            "stop from today."
        ),
    )


class ConsentForm(forms.Form):
    programme_use = forms.BooleanField(label=_("consents to use in the programme"))
    follow_up_surveys = forms.BooleanField(label=_("consents to follow-up surveys"), required=False)
    network_sharing = forms.BooleanField(
        label=_("consents to anonymised sharing with the network"), required=False
    )
