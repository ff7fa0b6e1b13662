"""Forms of the training pages: modules, courses, venues, institutions, cohorts, sessions,
scores and drop-outs. They parse; the actions decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tandir.core.models import TargetGroup
from tandir.orgs.access import scope
from tandir.orgs.models import Branch, District, Project, StaffUser
from tandir.orgs.roles import ROLE_RIGHTS, Right
from tandir.training.models import (
    Course,
    InstitutionKind,
    Level,
    Module,
    PartnerInstitution,
    Venue,
    VenueKind,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PERCENT = forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", "min": 0, "max": 100})


def _org_rows(user: Any, model: type[Any]) -> QuerySet[Any]:
    return scope(user, model.objects.all(), branch_field=None)


def teaching_staff(user: Any) -> QuerySet[StaffUser]:
    """Staff of the user's organisation whose role teaches."""
    roles = [role for role, rights in ROLE_RIGHTS.items() if Right.TEACH in rights]
    return StaffUser.objects.filter(
        organization_id=user.organization_id, is_active=True, role__in=roles
    ).order_by("last_name", "first_name", "username")


class ModuleForm(forms.Form):
    code = forms.SlugField(label=_("code"), max_length=40)
    title = forms.CharField(label=_("title"), max_length=200)
    objectives = forms.CharField(label=_("objectives"), required=False, widget=forms.Textarea)
    hours = forms.DecimalField(label=_("hours"), min_value=0.5, max_digits=5, decimal_places=1)
    language = forms.ChoiceField(label=_("taught in"), choices=settings.LANGUAGES)


class MaterialForm(forms.Form):
    file = forms.FileField(label=_("file"))


class CourseForm(forms.Form):
    code = forms.SlugField(label=_("code"), max_length=40)
    title = forms.CharField(label=_("title"), max_length=200)
    level = forms.ChoiceField(label=_("level"), choices=Level.choices, initial=Level.OTHER)
    prerequisite = forms.ModelChoiceField(
        queryset=Course.objects.none(), required=False, label=_("requires completing")
    )
    modules = forms.ModelMultipleChoiceField(
        queryset=Module.objects.none(),
        label=_("modules"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Taught in the order of this list."),
    )
    min_attendance = forms.DecimalField(
        label=_("minimum attendance (%)"), initial=80, min_value=0, max_value=100, widget=PERCENT
    )
    pass_score = forms.DecimalField(
        label=_("pass mark of the final assessment"),
        required=False,
        min_value=0,
        max_value=100,
        widget=PERCENT,
        help_text=_("Leave empty when the course has no final assessment."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["prerequisite"].queryset = _org_rows(user, Course)  # type: ignore[attr-defined]
        modules = _org_rows(user, Module).order_by("pk")
        self.fields["modules"].queryset = modules  # type: ignore[attr-defined]


class VenueForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=VenueKind.choices)
    district = forms.ModelChoiceField(queryset=District.objects.none(), label=_("district"))
    address = forms.CharField(label=_("address"), max_length=300, required=False)
    capacity = forms.IntegerField(label=_("seats"), min_value=1, max_value=1000)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country = getattr(getattr(user, "organization", None), "country_id", None)
        districts = District.objects.select_related("region").order_by("name")
        if country:
            districts = districts.filter(region__country_id=country)
        self.fields["district"].queryset = districts  # type: ignore[attr-defined]


class InstitutionForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=InstitutionKind.choices)
    contact = forms.CharField(label=_("contact"), max_length=200, required=False)


class CohortForm(forms.Form):
    code = forms.SlugField(label=_("code"), max_length=40)
    course = forms.ModelChoiceField(queryset=Course.objects.none(), label=_("course"))
    venue = forms.ModelChoiceField(queryset=Venue.objects.none(), label=_("venue"))
    branch = forms.ModelChoiceField(queryset=Branch.objects.none(), label=_("branch"))
    starts_on = forms.DateField(label=_("first day"), widget=DATE)
    ends_on = forms.DateField(label=_("last day"), widget=DATE)
    capacity = forms.IntegerField(
        label=_("places"),
        min_value=1,
        required=False,
        help_text=_("Empty: as many as the venue has seats."),
    )
    trainers = forms.ModelMultipleChoiceField(
        queryset=StaffUser.objects.none(), label=_("trainers"), widget=forms.CheckboxSelectMultiple
    )
    institution = forms.ModelChoiceField(
        queryset=PartnerInstitution.objects.none(), required=False, label=_("trainers from")
    )
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(), required=False, label=_("for the project")
    )
    target_group = forms.ModelChoiceField(
        queryset=TargetGroup.objects.none(), required=False, label=_("for the target group")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["course"].queryset = _org_rows(user, Course)
        fields["venue"].queryset = _org_rows(user, Venue)
        fields["branch"].queryset = scope(user, Branch.objects.all(), branch_field="pk")
        fields["trainers"].queryset = teaching_staff(user)
        fields["trainers"].label_from_instance = lambda u: u.get_full_name() or u.username
        fields["institution"].queryset = _org_rows(user, PartnerInstitution)
        fields["project"].queryset = _org_rows(user, Project)
        from tandir.registry.queries import choosable_target_groups

        fields["target_group"].queryset = choosable_target_groups(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The last day comes before the first day."))
        return data


class SessionForm(forms.Form):
    held_on = forms.DateField(label=_("date"), widget=DATE)
    module = forms.ModelChoiceField(
        queryset=Module.objects.none(), required=False, label=_("module")
    )
    topic = forms.CharField(label=_("topic"), max_length=200, required=False)

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = Module.objects.filter(  # type: ignore[attr-defined]
            pk__in=course.parts.values("module_id")
        )


class ScoreForm(forms.Form):
    score = forms.DecimalField(
        label=_("assessment score"), min_value=0, max_value=100, decimal_places=2, widget=PERCENT
    )


class DropOutForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Find a participant"), max_length=100, required=False)
