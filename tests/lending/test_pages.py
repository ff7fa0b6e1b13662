"""The lending pages of the loan cycle: who sees which page, forms that show their errors and
write nothing, four eyes on the page, and query counts that do not grow with the loan."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandir.ledger.models import JournalEntry
from tandir.lending import actions
from tandir.lending.models import (
    Appraisal,
    ChangeStatus,
    FollowUp,
    Guarantor,
    Installment,
    Loan,
    LoanChange,
    LoanDocument,
    LoanStatus,
    Repayment,
)
from tandir.orgs.models import StaffUser
from tests.factories import PASSWORD, register
from tests.lending_factories import DISBURSED, Lending, disbursed_loan

D = Decimal
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def client_for(user: StaffUser) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def submitted(lending: Lending, **terms: Any) -> Loan:
    values: dict[str, Any] = {"amount": D(1000), "term": 12, "rate": D(24)}
    values.update(terms)
    return actions.apply_for_loan(
        lending.officer, lending.person, lending.declining, purpose="Sewing machine",
        sector="crafts", **values,
    )  # fmt: skip


def appraised(lending: Lending) -> Loan:
    loan = submitted(lending)
    actions.appraise(
        lending.appraiser, loan, business_income=D(1200), business_expenses=D(300),
        household_income=D(100), household_expenses=D(350),
    )  # fmt: skip
    return loan


def application_data(lending: Lending, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "product": lending.declining.pk,
        "amount": "1500",
        "term": "12",
        "frequency": "monthly",
        "rate": "24",
        "purpose": "A second sewing machine",
        "sector": "crafts",
        "grace_principal": "0",
        "grace_interest": "0",
        "first_due": "",
        "group": "",
        "guarantor-TOTAL_FORMS": "2",
        "guarantor-INITIAL_FORMS": "0",
        "guarantor-MIN_NUM_FORMS": "0",
        "guarantor-MAX_NUM_FORMS": "5",
        "guarantor-0-name": "Armen Petrosyan",
        "guarantor-0-relationship": "brother",
        "guarantor-1-name": "",
        "document-kind": "",
    }
    data.update(overrides)
    return data


# --- Who sees what ------------------------------------------------------------------------


def test_the_navigation_and_the_person_page_lead_to_the_loans(lending: Lending) -> None:
    loan = submitted(lending)
    page = client_for(lending.officer).get(f"/beneficiaries/{lending.person.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'href="/loans/"' in html
    assert f'href="/loans/{loan.pk}/"' in html
    assert f'href="/loans/apply/{lending.person.pk}/"' in html
    # An appraiser sees the loan but takes no application.
    seen = client_for(lending.appraiser).get(f"/beneficiaries/{lending.person.pk}/")
    assert f"/loans/apply/{lending.person.pk}/".encode() not in seen.content
    assert loan.reference.encode() in seen.content


def test_the_loans_list_filters_by_status_branch_and_officer(lending: Lending) -> None:
    active = disbursed_loan(lending, lending.declining)
    waiting = submitted(lending, amount=D(500))
    client = client_for(lending.committee)
    everything = client.get("/loans/")
    assert everything.status_code == 200
    assert {loan.pk for loan in everything.context["page"]} == {active.pk, waiting.pk}
    only_active = client.get("/loans/", {"status": "active"})
    assert [loan.pk for loan in only_active.context["page"]] == [active.pk]
    other_branch = client.get("/loans/", {"branch": lending.world.branch_b.pk})
    assert list(other_branch.context["page"]) == []
    by_officer = client.get("/loans/", {"officer": lending.officer.pk})
    assert len(by_officer.context["page"]) == 2


def test_the_loans_list_costs_the_same_queries_for_one_loan_or_twenty(lending: Lending) -> None:
    client = client_for(lending.officer)
    submitted(lending)
    client.get("/loans/")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/loans/").status_code == 200
        return len(captured)

    few = count()
    for _n in range(19):
        submitted(lending, amount=D(700))
    assert count() == few


def test_a_loan_officer_of_branch_b_gets_404_for_a_loan_of_branch_a(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    client = client_for(lending.world.loan_officer_b)
    for url in (
        f"/loans/{loan.pk}/",
        f"/loans/{loan.pk}/repay/",
        f"/loans/{loan.pk}/follow-up/",
        f"/loans/{loan.pk}/withdraw/",
        f"/loans/apply/{lending.person.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    refused = client.post(
        f"/loans/{loan.pk}/repay/",
        {"amount": "50", "value_date": DISBURSED.isoformat(), "reference": "x-1"},
    )
    assert refused.status_code == 404
    assert not Repayment.objects.exists()
    assert loan.reference not in client.get("/loans/").content.decode()


def test_each_step_refuses_a_role_without_its_right_with_403(lending: Lending) -> None:
    loan = appraised(lending)
    appraiser = client_for(lending.appraiser)
    assert appraiser.get(f"/loans/{loan.pk}/").status_code == 200
    assert appraiser.get(f"/loans/{loan.pk}/approve/").status_code == 403
    assert appraiser.get(f"/loans/{loan.pk}/repay/").status_code == 403
    assert appraiser.get(f"/loans/apply/{lending.person.pk}/").status_code == 403
    officer = client_for(lending.officer)
    assert officer.get(f"/loans/{loan.pk}/appraise/").status_code == 403
    assert officer.post(f"/loans/{loan.pk}/reject/", {"reason": "no"}).status_code == 403
    assert client_for(lending.world.analyst).get("/loans/").status_code == 403
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SUBMITTED


# --- The cycle through the pages ----------------------------------------------------------


def test_an_application_with_a_guarantor_and_a_document_is_submitted(lending: Lending) -> None:
    client = client_for(lending.officer)
    assert client.get(f"/loans/apply/{lending.person.pk}/").status_code == 200
    data = application_data(lending, **{"document-kind": "id_copy"})
    data["document-file"] = SimpleUploadedFile("passport.png", PNG, content_type="image/png")
    response = client.post(f"/loans/apply/{lending.person.pk}/", data)
    loan = Loan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/loans/{loan.pk}/"
    assert (loan.amount, loan.term, loan.status) == (D(1500), 12, LoanStatus.SUBMITTED)
    assert list(Guarantor.objects.values_list("name", "relationship")) == [
        ("Armen Petrosyan", "brother")
    ]
    document = LoanDocument.objects.get()
    assert (document.kind, document.content_type) == ("id_copy", "image/png")
    page = client.get(f"/loans/{loan.pk}/").content.decode()
    assert "passport.png" in page and "Armen Petrosyan" in page
    url = f"/loans/{loan.pk}/files/{document.pk}/"
    assert url in page
    served = client.get(url)
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == PNG  # type: ignore[attr-defined]
    assert client_for(lending.world.loan_officer_b).get(url).status_code == 404


def test_an_amount_outside_the_product_is_shown_and_nothing_is_written(lending: Lending) -> None:
    client = client_for(lending.officer)
    response = client.post(
        f"/loans/apply/{lending.person.pk}/", application_data(lending, amount="50000")
    )
    assert response.status_code == 200
    assert "The amount must be between 100.00 and 10000.00 USD." in response.content.decode()
    too_precise = client.post(
        f"/loans/apply/{lending.person.pk}/", application_data(lending, amount="100.001")
    )
    assert "amount" in too_precise.context["form"].errors
    missing = client.post(f"/loans/apply/{lending.person.pk}/", application_data(lending, term=""))
    assert "term" in missing.context["form"].errors
    assert 'class="field-error"' in missing.content.decode()
    assert not Loan.objects.exists() and not Guarantor.objects.exists()


def test_a_document_of_the_wrong_type_refuses_the_whole_application(lending: Lending) -> None:
    data = application_data(lending, **{"document-kind": "other"})
    data["document-file"] = SimpleUploadedFile("notes.txt", b"just text", content_type="text/plain")
    response = client_for(lending.officer).post(f"/loans/apply/{lending.person.pk}/", data)
    assert response.status_code == 200
    assert response.context["document"].errors["file"] == ["Send a PDF, JPEG or PNG file."]
    assert not Loan.objects.exists() and not LoanDocument.objects.exists()


def test_the_appraisal_form_shows_field_errors_and_writes_nothing(lending: Lending) -> None:
    loan = submitted(lending)
    client = client_for(lending.appraiser)
    response = client.post(
        f"/loans/{loan.pk}/appraise/",
        {"business_income": "abc", "business_expenses": "", "household_expenses": "300.123",
         "recommendation": "approve"},
    )  # fmt: skip
    errors = response.context["form"].errors
    assert {"business_income", "business_expenses", "household_expenses"} <= set(errors)
    assert not Appraisal.objects.exists()
    done = client.post(
        f"/loans/{loan.pk}/appraise/",
        {"business_income": "1200", "business_expenses": "300", "household_income": "100",
         "household_expenses": "350", "existing_debt_payments": "0",
         "site_visit_notes": "Workshop at home", "recommendation": "approve"},
    )  # fmt: skip
    assert done.status_code == 302
    appraisal = Appraisal.objects.get()
    assert (appraisal.net_cash_flow, appraisal.passes) == (D(650), True)


def test_four_eyes_the_approver_buttons_are_not_offered_to_the_appraiser(lending: Lending) -> None:
    from tandir.orgs.models import Role
    from tests.factories import make_user

    # A branch manager may appraise and approve: having appraised, they may not approve.
    loan = submitted(lending)
    manager = lending.world.manager_a
    actions.appraise(
        manager, loan, business_income=D(1200), business_expenses=D(300),
        household_expenses=D(350),
    )  # fmt: skip
    client = client_for(manager)
    html = client.get(f"/loans/{loan.pk}/").content.decode()
    assert f'href="/loans/{loan.pk}/approve/"' not in html
    assert "Four eyes" in html
    refused = client.post(
        f"/loans/{loan.pk}/approve/",
        {"amount": "1000", "fund": lending.fund.pk, "bank_branch": lending.bank_branch.pk},
    )
    assert refused.status_code == 200
    assert "Four eyes: who took or appraised the application" in refused.content.decode()
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SUBMITTED
    other = make_user(lending.world.org, Role.BRANCH_MANAGER, [lending.world.branch_a], "m2")
    assert (
        f'href="/loans/{loan.pk}/approve/"'
        in client_for(other).get(f"/loans/{loan.pk}/").content.decode()
    )


def test_the_committee_approves_and_the_bank_pays_out_through_the_pages(lending: Lending) -> None:
    loan = appraised(lending)
    committee = client_for(lending.committee)
    assert (
        f'href="/loans/{loan.pk}/approve/"' in committee.get(f"/loans/{loan.pk}/").content.decode()
    )
    over = committee.post(
        f"/loans/{loan.pk}/approve/",
        {"amount": "2000", "fund": lending.fund.pk, "bank_branch": lending.bank_branch.pk},
    )
    assert "at most the amount applied for" in over.content.decode()
    approved = committee.post(
        f"/loans/{loan.pk}/approve/",
        {"amount": "1000", "fund": lending.fund.pk, "bank_branch": lending.bank_branch.pk},
    )
    assert approved.status_code == 302
    officer = client_for(lending.officer)
    assert officer.post(f"/loans/{loan.pk}/instruct/").status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.APPROVED and loan.disbursement_id
    accountant = client_for(lending.accountant)
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    refused = accountant.post(
        f"/loans/{loan.pk}/confirm/", {"bank_reference": "PB-9", "on": future}
    )
    assert refused.context["form"].errors["on"] == ["This date is in the future."]
    assert not Installment.objects.exists()
    day = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    confirmed = accountant.post(f"/loans/{loan.pk}/confirm/", {"bank_reference": "PB-9", "on": day})
    assert confirmed.status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACTIVE and loan.bank_reference == "PB-9"
    assert Installment.objects.filter(loan=loan).count() == 12


def test_the_batch_instruction_sends_the_chosen_loans_to_their_bank(lending: Lending) -> None:
    loans = [appraised(lending) for _n in range(2)]
    for loan in loans:
        actions.approve(lending.committee, loan, fund=lending.fund, bank_branch=lending.bank_branch)
    client = client_for(lending.officer)
    page = client.get("/loans/disbursements/new/")
    assert [loan.pk for loan in page.context["ready"]] == sorted(
        (loan.pk for loan in loans), key=lambda pk: Loan.objects.get(pk=pk).reference
    )
    assert "loans" in client.post("/loans/disbursements/new/", {}).context["form"].errors
    sent = client.post("/loans/disbursements/new/", {"loans": [loan.pk for loan in loans]})
    assert sent.status_code == 302
    assert len({loan.disbursement_id for loan in Loan.objects.all()}) == 1


def test_a_repayment_at_the_counter_links_its_receipt_and_pays_the_schedule(
    lending: Lending,
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    client = client_for(lending.officer)
    form = client.get(f"/loans/{loan.pk}/repay/")
    key = form.context["form"]["reference"].value()
    day = DISBURSED + datetime.timedelta(days=30)
    data = {"amount": "94.56", "value_date": day.isoformat(), "reference": key}
    response = client.post(f"/loans/{loan.pk}/repay/", data)
    repayment = Repayment.objects.get()
    assert response["Location"] == f"/loans/{loan.pk}/?paid={repayment.pk}"
    # Sent twice (a double click), recorded once.
    client.post(f"/loans/{loan.pk}/repay/", data)
    assert Repayment.objects.count() == 1
    page = client.get(response["Location"])
    html = page.content.decode()
    assert repayment.receipt_number in html
    first = page.context["page"].installments[0]
    assert (first.paid, first.unpaid) == (D("94.560"), D(0))
    assert re.search(r'data-number="1".*?paid-amount">\$94\.56<', html, re.S)
    loan.refresh_from_db()
    assert loan.principal_outstanding == D("925.44")


def test_a_repayment_with_a_future_date_or_no_amount_is_a_field_error(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    client = client_for(lending.officer)
    future = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        f"/loans/{loan.pk}/repay/", {"amount": "", "value_date": future, "reference": "k-1"}
    )
    assert set(response.context["form"].errors) == {"amount", "value_date"}
    assert not Repayment.objects.exists()


def test_a_repayment_is_reversed_with_a_reason_through_its_page(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    day = DISBURSED + datetime.timedelta(days=30)
    paid = actions.record_repayment(
        lending.officer, loan, amount=D("94.56"), value_date=day, reference="c-1"
    )
    assert (
        client_for(lending.officer).get(f"/loans/repayments/{paid.pk}/reverse/").status_code == 403
    )
    accountant = client_for(lending.accountant)
    assert (
        "reason"
        in accountant.post(f"/loans/repayments/{paid.pk}/reverse/", {}).context["form"].errors
    )
    done = accountant.post(f"/loans/repayments/{paid.pk}/reverse/", {"reason": "Bounced"})
    assert done.status_code == 302
    paid.refresh_from_db()
    loan.refresh_from_db()
    assert paid.reversed_at is not None and loan.principal_outstanding == D(1000)


def test_follow_up_and_a_rescheduling_asked_by_one_and_decided_by_another(
    lending: Lending,
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    officer = client_for(lending.officer)
    promise = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    no_date = officer.post(f"/loans/{loan.pk}/follow-up/", {"note": "Met", "promised_amount": "50"})
    assert "promised_on" in no_date.context["form"].errors and not FollowUp.objects.exists()
    officer.post(
        f"/loans/{loan.pk}/follow-up/",
        {"note": "Harvest late", "promised_on": promise, "promised_amount": "50"},
    )
    assert FollowUp.objects.get().promised_amount == D(50)
    missing_term = officer.post(
        f"/loans/{loan.pk}/change/", {"kind": "reschedule", "reason": "Drought"}
    )
    assert "term" in missing_term.context["form"].errors and not LoanChange.objects.exists()
    officer.post(
        f"/loans/{loan.pk}/change/", {"kind": "reschedule", "reason": "Drought", "term": "18"}
    )
    change = LoanChange.objects.get()
    committee = client_for(lending.committee)
    assert (
        f"/loans/changes/{change.pk}/decide/"
        in committee.get(f"/loans/{loan.pk}/").content.decode()
    )
    committee.post(f"/loans/changes/{change.pk}/decide/", {"decision": "approve", "reason": ""})
    change.refresh_from_db()
    loan.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED and loan.schedule_version == 2
    page = committee.get(f"/loans/{loan.pk}/")
    assert [version for version, _rows in page.context["page"].older_schedules] == [1]
    assert "Earlier schedule, version 1" in page.content.decode()


def test_withdraw_and_undo_approval_need_a_reason(lending: Lending) -> None:
    loan = appraised(lending)
    actions.approve(lending.committee, loan, fund=lending.fund, bank_branch=lending.bank_branch)
    committee = client_for(lending.committee)
    assert "reason" in committee.post(f"/loans/{loan.pk}/undo_approval/", {}).context["form"].errors
    committee.post(f"/loans/{loan.pk}/undo_approval/", {"reason": "Wrong fund"})
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SUBMITTED
    client_for(lending.officer).post(f"/loans/{loan.pk}/withdraw/", {"reason": "Client declined"})
    loan.refresh_from_db()
    assert loan.status == LoanStatus.WITHDRAWN
    assert client_for(lending.officer).get(f"/loans/{loan.pk}/no-such-step/").status_code == 404


def test_an_appraisal_over_capacity_is_approved_only_after_an_override(lending: Lending) -> None:
    loan = submitted(lending)
    appraiser = client_for(lending.appraiser)
    tight = {"business_income": "400", "business_expenses": "200", "household_income": "0",
             "household_expenses": "100", "existing_debt_payments": "0",
             "recommendation": "approve"}  # fmt: skip
    appraiser.post(f"/loans/{loan.pk}/appraise/", tight)
    assert not Appraisal.objects.get().passes
    committee = client_for(lending.committee)
    choice = {"amount": "1000", "fund": lending.fund.pk, "bank_branch": lending.bank_branch.pk}
    refused = committee.post(f"/loans/{loan.pk}/approve/", choice)
    assert "Appraise again with an override and a reason" in refused.content.decode()
    loan.refresh_from_db()
    assert loan.status == LoanStatus.SUBMITTED
    appraiser.post(
        f"/loans/{loan.pk}/appraise/", {**tight, "override_reason": "Seasonal income, harvest"}
    )
    assert committee.post(f"/loans/{loan.pk}/approve/", choice).status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.APPROVED


def test_a_disbursal_recorded_in_error_is_undone_with_a_reason(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    accountant = client_for(lending.accountant)
    assert (
        f"/loans/{loan.pk}/undo_disbursal/" in accountant.get(f"/loans/{loan.pk}/").content.decode()
    )
    accountant.post(f"/loans/{loan.pk}/undo_disbursal/", {"reason": "Bank returned the transfer"})
    loan.refresh_from_db()
    assert loan.status == LoanStatus.APPROVED
    assert not Installment.objects.filter(loan=loan).exists()
    events = client_for(lending.committee).get(f"/loans/{loan.pk}/").content.decode()
    assert "disbursal undone" in events and "Bank returned the transfer" in events


# --- The loan's page ----------------------------------------------------------------------


def test_the_price_is_disclosed_by_method(lending: Lending) -> None:
    client = client_for(lending.committee)
    declining = disbursed_loan(lending, lending.declining)
    html = client.get(f"/loans/{declining.pk}/").content.decode()
    price = client.get(f"/loans/{declining.pk}/").context["page"].price
    assert price.total_cost == D("134.70") and price.apr_percent == D("24.00")
    assert "APR" in html and "EIR" in html and "$134.70" in html
    person = register(lending.world, phone="+37499111222", national_id="AM7654321")
    murabaha = disbursed_loan(lending, lending.murabaha, rate="12", term=6, person=person)
    html = client.get(f"/loans/{murabaha.pk}/").content.decode()
    assert "Sale price" in html and "$1,120.00" in html and "Markup" in html
    person = register(lending.world, phone="+37499111333", national_id="AM7654333")
    qard = disbursed_loan(lending, lending.qard, rate="0", amount="1200", person=person)
    assert "no interest is charged" in client.get(f"/loans/{qard.pk}/").content.decode()


def test_ledger_entries_are_shown_only_to_roles_that_see_the_ledger(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    committee = client_for(lending.committee).get(f"/loans/{loan.pk}/")
    assert len(committee.context["page"].entries) == 1
    assert 'id="ledger"' in committee.content.decode()
    officer = client_for(lending.officer).get(f"/loans/{loan.pk}/")
    assert officer.context["page"].entries is None
    assert 'id="ledger"' not in officer.content.decode()


def test_a_late_loan_shows_its_days_past_due_and_bucket(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    page = client_for(lending.officer).get(f"/loans/{loan.pk}/").context["page"]
    first_due = page.installments[0].due_date
    assert page.days_past_due == (timezone.localdate() - first_due).days
    assert page.bucket == ">365" if page.days_past_due > 365 else page.bucket != "current"


def many_repayments(lending: Lending, loan: Loan, count: int) -> None:
    """`count` small payments on the loan as rows, with their allocation: the page's reads are
    what is measured here, not the posting (which other tests cover)."""
    from tandir.lending.models import Application, ApplicationLine

    start = Repayment.objects.filter(loan=loan).count()
    rows = [
        Repayment(
            organization_id=loan.organization_id,
            loan=loan,
            reference=f"bulk-{start + n}",
            value_date=DISBURSED + datetime.timedelta(days=1 + n % 300),
            currency="USD",
            amount=D("0.01"),
            source="counter",
            receipt_number=f"B{start + n:07d}",
            received_by=lending.officer,
        )
        for n in range(count)
    ]
    Repayment.objects.bulk_create(rows)
    saved = list(Repayment.objects.filter(loan=loan, reference__startswith="bulk-"))
    applications = Application.objects.bulk_create(
        Application(
            organization_id=loan.organization_id,
            loan=loan,
            repayment=r,
            reference=r.reference,
            applied_on=r.value_date,
            amount=r.amount,
        )
        for r in saved
        if not r.applications.exists()
    )
    first = loan.installments.get(version=loan.schedule_version, number=1)
    ApplicationLine.objects.bulk_create(
        ApplicationLine(
            organization_id=loan.organization_id,
            application=a,
            number=1,
            component="charge",
            amount=a.amount,
            due_on=first.due_date,
        )
        for a in applications
    )


@pytest.mark.parametrize("role", ["officer", "committee"])
def test_the_loan_page_with_500_transactions_makes_as_many_queries_as_with_one(
    lending: Lending, role: str
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    client = client_for(getattr(lending, role))
    many_repayments(lending, loan, 1)
    client.get(f"/loans/{loan.pk}/")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/loans/{loan.pk}/")
        assert response.status_code == 200
        return len(captured)

    few = count()
    many_repayments(lending, loan, 499)
    assert Repayment.objects.filter(loan=loan).count() == 500
    many = count()
    assert many == few
    # Session, user, the loan (with what its terms show), its schedules, the repayments, their
    # allocation, documents, events, changes, follow-ups, appraisals, guarantors; and the
    # ledger (its lines with their entries and accounts, one query) for the committee.
    assert many == PINNED[role]
    assert JournalEntry.objects.filter(loan_id=loan.pk).count() == 1


PINNED = {"officer": 12, "committee": 13}


def test_the_loan_page_reads_right_to_left_in_urdu(lending: Lending) -> None:
    from django.conf import settings

    loan = disbursed_loan(lending, lending.murabaha, rate="12", term=6)
    client = client_for(lending.committee)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ur"
    page = client.get(f"/loans/{loan.pk}/")
    assert page.status_code == 200
    assert 'dir="rtl"' in page.content.decode()
