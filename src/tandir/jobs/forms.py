"""The schedule form: local time of day, time zone, and the member of staff it runs as."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tandir.jobs import planning
from tandir.orgs.models import Organization, StaffUser
from tandir.orgs.roles import ROLE_RIGHTS, Right


def roles_that_close() -> list[str]:
    return [role for role, rights in ROLE_RIGHTS.items() if Right.RUN_CLOSE_OF_BUSINESS in rights]


class ScheduleForm(forms.Form):
    enabled = forms.BooleanField(label=_("Close business every night"), required=False)
    run_at = forms.TimeField(
        label=_("Local time of day"),
        help_text=_("For example 01:30, after the day's last repayments are in."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"))
    run_as = forms.ModelChoiceField(
        label=_("Runs as"),
        queryset=StaffUser.objects.none(),
        help_text=_("An accountant or administrator; close of business checks their right."),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country = organization.country.code if organization.country is not None else ""
        first = planning.country_time_zones(country)
        others = sorted(planning.time_zones() - set(first))
        zone_field: Any = self.fields["time_zone"]
        zone_field.choices = [(zone, zone) for zone in [*first, *others]]
        run_as: Any = self.fields["run_as"]
        run_as.queryset = StaffUser.objects.filter(
            organization=organization, is_active=True, role__in=roles_that_close()
        ).order_by("username")
        run_as.label_from_instance = lambda user: user.get_full_name() or user.username
