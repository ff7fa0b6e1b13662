"""Row locks of the registry, in one place and one order (by primary key), so two actions that
lock the same people can never wait on each other."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from tandir.core.errors import NotFound
from tandir.orgs.models import StaffUser
from tandir.registry.models import Beneficiary, Consent, Household


def lock_beneficiaries(officer: StaffUser, ids: Iterable[int]) -> dict[int, Beneficiary]:
    """Lock people the officer may reach, by id; `NotFound` if any is outside their scope."""
    from tandir.registry.queries import beneficiaries_in_scope

    wanted = sorted(set(ids))
    locked = {
        person.pk: person
        for person in beneficiaries_in_scope(officer)
        .select_for_update(of=("self",))
        .filter(pk__in=wanted)
        .order_by("pk")
    }
    if len(locked) != len(wanted):
        raise NotFound(_("No such participant."))
    return locked


def lock_beneficiary(officer: StaffUser, beneficiary_id: int) -> Beneficiary:
    return lock_beneficiaries(officer, [beneficiary_id])[beneficiary_id]


def lock_consents(beneficiary: Beneficiary) -> list[Consent]:
    """A person's consents, locked; callers lock the person first."""
    return list(Consent.objects.select_for_update().filter(beneficiary=beneficiary).order_by("pk"))


def lock_household(household_id: int) -> Household:
    return Household.objects.select_for_update().get(pk=household_id)


def lock_person(beneficiary_id: int) -> Beneficiary:
    """A person, locked, for another app's action that has checked its own scope."""
    return Beneficiary.objects.select_for_update().get(pk=beneficiary_id)
