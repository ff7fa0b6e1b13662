"""Reads of the registry that the web pages, the API and exports share."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tandir.core.audit import Channel, log_access
from tandir.core.models import YOUTH, TargetGroup
from tandir.orgs.access import scope
from tandir.orgs.models import Branch, BranchDistrict, District, Organization
from tandir.orgs.roles import Right, has_right
from tandir.registry.identity import normalise_id_number, phone_digits
from tandir.registry.models import (
    AliasKind,
    Beneficiary,
    BeneficiaryAlias,
    BeneficiaryTargetGroup,
    Consent,
    Enrolment,
    HeardVia,
    Sex,
    Status,
)
from tandir.registry.names import name_key, to_latin


def beneficiaries_in_scope(user: Any) -> QuerySet[Beneficiary]:
    """Every record `user` may open, merged duplicates included (they redirect to the kept one)."""
    if not has_right(user, Right.SEE_RECORDS):
        return Beneficiary.objects.none()
    return scope(user, Beneficiary.objects.all())


def access_beneficiary(user: Any, beneficiary_id: Any, *, channel: Channel = "web") -> Beneficiary:
    """The one permission-checked way to reach a beneficiary; 404 outside the user's scope.

    Opening a record in a protected category, by a role allowed to see it, writes an access log
    row through `tandir.core.audit`.
    """
    try:
        beneficiary = (
            beneficiaries_in_scope(user)
            .select_related("branch", "district__region", "locality", "household", "registered_by")
            .prefetch_related("target_groups")
            .get(pk=int(beneficiary_id))
        )
    except (Beneficiary.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No beneficiary found.") from exc
    log_protected_views(user, [beneficiary], channel)
    return beneficiary


def log_protected_views(user: Any, people: Iterable[Beneficiary], channel: Channel) -> None:
    """Showing a person's protected category is a view of it, on a page, a list or an export:
    one access-log row per such person shown to a role allowed to see it.

    Reads the people's prefetched target groups, so a list costs no query per person.
    """
    if not has_right(user, Right.SEE_PROTECTED):
        return
    log_views(
        user,
        (
            (person.organization_id, person.pk)
            for person in people
            if any(group.is_protected for group in person.target_groups.all())
        ),
        channel,
    )


def log_views(user: Any, seen: Iterable[tuple[int, int]], channel: Channel) -> None:
    """One access-log row per (organisation id, beneficiary id) of a protected record seen."""
    log_access(user, seen, channel, record_type="beneficiary")


def visible_target_groups(user: Any, beneficiary: Beneficiary) -> list[TargetGroup]:
    """The person's target groups, without protected ones for roles that may not see them.

    Youth is derived from the age (threshold TANDIR_YOUTH_MAX_AGE), not stored.
    """
    see_protected = has_right(user, Right.SEE_PROTECTED)
    groups = [
        g
        for g in beneficiary.target_groups.all()
        if (see_protected or not g.is_protected) and g.code not in TargetGroup.DERIVED_CODES
    ]
    if beneficiary.is_youth:
        # An unsaved stand-in: the group is derived, so a list page needs no query per person.
        groups.append(TargetGroup(code=YOUTH, name="Youth", sort_order=5))
    return sorted(groups, key=lambda g: (g.sort_order, g.code))


def youngest_non_youth_birthday(today: datetime.date) -> datetime.date:
    """People born on or before this date are not youth today (`age_on` above the threshold)."""
    years = settings.TANDIR_YOUTH_MAX_AGE + 1
    try:
        born = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        born = today.replace(year=today.year - years, day=28)
    return born


def choosable_target_groups(user: Any) -> QuerySet[TargetGroup]:
    """Groups an officer may tick on a form: visible to them and not derived."""
    return target_groups_for(user).exclude(code__in=TargetGroup.DERIVED_CODES)


def districts_served(branches: QuerySet[Branch]) -> QuerySet[District]:
    """Districts the branches serve; a branch that names none serves its organisation's country."""
    links = BranchDistrict.objects.filter(branch__in=branches)
    countries = branches.exclude(pk__in=links.values("branch_id")).values(
        "organization__country_id"
    )
    return District.objects.filter(
        Q(pk__in=links.values("district_id")) | Q(region__country_id__in=countries)
    ).select_related("region")


def districts_for(user: Any) -> QuerySet[District]:
    """Districts to filter and register in: those the user's branches serve.

    Read from the branches, not from the registry, so the list page does not scan every person
    to draw a drop-down.
    """
    return districts_served(scope(user, Branch.objects.all(), branch_field="pk"))


def target_groups_for(user: Any) -> QuerySet[TargetGroup]:
    groups = TargetGroup.objects.all()
    if not has_right(user, Right.SEE_PROTECTED):
        groups = groups.filter(is_protected=False)
    return groups


def search_beneficiaries(
    user: Any,
    *,
    text: str = "",
    project: int | None = None,
    district: int | None = None,
    target_group: str = "",
    status: str = "",
    sex: str = "",
    possible_duplicates: bool = False,
) -> QuerySet[Beneficiary]:
    """Search by name in any script, phone or national ID, with the list filters.

    Names are matched on their Latin form and on their spelling-insensitive key, so a search
    typed in any script or spelling meets a name written in any other. Filters on related
    rows are EXISTS subqueries, so no DISTINCT is needed over a large registry. On PostgreSQL
    trigram indexes serve the substring matches (migration registry 0002).
    """
    found = beneficiaries_in_scope(user).filter(merged_into=None)
    text = text.strip()
    if text:
        id_number = normalise_id_number(text)
        query = Q(national_id=id_number)
        latin = to_latin(text)
        if latin:
            query |= Q(name_latin__icontains=latin)
        key = name_key(text)
        aliases = Q()
        if latin:
            aliases |= Q(kind=AliasKind.NAME, name_latin__icontains=latin)
        # Names hold no digits: "AT0075559" is an ID or phone, not the name fragment "at".
        if len(key) >= 2 and not any(c.isdigit() for c in text):
            query |= Q(name_key__contains=key)
            aliases |= Q(kind=AliasKind.NAME, name_key__contains=key)
        digits = phone_digits(text)
        if len(digits) >= 4:
            query |= Q(phone__contains=digits)
            aliases |= Q(kind=AliasKind.PHONE, value__contains=digits)
        aliases |= Q(kind=AliasKind.ID_NUMBER, value=id_number)
        # Another spelling or phone kept when records were merged finds the kept person.
        # (An IN over the few alias rows is planned once, not once per person.)
        query |= Q(pk__in=BeneficiaryAlias.objects.filter(aliases).values("beneficiary_id"))
        found = found.filter(query)
    if project:
        found = found.filter(
            Exists(Enrolment.objects.filter(beneficiary=OuterRef("pk"), project_id=project))
        )
    if district:
        found = found.filter(district_id=district)
    if target_group == YOUTH:
        found = found.filter(date_of_birth__gt=youngest_non_youth_birthday(timezone.localdate()))
    elif target_group:
        # A group the user may not see filters to nobody, so the count reveals nothing.
        if target_groups_for(user).filter(code=target_group).exists():
            members = BeneficiaryTargetGroup.objects.filter(
                beneficiary_id=OuterRef("pk"), targetgroup__code=target_group
            )
            found = found.filter(Exists(members))
        else:
            found = found.none()
    if status:
        found = found.filter(status=status)
    if sex:
        found = found.filter(sex=sex)
    if possible_duplicates:
        found = found.filter(possible_duplicate_of__isnull=False)
    return found.select_related("branch", "district")


@dataclass
class RegistrySummary:
    total: int
    women: int
    this_month: int
    mine_this_month: int
    possible_duplicates: int
    consent_surveys: int
    consent_withdrawn: int
    by_status: list[dict[str, Any]]
    by_target_group: list[dict[str, Any]]
    by_heard_via: list[dict[str, Any]]

    def status_count(self, status: str) -> int:
        return next(row["count"] for row in self.by_status if row["status"] == status)


def _bars(counts: dict[Any, int], choices: list[tuple[Any, Any]]) -> list[dict[str, Any]]:
    """Rows of a bar chart, each bar relative to the largest."""
    biggest = max(counts.values(), default=0) or 1
    return [
        {
            "status": value,
            "label": label,
            "count": counts.get(value, 0),
            "percent": round(100 * counts.get(value, 0) / biggest),
        }
        for value, label in choices
    ]


def registry_summary(user: Any, today: datetime.date | None = None) -> RegistrySummary:
    """Counts for the home page in three queries, each one pass over the scoped rows."""
    today = today or timezone.localdate()
    people = beneficiaries_in_scope(user).filter(merged_into=None)
    month_start = today.replace(day=1)
    # One scan of the registry counts everything that is a column of a person.
    counts = {
        "total": Count("id"),
        "women": Count("id", filter=Q(sex=Sex.FEMALE)),
        "this_month": Count("id", filter=Q(registered_on__gte=month_start)),
        "mine_this_month": Count(
            "id", filter=Q(registered_on__gte=month_start, registered_by_id=user.pk)
        ),
        "possible_duplicates": Count("id", filter=Q(possible_duplicate_of__isnull=False)),
        **{f"status_{v}": Count("id", filter=Q(status=v)) for v in Status.values},
        **{f"heard_{v}": Count("id", filter=Q(heard_via=v)) for v in HeardVia.values},
    }
    totals = people.aggregate(**counts)
    # At most one consent per person is active (a new one closes the old).
    consents = Consent.objects.filter(beneficiary__in=people.values("pk"), withdrawn_on=None)
    consent = consents.aggregate(
        active=Count("id"), surveys=Count("id", filter=Q(follow_up_surveys=True))
    )
    groups = dict(
        BeneficiaryTargetGroup.objects.filter(beneficiary__in=people.values("pk"))
        .values_list("targetgroup_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    visible_groups = [(g.pk, str(g)) for g in choosable_target_groups(user)]
    return RegistrySummary(
        total=totals["total"],
        women=totals["women"],
        this_month=totals["this_month"],
        mine_this_month=totals["mine_this_month"],
        possible_duplicates=totals["possible_duplicates"],
        consent_surveys=consent["surveys"],
        consent_withdrawn=totals["total"] - consent["active"],
        by_status=_bars({v: totals[f"status_{v}"] for v in Status.values}, Status.choices),
        by_target_group=_bars(groups, visible_groups),
        by_heard_via=_bars({v: totals[f"heard_{v}"] for v in HeardVia.values}, HeardVia.choices),
    )


def network_aggregates(user: Any) -> list[dict[str, Any]]:
    """Per member organisation of the user's network: counts only, never a person's record."""
    members = Organization.objects.filter(networks=user.organization_id)
    # Only people who agreed to anonymised sharing with the network are counted.
    sharing = Consent.objects.filter(
        beneficiary=OuterRef("pk"), withdrawn_on=None, network_sharing=True
    )
    rows = (
        Beneficiary.objects.filter(Exists(sharing), organization__in=members, merged_into=None)
        .values("organization_id")
        .annotate(people=Count("id"), women=Count("id", filter=Q(sex=Sex.FEMALE)))
        .order_by()
    )
    by_org: dict[int, Any] = {row["organization_id"]: row for row in rows}
    branches = dict(
        Branch.objects.filter(organization__in=members)
        .values_list("organization_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        {
            "name": org.name,
            "people": by_org.get(org.pk, {}).get("people", 0),
            "women": by_org.get(org.pk, {}).get("women", 0),
            "branches": branches.get(org.pk, 0),
        }
        for org in members.order_by("name")
    ]


def form_initial(person: Beneficiary) -> dict[str, Any]:
    """Initial values of the form's extra fields (household, projects, consent) for editing."""
    household = person.household
    consent = person.consents.filter(withdrawn_on=None).first()
    initial: dict[str, Any] = {
        "projects": list(person.enrolments.values_list("project_id", flat=True)),
        "consent_programme": True,
        "consent_surveys": bool(consent and consent.follow_up_surveys),
        "consent_sharing": bool(consent and consent.network_sharing),
    }
    if household:
        initial.update(
            household_members=household.members_count,
            household_dependants=household.dependants,
            household_head_sex=household.head_sex,
            household_income=income.amount if (income := household.monthly_income) else None,
            household_income_currency=household.monthly_income_currency,
        )
    return initial


def side_by_side(user: Any, kept: Beneficiary, duplicate: Beneficiary) -> list[dict[str, Any]]:
    """The two records of a merge as rows a manager compares: label, each value, differs."""
    from tandir.core import formatting

    def facts(person: Beneficiary) -> list[tuple[str, str]]:
        consent = person.consents.filter(withdrawn_on=None).first()
        return [
            (_("First name"), person.first_name),
            (_("Patronymic"), person.patronymic),
            (_("Last name"), person.last_name),
            (_("In Latin"), person.name_latin),
            (_("Sex"), person.get_sex_display()),
            (_("Date of birth"), formatting.date(person.date_of_birth)),
            (_("Phone"), person.phone),
            (_("ID number"), f"{person.get_id_document_display()} {person.national_id or ''}"),
            (_("Branch"), person.branch.name),
            (_("District"), person.district.name),
            (_("Locality"), person.locality.name if person.locality else ""),
            (_("Status"), person.get_status_display()),
            (_("Registered on"), formatting.date(person.registered_on)),
            (_("Target groups"), ", ".join(str(g) for g in visible_target_groups(user, person))),
            (
                _("Projects"),
                ", ".join(e.project.name for e in person.enrolments.select_related("project")),
            ),
            (_("Consent in force"), formatting.date(consent.given_on) if consent else "—"),
        ]

    return [
        {"label": label, "kept": a, "duplicate": b, "differs": a != b}
        for (label, a), (_label, b) in zip(facts(kept), facts(duplicate), strict=True)
    ]
