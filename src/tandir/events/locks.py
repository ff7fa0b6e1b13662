"""Row locks of events, in one place: a registration, an investor's interest or an activity is
locked before it changes, so two clicks on one toggle queue instead of losing an update."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tandir.core.errors import NotFound
from tandir.events.models import Activity, InvestorInterest, Registration


def lock_registration(registration_id: int) -> Registration:
    registration = Registration.objects.select_for_update().filter(pk=registration_id).first()
    if registration is None:
        raise NotFound(_("No such registration."))
    return registration


def lock_interest(interest_id: int) -> InvestorInterest:
    interest = InvestorInterest.objects.select_for_update().filter(pk=interest_id).first()
    if interest is None:
        raise NotFound(_("No such investor contact."))
    return interest


def lock_activity(activity_id: int) -> Activity:
    activity = Activity.objects.select_for_update().filter(pk=activity_id).first()
    if activity is None:
        raise NotFound(_("No such activity."))
    return activity
