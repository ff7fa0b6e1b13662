"""Row locks of lending, in one place: a loan is locked before anything of it changes, so two
payments into one loan queue instead of losing one another's update."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from tandir.core.errors import NotFound
from tandir.lending.models import GroupMembership, Installment, Loan, LoanChange, Repayment
from tandir.orgs.models import StaffUser


def lock_loan(officer: StaffUser, loan_id: int) -> Loan:
    """The loan, locked, if the officer may reach it; `NotFound` otherwise."""
    from tandir.lending.queries import loans_in_scope

    loan = (
        loans_in_scope(officer)
        .select_for_update(of=("self",))
        .select_related("product_version", "fund", "branch")
        .filter(pk=loan_id)
        .first()
    )
    if loan is None:
        raise NotFound(_("No such loan."))
    return loan


def lock_loans(officer: StaffUser, loan_ids: Iterable[int]) -> list[Loan]:
    """The loans the officer may reach among `loan_ids`, locked in id order (so two batches
    touching the same loans queue instead of deadlocking); the caller checks none is missing."""
    from tandir.lending.queries import loans_in_scope

    return list(
        loans_in_scope(officer)
        .select_for_update(of=("self",))
        .select_related("product_version", "fund__account", "branch")
        .filter(pk__in=list(loan_ids))
        .order_by("pk")
    )


def lock_installments_of(loans: Iterable[Loan]) -> dict[int, list[Installment]]:
    """Each loan's current schedule rows, locked, by loan id; callers lock the loans first."""
    version = {loan.pk: loan.schedule_version for loan in loans}
    rows: dict[int, list[Installment]] = {pk: [] for pk in version}
    if not version:
        return rows
    for row in (
        Installment.objects.select_for_update()
        .filter(loan_id__in=list(version))
        .order_by("loan_id", "number")
    ):
        if row.version == version[row.loan_id]:
            rows[row.loan_id].append(row)
    return rows


def lock_installments(loan: Loan) -> list[Installment]:
    """The current schedule's rows, locked; callers lock the loan first."""
    return list(
        Installment.objects.select_for_update()
        .filter(loan=loan, version=loan.schedule_version)
        .order_by("number")
    )


def lock_change(change_id: int) -> LoanChange:
    return LoanChange.objects.select_for_update().get(pk=change_id)


def lock_repayment(repayment_id: int) -> Repayment:
    return Repayment.objects.select_for_update().get(pk=repayment_id)


def lock_memberships(beneficiary_id: int) -> list[GroupMembership]:
    """A person's current group memberships, locked, so two joins cannot both leave them open."""
    return list(
        GroupMembership.objects.select_for_update().filter(
            beneficiary_id=beneficiary_id, left_on=None
        )
    )
