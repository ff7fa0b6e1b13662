"""Reads of close of business: portfolio at risk and ageing from the daily snapshots, and the
runs of an organisation. Reports of a past date read these, never today's loan state."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from tandir.cob.models import CobRun, LoanSnapshot
from tandir.engine.arrears import AgeingBucket

ZERO = Decimal(0)


def _snapshots(
    organization_id: int, as_of: datetime.date, currency: str | None
) -> QuerySet[LoanSnapshot]:
    rows = LoanSnapshot.objects.filter(organization_id=organization_id, business_date=as_of)
    return rows.filter(currency=currency) if currency else rows


def par(
    organization_id: int, as_of: datetime.date, days: int = 30, *, currency: str | None = None
) -> tuple[Decimal, Decimal]:
    """Portfolio at risk on a closed date: the outstanding principal of loans more than `days`
    past due, and the outstanding principal of all active loans (one query)."""
    totals = _snapshots(organization_id, as_of, currency).aggregate(
        at_risk=Sum("outstanding_principal", filter=Q(days_past_due__gt=days)),
        outstanding=Sum("outstanding_principal"),
    )
    return totals["at_risk"] or ZERO, totals["outstanding"] or ZERO


def ageing(
    organization_id: int, as_of: datetime.date, *, currency: str | None = None
) -> dict[str, tuple[int, Decimal]]:
    """Loans and outstanding principal by ageing bucket on a closed date, every bucket listed."""
    found = {
        bucket: (count, amount)
        for bucket, count, amount in _snapshots(organization_id, as_of, currency)
        .values_list("bucket")
        .annotate(loans=Count("pk"), amount=Sum("outstanding_principal"))
        .order_by()
    }
    return {bucket.value: found.get(bucket.value, (0, ZERO)) for bucket in AgeingBucket}


def recent_runs(organization_id: int, limit: int = 30) -> list[CobRun]:
    """The organisation's last business dates, newest first."""
    return list(
        CobRun.objects.filter(organization_id=organization_id)
        .select_related("run_by")
        .order_by("-business_date")[:limit]
    )
