"""Row locks of lending, in one place: a loan is locked before anything of it changes, so two
payments into one loan queue instead of losing one another's update."""

from __future__ import annotations

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
