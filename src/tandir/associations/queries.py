"""Reads of associations that the pages, the demo checks and reports share: the one
permission-checked lookup, the list with size and last meeting, an association's members,
officers, meetings, dues standing and activities, and the programme's support over time."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.http import Http404

from tandir.associations import dues
from tandir.associations.models import (
    ActivityParticipant,
    Association,
    DuesPayment,
    Meeting,
    MeetingAttendance,
    Membership,
    OfficeTerm,
    SupportActivity,
)
from tandir.core.money import summed
from tandir.orgs.access import scope
from tandir.orgs.roles import Right, has_right

ZERO = Decimal(0)


def associations_in_scope(user: Any, *, for_report: bool = False) -> QuerySet[Association]:
    """Every association `user` may open: their organisation, their branches unless the role
    sees the whole organisation; nothing without the right to manage associations. The
    programme's support page (`for_report`) is also open to those who read the reports."""
    allowed = has_right(user, Right.MANAGE_ASSOCIATIONS) or (
        for_report and has_right(user, Right.SEE_REPORTS)
    )
    if not allowed:
        return Association.objects.none()
    return scope(user, Association.objects.all())


def access_association(user: Any, association_id: Any) -> Association:
    """The one permission-checked way to reach an association; 404 outside the user's scope."""
    try:
        return (
            associations_in_scope(user)
            .select_related("branch", "district", "locality", "organization")
            .get(pk=int(association_id))
        )
    except (Association.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No association found.") from exc


def association_list(user: Any, *, for_report: bool = False) -> QuerySet[Association]:
    """The list page: each association with its current members and its last meeting."""
    return (
        associations_in_scope(user, for_report=for_report)
        .select_related("branch", "locality", "district")
        .annotate(
            member_count=Count("memberships", filter=Q(memberships__left_on=None), distinct=True),
            last_meeting=Max("meetings__held_on"),
        )
        .order_by("branch__name", "name", "pk")
    )


def current_members(association: Association) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(association=association, left_on=None)
        .select_related("beneficiary")
        .order_by("beneficiary__last_name", "beneficiary__first_name", "pk")
    )


@dataclass
class MemberRow:
    membership: Membership
    office: str = ""  # the office held today, if any
    standing: dues.DuesStanding | None = None
    periods_behind: int = 0


@dataclass
class AssociationPage:
    association: Association
    members: list[MemberRow]
    former: list[Membership]
    terms: list[OfficeTerm]
    meetings: list[Meeting]
    activities: list[SupportActivity]
    payments: list[DuesPayment]
    behind: int = 0
    dues_owed: Decimal = ZERO
    dues_paid: Decimal = ZERO

    @property
    def current_terms(self) -> list[OfficeTerm]:
        return [t for t in self.terms if t.is_current]  # type: ignore[attr-defined]


def _standing(
    association: Association, membership: Membership, paid: Decimal, as_of: datetime.date
) -> tuple[dues.DuesStanding, int]:
    assert association.dues_amount is not None and association.dues_since is not None
    amount = association.dues_amount
    periods = dues.periods_owed(
        joined_on=membership.joined_on,
        left_on=membership.left_on,
        dues_since=association.dues_since,
        as_of=as_of,
        period=association.dues_period,
    )
    found = dues.standing(amount=amount, periods=periods, paid=paid)
    return found, dues.periods_behind(found, amount)


def association_page(association: Association, as_of: datetime.date) -> AssociationPage:
    """Everything the association's page shows, in a fixed number of queries."""
    memberships = list(
        Membership.objects.filter(association=association)
        .select_related("beneficiary")
        .order_by("beneficiary__last_name", "beneficiary__first_name", "joined_on", "pk")
    )
    terms = list(
        OfficeTerm.objects.filter(association=association)
        .select_related("membership__beneficiary")
        .order_by("-starts_on", "office", "pk")
    )
    for term in terms:
        term.is_current = term.starts_on <= as_of and (  # type: ignore[attr-defined]
            term.ends_on is None or term.ends_on >= as_of
        )
    office_of = {t.membership_id: t.get_office_display() for t in terms if t.is_current}  # type: ignore[attr-defined]
    paid: dict[int, Decimal] = {}
    if association.has_dues:
        paid = {
            row["membership_id"]: summed(row["total"], association.dues_currency)
            for row in DuesPayment.objects.filter(association=association)
            .values("membership_id")
            .annotate(total=Sum("amount"))
        }
    rows: list[MemberRow] = []
    page = AssociationPage(
        association=association,
        members=rows,
        former=[m for m in memberships if m.left_on is not None],
        terms=terms,
        meetings=list(
            Meeting.objects.filter(association=association)
            .annotate(present=Count("attendees"))
            .order_by("-held_on", "-pk")[:24]
        ),
        activities=list(
            SupportActivity.objects.filter(association=association)
            .annotate(member_count=Count("members"))
            .order_by("-held_on", "-pk")[:24]
        ),
        payments=list(
            DuesPayment.objects.filter(association=association)
            .select_related("membership__beneficiary")
            .order_by("-paid_on", "-pk")[:12]
        )
        if association.has_dues
        else [],
    )
    for membership in memberships:
        standing = None
        behind = 0
        if association.has_dues:
            standing, behind = _standing(
                association, membership, paid.get(membership.pk, ZERO), as_of
            )
            page.dues_owed += standing.owed
            page.dues_paid += standing.paid
            page.behind += standing.is_behind and membership.left_on is None
        if membership.left_on is None:
            rows.append(
                MemberRow(
                    membership=membership,
                    office=office_of.get(membership.pk, ""),
                    standing=standing,
                    periods_behind=behind,
                )
            )
    return page


def meeting_in(association: Association, meeting_id: Any) -> Meeting:
    try:
        return Meeting.objects.select_related("recorded_by").get(
            association=association, pk=int(meeting_id)
        )
    except (Meeting.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No meeting found.") from exc


def meeting_attendees(meeting: Meeting) -> list[Membership]:
    return list(
        Membership.objects.filter(
            pk__in=MeetingAttendance.objects.filter(meeting=meeting).values("membership_id")
        )
        .select_related("beneficiary")
        .order_by("beneficiary__last_name", "beneficiary__first_name", "pk")
    )


def activity_members(activity: SupportActivity) -> list[Membership]:
    return list(
        Membership.objects.filter(
            pk__in=ActivityParticipant.objects.filter(activity=activity).values("membership_id")
        ).select_related("beneficiary")
    )


# --- The programme's support over time -------------------------------------------------------


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @property
    def starts_on(self) -> datetime.date:
        return datetime.date(self.year, 3 * self.number - 2, 1)

    @property
    def ends_on(self) -> datetime.date:
        if self.number == 4:
            return datetime.date(self.year, 12, 31)
        return datetime.date(self.year, 3 * self.number + 1, 1) - datetime.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.number}"

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    @staticmethod
    def of(day: datetime.date) -> Quarter:
        return Quarter(day.year, (day.month - 1) // 3 + 1)


@dataclass
class QuarterRow:
    quarter: Quarter
    associations: int = 0  # founded by the quarter's end
    members: int = 0  # members at the quarter's end (or on the day, for the current quarter)
    joined: int = 0
    meetings: int = 0
    activities: int = 0


@dataclass
class SupportRow:
    association: Association
    members: int = 0
    meetings_in_year: int = 0
    activities: int = 0
    last_meeting: datetime.date | None = None


@dataclass
class Support:
    rows: list[SupportRow]
    quarters: list[QuarterRow]
    helped_only: bool
    formed_with_programme: int = 0
    total: int = 0
    members: int = 0
    chart: dict[str, Any] = field(default_factory=dict)


def support_overview(
    user: Any, as_of: datetime.date, *, helped_only: bool = True, max_quarters: int = 12
) -> Support:
    """Which associations the programme helped form, their size today and their members and
    meetings per quarter, up to `as_of` (the last `max_quarters` quarters)."""
    associations = association_list(user, for_report=True)
    everyone = list(associations)
    chosen = [a for a in everyone if a.formed_with_programme or not helped_only]
    ids = [a.pk for a in chosen]
    year_ago = as_of - datetime.timedelta(days=365)
    meetings = list(
        Meeting.objects.filter(association_id__in=ids, held_on__lte=as_of).values_list(
            "association_id", "held_on"
        )
    )
    activities = list(
        SupportActivity.objects.filter(association_id__in=ids, held_on__lte=as_of).values_list(
            "association_id", "held_on"
        )
    )
    spans = list(
        Membership.objects.filter(association_id__in=ids).values_list("joined_on", "left_on")
    )
    meetings_in_year: dict[int, int] = defaultdict(int)
    for association_id, held_on in meetings:
        if held_on > year_ago:
            meetings_in_year[association_id] += 1
    activity_count: dict[int, int] = defaultdict(int)
    for association_id, _held_on in activities:
        activity_count[association_id] += 1
    rows = [
        SupportRow(
            association=a,
            members=a.member_count,  # type: ignore[attr-defined]
            meetings_in_year=meetings_in_year[a.pk],
            activities=activity_count[a.pk],
            last_meeting=a.last_meeting,  # type: ignore[attr-defined]
        )
        for a in chosen
    ]
    quarters: list[QuarterRow] = []
    if chosen:
        first = Quarter.of(min(a.founded_on for a in chosen))
        last = Quarter.of(as_of)
        quarter = first
        while quarter.starts_on <= last.starts_on:
            quarters.append(QuarterRow(quarter))
            quarter = quarter.next()
        quarters = quarters[-max_quarters:]
        for row in quarters:
            end = min(row.quarter.ends_on, as_of)
            start = row.quarter.starts_on
            row.associations = sum(1 for a in chosen if a.founded_on <= end)
            row.members = sum(
                1 for joined, left in spans if joined <= end and (left is None or left >= end)
            )
            row.joined = sum(1 for joined, _left in spans if start <= joined <= end)
            row.meetings = sum(1 for _a, day in meetings if start <= day <= end)
            row.activities = sum(1 for _a, day in activities if start <= day <= end)
    support = Support(
        rows=rows,
        quarters=quarters,
        helped_only=helped_only,
        formed_with_programme=sum(1 for a in everyone if a.formed_with_programme),
        total=len(everyone),
        members=sum(r.members for r in rows),
    )
    support.chart = quarter_chart(quarters)
    return support


def quarter_chart(quarters: list[QuarterRow]) -> dict[str, Any]:
    """Geometry of the support chart, drawn as SVG by the template: members at each quarter's
    end as a line (left scale), meetings in the quarter as bars (right scale)."""
    width, height, left, right, top, bottom = 640, 240, 44, 44, 16, 40
    inner_w, inner_h = width - left - right, height - top - bottom
    if not quarters:
        return {}
    most_members = max(max(q.members for q in quarters), 1)
    most_meetings = max(max(q.meetings for q in quarters), 1)
    step = inner_w / len(quarters)
    bar_w = max(step * 0.5, 2)
    points = []
    bars = []
    for i, row in enumerate(quarters):
        x = left + step * i + step / 2
        y = top + inner_h - inner_h * row.members / most_members
        points.append({"x": round(x, 1), "y": round(y, 1), "row": row})
        bar_h = inner_h * row.meetings / most_meetings
        bars.append(
            {
                "x": round(x - bar_w / 2, 1),
                "y": round(top + inner_h - bar_h, 1),
                "w": round(bar_w, 1),
                "h": round(bar_h, 1),
                "row": row,
                "label_x": round(x, 1),
            }
        )
    return {
        "width": width,
        "height": height,
        "left": left,
        "right_x": width - right,
        "top": top,
        "base": top + inner_h,
        "label_y": top + inner_h + 18,
        "points": points,
        "bars": bars,
        "line": " ".join(f"{p['x']},{p['y']}" for p in points),
        "most_members": most_members,
        "most_meetings": most_meetings,
    }
