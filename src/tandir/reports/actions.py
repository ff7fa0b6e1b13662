"""Every write of reports. Each action is atomic and checks the right and the scope itself.

Two parts: exchange rates, donor reports and the runs of long reports; then a member's sharing
with its networks and the anonymised figures it publishes to them.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from tandir.core.errors import Conflict, NotAllowed, NotFound, TandirError
from tandir.engine.money import MINOR_UNITS
from tandir.orgs.models import NetworkMembership, Organization, Project, StaffUser
from tandir.orgs.roles import Right, has_right, is_platform_operator
from tandir.reports.models import (
    ExchangeRate,
    NetworkFigure,
    NetworkShare,
    ReportRun,
    ReportStatus,
)
from tandir.reports.network import member_figures, sharing_networks

# --- Exchange rates, donor reports, report runs -------------------------------------------

REPORT_TASK = "tandir.reports.tasks.run_report"
REPORT_FORMATS = ("pdf", "xlsx", "json")
ERROR_CHARS = 4000


def _require_rates(user: StaffUser) -> int:
    if not has_right(user, Right.RECORD_EXCHANGE_RATES):
        raise NotAllowed(_("Your role does not allow this."))
    if user.organization_id is None:
        raise NotFound(_("No such organisation."))
    return user.organization_id


def _rate_problems(
    on: Any, from_currency: str, to_currency: str, rate: Any, source: str
) -> tuple[dict[str, list[str]], Decimal | None]:
    problems: dict[str, list[str]] = {}
    if not isinstance(on, datetime.date):
        problems["on"] = [_("Give the date of the rate.")]
    elif on > timezone.localdate():
        problems["on"] = [_("A rate is recorded for a day that has come, not in advance.")]
    for field, code in (("from_currency", from_currency), ("to_currency", to_currency)):
        if code not in MINOR_UNITS:
            problems[field] = [_("Choose a currency from the list.")]
    if from_currency == to_currency and "to_currency" not in problems:
        problems["to_currency"] = [_("Convert between two different currencies.")]
    value: Decimal | None = None
    try:
        value = Decimal(str(rate))
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or value <= 0:
        problems["rate"] = [_("The rate is a number above zero.")]
        value = None
    elif value != value.quantize(Decimal("0.00000001")) or value >= Decimal("1e12"):
        problems["rate"] = [_("Give the rate with at most eight decimals.")]
    if not (source or "").strip():
        problems["source"] = [_("Say where the rate comes from (a central bank, the donor).")]
    return problems, value


@transaction.atomic
def record_exchange_rate(
    user: StaffUser,
    *,
    on: datetime.date,
    from_currency: str,
    to_currency: str,
    rate: Decimal | str,
    source: str,
) -> ExchangeRate:
    """Record what one unit of `from_currency` was worth in `to_currency` on a day, and where
    that figure comes from. One rate per pair and day; a second is a conflict (delete the
    wrong one first, so a report already sent can be traced to the rate it used)."""
    organization_id = _require_rates(user)
    from_currency = (from_currency or "").upper()
    to_currency = (to_currency or "").upper()
    problems, value = _rate_problems(on, from_currency, to_currency, rate, source)
    if problems or value is None:
        raise TandirError(_("Correct the marked fields."), fields=problems)
    if ExchangeRate.objects.filter(
        organization_id=organization_id,
        on=on,
        from_currency=from_currency,
        to_currency=to_currency,
    ).exists():
        raise Conflict(
            _("A rate from %(from)s to %(to)s is already recorded for this day.")
            % {"from": from_currency, "to": to_currency},
            code="rate_exists",
        )
    try:
        with transaction.atomic():
            return ExchangeRate.objects.create(
                organization_id=organization_id,
                on=on,
                from_currency=from_currency,
                to_currency=to_currency,
                rate=value,
                source=source.strip()[:200],
                recorded_by=user,
            )
    except IntegrityError as exc:  # recorded by someone else a moment ago
        raise Conflict(
            _("A rate from %(from)s to %(to)s is already recorded for this day.")
            % {"from": from_currency, "to": to_currency},
            code="rate_exists",
        ) from exc


@transaction.atomic
def delete_exchange_rate(user: StaffUser, rate_id: int) -> None:
    """Remove a rate recorded by mistake (the change history of reports is their files)."""
    organization_id = _require_rates(user)
    deleted, _rows = ExchangeRate.objects.filter(
        pk=rate_id, organization_id=organization_id
    ).delete()
    if not deleted:
        raise NotFound(_("No such exchange rate."))


@transaction.atomic
def request_donor_report(
    user: StaffUser,
    project: Project,
    *,
    date_from: datetime.date,
    date_to: datetime.date,
    currency: str,
    format: str,
    language: str = "en",
) -> ReportRun:
    """Queue the donor report for the worker: the run is recorded and its task queued in one
    transaction, so neither exists without the other. The worker computes it as `user`, so
    it holds what `user` may see and nothing more."""
    from tandir.reports.donor import access_project

    project = access_project(user, project.pk)
    if format not in REPORT_FORMATS:
        raise TandirError(_("Choose PDF, XLSX or JSON."), fields={"format": [_("Choose one.")]})
    if currency not in MINOR_UNITS:
        raise TandirError(_("Choose a currency."), fields={"currency": [_("Choose one.")]})
    if date_to < date_from:
        raise TandirError(
            _("The period ends before it starts."),
            fields={"date_to": [_("The period ends before it starts.")]},
        )
    run = ReportRun.objects.create(
        organization_id=project.organization_id,
        kind="donor",
        parameters={
            "project": project.pk,
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "currency": currency,
            "language": language,
        },
        format=format,
        requested_by=user,
    )
    async_task(REPORT_TASK, run.pk, task_name=f"report-{run.pk}", group="reports")
    return run


def _report_progress(run_id: int, done: int, total: int) -> None:
    # Outside any transaction of the report, so the page polling the run sees it move.
    ReportRun.objects.filter(pk=run_id).update(progress=min(99, done * 100 // max(total, 1)))


def execute_report_run(run_id: int) -> ReportRun | None:
    """The worker's side: make the run's file once, with its progress recorded as it goes.
    Nothing happens for a run already taken; a failure is recorded on the run (the message a
    person can act on, such as a missing exchange rate) and raised again for the queue."""
    from tandir.reports import documents
    from tandir.reports.donor import access_project, donor_report

    taken = ReportRun.objects.filter(pk=run_id, status=ReportStatus.QUEUED).update(
        status=ReportStatus.RUNNING, progress=0
    )
    if not taken:
        return None
    run = ReportRun.objects.select_related("requested_by").get(pk=run_id)
    parameters = run.parameters
    try:
        with translation.override(parameters.get("language") or "en"):
            project = access_project(run.requested_by, parameters["project"])
            report = donor_report(
                project,
                datetime.date.fromisoformat(parameters["from"]),
                datetime.date.fromisoformat(parameters["to"]),
                currency=parameters["currency"],
                user=run.requested_by,
                progress=lambda done, total: _report_progress(run_id, done, total),
            )
            if run.format == "xlsx":
                data = documents.donor_xlsx(report)
            elif run.format == "pdf":
                data = documents.donor_pdf(report)
            else:
                import json

                data = json.dumps(report.as_json(), indent=2, ensure_ascii=False).encode()
    except Exception as exc:
        message = exc.message if isinstance(exc, TandirError) else f"{type(exc).__name__}: {exc}"
        ReportRun.objects.filter(pk=run_id).update(
            status=ReportStatus.FAILED, error=message[:ERROR_CHARS], finished_at=timezone.now()
        )
        raise
    name = f"donor-{project.code}-{parameters['from']}-{parameters['to']}.{run.format}"
    with transaction.atomic():
        run.file.save(name, ContentFile(data), save=False)
        run.status = ReportStatus.FINISHED
        run.progress = 100
        run.finished_at = timezone.now()
        run.save(update_fields=["file", "status", "progress", "finished_at"])
    return run


# --- Network sharing and published figures ------------------------------------------------


def _may_share(user: StaffUser, organization: Organization) -> None:
    if not has_right(user, Right.SHARE_WITH_NETWORK):
        raise NotAllowed(_("Your role does not allow this."))
    if user.organization_id != organization.pk and not is_platform_operator(user):
        raise NotFound(_("No such organisation."))


@transaction.atomic
def set_network_sharing(
    user: StaffUser,
    organization: Organization,
    network: Organization,
    *,
    excluded: bool,
    reason: str = "",
) -> NetworkShare:
    """Stop (or resume) sharing the member's figures with one of its networks. Stopping
    withdraws every figure it published there, so the network's pages no longer show it."""
    _may_share(user, organization)
    if not NetworkMembership.objects.filter(organization=organization, network=network).exists():
        raise NotFound(_("The organisation is not a member of this network."))
    reason = reason.strip()
    if excluded and not reason:
        raise TandirError(
            _("Say why the organisation stops sharing."),
            fields={"reason": [_("Say why the organisation stops sharing.")]},
        )
    share, _created = NetworkShare.objects.update_or_create(
        organization=organization,
        network=network,
        defaults={"excluded": excluded, "reason": reason, "changed_by": user},
    )
    if excluded:
        NetworkFigure.objects.filter(organization=organization, network=network).delete()
    return share


@transaction.atomic
def publish_network_figures(
    user: StaffUser,
    organization: Organization,
    *,
    as_of: datetime.date,
    network: Organization | None = None,
) -> int:
    """Publish the member's anonymised figures of `as_of` to every network it shares with (or
    to `network` only), replacing what it published there for that date; small cells are
    stored suppressed (no value, no count). Returns the number of figures written."""
    _may_share(user, organization)
    if as_of > timezone.localdate():
        raise TandirError(
            _("Figures can only be published for a date that has passed."),
            fields={"as_of": [_("Figures can only be published for a date that has passed.")]},
        )
    networks = list(sharing_networks(organization))
    if network is not None:
        networks = [n for n in networks if n.pk == network.pk]
    if not networks:
        return 0
    cells = member_figures(organization, as_of)
    now = timezone.now()
    rows = [
        NetworkFigure(
            organization=organization,
            network=network,
            as_of=as_of,
            indicator=cell.indicator,
            dimension=cell.dimension,
            category=cell.category,
            currency=cell.currency,
            value=None if cell.suppressed else cell.value,
            people=None if cell.suppressed else cell.people,
            suppressed=cell.suppressed,
            published_at=now,
        )
        for network in networks
        for cell in cells
    ]
    NetworkFigure.objects.filter(
        organization=organization, network__in=networks, as_of=as_of
    ).delete()
    NetworkFigure.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
