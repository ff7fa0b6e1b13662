"""Finding people who are already registered.

Same phone or national ID in the organisation: the registration is refused (the database
enforces it too). Same normalised name and birth date, or a similar name with a birth date
within a year, in the same district: a warning the officer must confirm. The year of slack
catches mistyped dates (day and month swapped, a wrong year) without flagging every namesake
of a common name at national scale.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from tandir.core.errors import Conflict
from tandir.registry.models import AliasKind, Beneficiary, BeneficiaryAlias
from tandir.registry.names import name_key, names_similar

CANDIDATE_LIMIT = 200
BIRTH_DATE_SLACK = datetime.timedelta(days=366)


def possibly_same_person(
    key_a: str, born_a: datetime.date, key_b: str, born_b: datetime.date
) -> bool:
    """Similar names (see `names_similar`) and birth dates at most a year apart."""
    return abs(born_a - born_b) <= BIRTH_DATE_SLACK and names_similar(key_a, key_b)


class DuplicateRefused(Conflict):
    """Another record already holds this phone or ID number.

    The holder is named only to an officer who may open their record; to anyone else the answer
    says only that the number is registered in the organisation and whom to ask, so a duplicate
    check cannot be used to find out who is registered in another branch.
    """

    def __init__(self, existing: Beneficiary, field: str, *, visible: bool) -> None:
        if visible:
            message = (
                _("%(name)s is already registered with this phone.")
                if field == "phone"
                else _("%(name)s is already registered with this ID number.")
            ) % {"name": existing.full_name}
            super().__init__(
                message, code=f"duplicate_{field}", existing_id=existing.pk, field=field
            )
        else:
            message = (
                _(
                    "This phone is already registered in your organisation, for a person "
                    "outside your branches. Ask your branch manager or the M&E officer."
                )
                if field == "phone"
                else _(
                    "This ID number is already registered in your organisation, for a person "
                    "outside your branches. Ask your branch manager or the M&E officer."
                )
            )
            super().__init__(message, code=f"duplicate_{field}", field=field)
        self.existing = existing if visible else None
        self.field = field


@dataclass(frozen=True)
class PersonKeys:
    full_key: str
    last_name_key: str


def keys_for(first_name: str, patronymic: str, last_name: str) -> PersonKeys:
    return PersonKeys(
        full_key=name_key(f"{first_name} {last_name}"), last_name_key=name_key(last_name)
    )


def find_holder(
    organization_id: int,
    phone: str,
    id_document: str,
    national_id: str | None,
    exclude_id: int | None = None,
) -> tuple[Beneficiary, str] | None:
    """The record already holding this phone or ID number, and which of the two matched.

    A phone kept as an alias when two records were merged still belongs to the kept person.
    """
    query = Q()
    if national_id:
        query |= Q(id_document=id_document, national_id=national_id)
    if phone:
        query |= Q(phone=phone) | Q(
            Exists(
                BeneficiaryAlias.objects.filter(
                    beneficiary=OuterRef("pk"), kind=AliasKind.PHONE, value=phone
                )
            )
        )
    if not query:
        return None
    holders = Beneficiary.objects.filter(query, organization_id=organization_id, merged_into=None)
    if exclude_id:
        holders = holders.exclude(pk=exclude_id)
    for holder in holders[:2]:
        same_id = national_id and holder.national_id == national_id
        return holder, ("national_id" if same_id else "phone")
    return None


def find_possible_duplicates(
    organization_id: int,
    district_id: int,
    keys: PersonKeys,
    date_of_birth: datetime.date,
    exclude_id: int | None = None,
) -> list[Beneficiary]:
    """People in the same district who may be this person (`possibly_same_person`)."""
    candidates = Beneficiary.objects.filter(
        Q(last_name_key=keys.last_name_key) | Q(date_of_birth=date_of_birth),
        organization_id=organization_id,
        district_id=district_id,
        date_of_birth__range=(date_of_birth - BIRTH_DATE_SLACK, date_of_birth + BIRTH_DATE_SLACK),
        merged_into=None,
    ).only("id", "first_name", "patronymic", "last_name", "name_key", "date_of_birth")
    if exclude_id:
        candidates = candidates.exclude(pk=exclude_id)
    return [
        candidate
        for candidate in candidates[:CANDIDATE_LIMIT]
        if possibly_same_person(
            candidate.name_key, candidate.date_of_birth, keys.full_key, date_of_birth
        )
    ]
