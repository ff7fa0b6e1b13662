"""Loan documents as real PDFs, read back with pypdf: the agreement and the schedule in Armenian
and in Urdu (right to left, in Nastaliq), Murabaha and Qard Hasan agreements, a receipt, a
statement and a collection sheet; and the scope, language and access-log rules of their pages.

WeasyPrint is slow on a busy machine, so each test renders as few PDFs as it can.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import format_currency, format_percent
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from tandir.core.models import AccessLog, TargetGroup
from tandir.engine import build_schedule, disclose
from tandir.lending import actions, documents
from tandir.lending.actions import SheetLine
from tandir.lending.models import FundKind, Installment, Loan, LoanProduct
from tandir.lending.terms import loan_terms
from tandir.orgs.models import StaffUser
from tandir.registry.models import Beneficiary
from tests.factories import register
from tests.lending_factories import DISBURSED, Lending, disbursed_loan, product

D = Decimal


def login(user: StaffUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pdf_of(response: Any) -> PdfReader:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(response.content))


def text_of(reader: PdfReader) -> str:
    # pypdf writes the no-break spaces of CLDR's formats as they are; compare on plain spaces.
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\u00a0\u202f]", " ", text)


def fonts_of(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            # "ABCDEF+Noto-Nastaliq-Urdu": a subset's tag, then the family.
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    return names


def in_currency(lending: Lending, currency: str, method: str, **terms: Any) -> Lending:
    """The same programme lending in another currency, from a fund of its own."""
    world = lending.world
    fund = actions.create_fund(
        world.admin, world.org, code=f"rev-{currency.lower()}", name=f"Fund {currency}",
        kind=FundKind.REVOLVING, currency=currency,
    )  # fmt: skip
    actions.receive_funds(lending.accountant, fund, D("100000000"), on=datetime.date(2025, 1, 1))
    code = f"{method}-{currency.lower()}"
    made = product(world, code, method, currency, **terms)
    return replace(lending, fund=fund, declining=made)


def disbursed_in(lending: Lending, made: LoanProduct, *, amount: str, rate: str = "24") -> Loan:
    """`disbursed_loan` for a currency of many units to the dollar: the household's cash flow
    is appraised in that currency too."""
    scale = D(amount) / 1000
    loan = actions.apply_for_loan(
        lending.officer, lending.person, made, amount=D(amount), term=12, rate=D(rate),
        purpose="Sewing machine", sector="crafts", on=DISBURSED - datetime.timedelta(days=14),
    )  # fmt: skip
    actions.appraise(
        lending.appraiser, loan, business_income=1200 * scale, business_expenses=300 * scale,
        household_income=100 * scale, household_expenses=350 * scale,
    )  # fmt: skip
    actions.approve(
        lending.committee, loan, fund=lending.fund, bank_branch=lending.bank_branch,
        on=DISBURSED - datetime.timedelta(days=7),
    )  # fmt: skip
    actions.instruct_disbursement(lending.officer, lending.bank, [loan], on=DISBURSED)
    return actions.confirm_disbursement(
        lending.accountant, loan, bank_reference="PB-1", on=DISBURSED
    )


def another_person(lending: Lending, number: int, **overrides: Any) -> Beneficiary:
    details = {
        "first_name": f"Member{number}",
        "national_id": f"AM99900{number:02d}",
        "phone": f"+374 91 5550{number:02d}",
    }
    return register(lending.world, **{**details, **overrides})


def test_an_armenian_agreement_and_schedule_are_in_armenian_with_drams_and_the_price(
    lending: Lending,
) -> None:
    amd = in_currency(
        lending, "AMD", "declining", amount_min=D(50000), amount_max=D(5000000), fees=[
            {"name": "Commission", "value": "1", "is_percent": True},
        ],
    )  # fmt: skip
    loan = disbursed_in(amd, amd.declining, amount="500000")
    client = login(lending.officer)

    agreement = text_of(
        pdf_of(client.get(reverse("lending:agreement_pdf", kwargs={"pk": loan.pk}), {"lang": "hy"}))
    )

    # The catalogue's Armenian ("Phone", "ID number") and drams written the Armenian way.
    assert "Հեռախոս" in agreement
    assert "Փաստաթղթի համար" in agreement
    assert "֏" in agreement
    assert "500 000,00 ֏" in agreement
    # The price the engine discloses, with the 1% commission: APR and EIR above the 24% rate.
    disclosed = disclose(build_schedule(loan_terms(loan)))
    assert disclosed.apr_percent > D(24)
    for rate in (disclosed.apr_percent, disclosed.eir_percent):
        assert format_percent(rate / 100, "#,##0.00%", locale="hy") in agreement
    cost = format_currency(disclosed.total_cost_of_credit, "AMD", locale="hy")
    assert cost.replace("\u00a0", " ") in agreement

    schedule = text_of(
        pdf_of(client.get(reverse("lending:schedule_pdf", kwargs={"pk": loan.pk}), {"lang": "hy"}))
    )
    assert "Կարգավիճակ" in schedule  # "Status"
    first = Installment.objects.get(loan=loan, number=1)
    total = format_currency(first.total, "AMD", locale="hy").replace("\u00a0", " ")
    assert total in schedule
    assert "2025" in schedule and "դեկտեմբերի" in schedule  # 15 December, the first due date


def test_an_urdu_agreement_and_schedule_are_right_to_left_in_nastaliq(lending: Lending) -> None:
    pkr = in_currency(lending, "PKR", "qard-hasan", amount_max=D(500000))
    loan = disbursed_in(pkr, pkr.declining, amount="60000", rate="0")
    client = login(lending.officer)
    url = reverse("lending:agreement_pdf", kwargs={"pk": loan.pk})

    # No ?lang=: the request's language decides.
    reader = pdf_of(client.get(url, HTTP_ACCEPT_LANGUAGE="ur"))

    text = text_of(reader)
    # pypdf reads Nastaliq's joined letter forms back only approximately, so the Urdu words are
    # checked in the page that was laid out, and the PDF for its digits and its font.
    assert "60,000.00" in text  # Urdu writes Latin digits with Latin separators
    # Phone numbers and references keep their order on a right-to-left page.
    person = loan.beneficiary
    assert person.phone and person.phone in text
    assert loan.reference in text
    assert "Noto-Nastaliq-Urdu" in fonts_of(reader)
    html = documents.agreement_html(lending.officer, loan, "ur")
    assert '<html lang="ur" dir="rtl">' in html
    assert "دسمبر" in html  # Babel's Urdu month of the first due date (15 December)

    schedule = pdf_of(
        client.get(reverse("lending:schedule_pdf", kwargs={"pk": loan.pk}), {"lang": "ur"})
    )
    assert "Noto-Nastaliq-Urdu" in fonts_of(schedule)
    assert "5,000.00" in text_of(schedule)  # 60,000 over 12 months


def test_a_murabaha_agreement_shows_the_cost_the_markup_and_the_sale_price(
    lending: Lending,
) -> None:
    loan = disbursed_loan(lending, lending.murabaha, amount="1000", rate="12")

    text = text_of(
        pdf_of(login(lending.officer).get(reverse("lending:agreement_pdf", kwargs={"pk": loan.pk})))
    )

    assert "Murabaha sale agreement" in text
    assert "Cost of the goods $1,000.00" in text
    assert "Markup $120.00 (12.00% of the cost)" in text
    assert "Sale price (cost + markup) $1,120.00" in text
    assert "The sale price is fixed" in text
    assert "Nominal interest rate" not in text


def test_a_qard_hasan_agreement_states_that_no_interest_is_charged(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.qard, amount="1200", rate="0")

    text = text_of(
        pdf_of(login(lending.officer).get(reverse("lending:agreement_pdf", kwargs={"pk": loan.pk})))
    )

    assert "No interest is charged on this loan: you repay only the amount lent." in text
    assert "Nominal interest rate" not in text
    # Its service fee of 10 is the whole cost of credit.
    assert "Total cost of credit $10.00" in text
    assert "Total you repay $1,200.00" in text


def test_a_receipt_shows_the_payment_and_how_it_was_applied(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    repayment = actions.record_repayment(
        lending.officer, loan, amount=D("94.56"), value_date=datetime.date(2025, 12, 15),
        reference="counter-1",
    )  # fmt: skip

    text = text_of(
        pdf_of(
            login(lending.officer).get(reverse("lending:receipt_pdf", kwargs={"pk": repayment.pk}))
        )
    )

    assert f"Receipt {repayment.receipt_number}" in text
    assert "Amount received $94.56" in text
    assert "Principal $74.56" in text
    assert "Interest $20.00" in text
    assert "Principal outstanding on the day this receipt was printed: $925.44" in text


def test_a_statement_lists_every_movement_and_the_balance(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    rows = list(Installment.objects.filter(loan=loan).order_by("number"))
    paid = [
        actions.record_repayment(
            lending.officer,
            loan,
            amount=row.principal + row.charge,
            value_date=row.due_date,
            reference=f"s-{row.number}",
        )
        for row in rows[:3]
    ]
    bounced = actions.record_repayment(
        lending.officer, loan, amount=D("50"), value_date=rows[3].due_date, reference="s-bounced"
    )
    actions.reverse_repayment(lending.accountant, bounced, reason="Cheque bounced")

    response = login(lending.officer).get(
        reverse("lending:statement_pdf", kwargs={"pk": loan.pk}), {"lang": "en"}
    )

    text = text_of(pdf_of(response))
    assert "Disbursement PB-1 $1,000.00 $1,000.00" in text
    assert "Repayment, reversed: Cheque" in text  # "bounced" wraps to the next line
    # After three installments: 1,000 − 74.56 − 76.05 − 77.57 of principal.
    assert sum((row.principal for row in rows[:3]), D(0)) == D("228.18")
    assert "Principal outstanding $771.82" in text
    # Each repayment with its receipt, its split and the principal left after it.
    assert (
        f"January 15, 2026 Repayment {paid[1].receipt_number} $94.56 $76.05 $18.51 $849.39" in text
    )
    assert f"{bounced.receipt_number} $50.00 $771.82" in text  # reversed: no split
    # Nine installments unpaid, all due before today (2026-12-02 on this machine or later).
    assert "Total still to pay $851.02" in text
    assert "Overdue today $851.02" in text


def test_a_statement_takes_the_same_queries_for_many_repayments_as_for_one(
    lending: Lending, django_assert_num_queries: Any
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    rows = list(Installment.objects.filter(loan=loan).order_by("number"))

    def pay(row: Installment) -> None:
        actions.record_repayment(
            lending.officer, loan, amount=row.principal + row.charge, value_date=row.due_date,
            reference=f"q-{row.number}",
        )  # fmt: skip

    pay(rows[0])
    # The loan with its people and places, the installments, the applications and their lines,
    # the events and the repayments.
    with django_assert_num_queries(6):
        documents.statement_html(lending.officer, loan, "en")
    for row in rows[1:6]:
        pay(row)
    with django_assert_num_queries(6):
        html = documents.statement_html(lending.officer, loan, "en")
    assert html.count(">Repayment<") == 6


def _group_of_two(lending: Lending) -> tuple[Any, Loan, Beneficiary, Loan]:
    first = disbursed_loan(lending, lending.declining)
    second_person = another_person(lending, 2, first_name="Gayane", last_name="Hakobyan")
    second = disbursed_loan(lending, lending.flat, person=second_person)
    group = actions.create_group(lending.officer, lending.world.branch_a, name="Lori women")
    actions.join_group(lending.officer, group, lending.person, is_leader=True, on=DISBURSED)
    actions.join_group(lending.officer, group, second_person, on=DISBURSED)
    return group, first, second_person, second


def test_a_collection_sheet_printed_before_the_meeting_shows_what_each_member_owes(
    lending: Lending, django_assert_num_queries: Any
) -> None:
    prepare = getattr(actions, "prepare_collection_sheet", None)
    if prepare is None:
        pytest.skip("no action prepares a sheet before its meeting")
    group, first, _second_person, second = _group_of_two(lending)
    # The second month's meeting: the first installments are overdue by then.
    actions.record_repayment(
        lending.officer, first, amount=D("94.56"), value_date=datetime.date(2025, 12, 15),
        reference="paid-1",
    )  # fmt: skip
    sheet = prepare(lending.officer, meeting_date=datetime.date(2026, 1, 15), group=group)
    found = documents.access_sheet(lending.officer, sheet.pk)

    # The members, the sheet's lines, their loans, what falls due: 4 queries for any number.
    with django_assert_num_queries(4):
        documents.sheet_html(lending.officer, found, "en")
    response = login(lending.officer).get(reverse("lending:sheet_pdf", kwargs={"pk": sheet.pk}))

    text = text_of(pdf_of(response))
    assert "Collection sheet: Lori women" in text
    assert "Anahit Petrosyan (leader)" in text
    assert "Gayane Hakobyan" in text
    # The first paid December's installment: January's is due, 76.05 + 18.51.
    assert f"{first.reference} $76.05 $18.51 $94.56" in text
    # The second paid nothing: two flat installments of 83.33 + 20.00, one of them overdue.
    assert f"{second.reference} $166.66 $40.00 $103.33 $206.66" in text
    assert "Total $301.22" in text


def test_a_posted_collection_sheet_shows_what_was_entered_at_the_meeting(
    lending: Lending,
) -> None:
    group, first, second_person, second = _group_of_two(lending)
    sheet = actions.post_collection_sheet(
        lending.officer,
        meeting_date=datetime.date(2025, 12, 15),
        group=group,
        lines=[
            SheetLine(lending.person, "present", first, paid=D("94.56"), due=D("94.56")),
            SheetLine(second_person, "absent", second, paid=D(0), due=D("103.33")),
        ],
    )

    html = documents.sheet_html(
        lending.officer, documents.access_sheet(lending.officer, sheet.pk), "en"
    )

    assert "as entered at the meeting" in html
    assert "Present" in html and "Absent" in html
    assert "$94.56" in html and "$103.33" in html
    assert "$197.89" in html  # the total due, as entered


@pytest.mark.parametrize("name", ["agreement_pdf", "schedule_pdf", "statement_pdf"])
def test_a_branch_b_officer_gets_404_for_a_branch_a_loans_documents(
    lending: Lending, name: str
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    url = reverse(f"lending:{name}", kwargs={"pk": loan.pk})

    assert login(lending.world.loan_officer_b).get(url).status_code == 404
    assert login(lending.world.other_intake).get(url).status_code == 404
    assert login(lending.world.analyst).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page


def test_receipts_and_sheets_of_another_branch_answer_404(lending: Lending) -> None:
    world = lending.world
    loan = disbursed_loan(lending, lending.declining)
    repayment = actions.record_repayment(
        lending.officer, loan, amount=D("10"), value_date=datetime.date(2025, 12, 1),
        reference="r-1",
    )  # fmt: skip
    group = actions.create_group(lending.officer, world.branch_a, name="Group A")
    sheet = actions.post_collection_sheet(
        lending.officer, meeting_date=datetime.date(2025, 12, 1), group=group, lines=[]
    )
    outsider = login(world.loan_officer_b)

    assert (
        outsider.get(reverse("lending:receipt_pdf", kwargs={"pk": repayment.pk})).status_code == 404
    )
    assert outsider.get(reverse("lending:sheet_pdf", kwargs={"pk": sheet.pk})).status_code == 404
    assert (
        login(world.other_intake)
        .get(reverse("lending:sheet_pdf", kwargs={"pk": sheet.pk}))
        .status_code
        == 404
    )


def test_an_unknown_language_is_refused_with_a_clear_message(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)

    response = login(lending.officer).get(
        reverse("lending:agreement_pdf", kwargs={"pk": loan.pk}), {"lang": "xx"}
    )

    assert response.status_code == 400
    assert "en, hy, az, ru, tr, ur" in response.content.decode()


def _protected_loan(lending: Lending) -> Loan:
    trafficking = TargetGroup.objects.get(code="victim_of_trafficking")
    person = another_person(lending, 3, target_groups=[trafficking.pk])
    return disbursed_loan(lending, lending.declining, person=person)


def test_a_protected_persons_document_is_logged_like_opening_their_record(
    lending: Lending, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The log is written before any PDF is laid out; skip WeasyPrint here.
    monkeypatch.setattr(documents, "write_pdf", lambda html: b"%PDF-1.7 stand-in")
    loan = _protected_loan(lending)
    url = reverse("lending:statement_pdf", kwargs={"pk": loan.pk})

    assert login(lending.world.manager_a).get(url).status_code == 200
    logged = list(AccessLog.objects.values_list("user", "record_type", "record_id", "channel"))
    assert logged == [(lending.world.manager_a.pk, "beneficiary", loan.beneficiary_id, "web")]

    # A loan officer may print it but is not shown the protected category: nothing to log.
    assert login(lending.officer).get(url).status_code == 200
    assert AccessLog.objects.count() == 1


def test_a_refugee_document_is_not_named_to_roles_that_may_not_see_protected_categories(
    lending: Lending,
) -> None:
    person = another_person(lending, 4, id_document="refugee_id", national_id="RF123456")
    loan = disbursed_loan(lending, lending.declining, person=person)

    officer_copy = documents.agreement_html(lending.officer, loan, "en")
    manager_copy = documents.agreement_html(lending.world.manager_a, loan, "en")

    assert "RF123456" in officer_copy and "Refugee" not in officer_copy
    assert "Refugee or asylum-seeker document RF123456" in manager_copy


def test_the_language_is_the_chosen_one_then_the_requests_then_the_default() -> None:
    assert documents.document_language("HY", "ru") == "hy"
    assert documents.document_language(None, "ru") == "ru"
    assert documents.document_language("", "pt-br") == "en"
    with pytest.raises(documents.UnknownLanguage):
        documents.document_language("de", "en")


def test_every_documented_url_name_resolves(lending: Lending) -> None:
    paths = {
        name: reverse(f"lending:{name}", kwargs={"pk": 7})
        for name in ("agreement_pdf", "schedule_pdf", "statement_pdf", "receipt_pdf", "sheet_pdf")
    }
    assert paths["agreement_pdf"] == "/loans/documents/7/agreement.pdf"
    assert paths["receipt_pdf"] == "/loans/documents/receipts/7.pdf"
    assert paths["sheet_pdf"] == "/loans/documents/sheets/7.pdf"


def test_a_rescheduled_loans_agreement_states_the_terms_it_was_rescheduled_to(
    lending: Lending,
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    first = Installment.objects.get(loan=loan, number=1)
    actions.record_repayment(
        lending.officer, loan, amount=first.total, value_date=first.due_date, reference="p-1"
    )
    change = actions.request_change(
        lending.officer, loan, kind="reschedule", reason="Harvest failed", terms={"term": 6}
    )
    actions.decide_change(lending.committee, change, approve=True, on=datetime.date(2026, 1, 10))
    loan.refresh_from_db()

    html = documents.agreement_html(lending.officer, loan, "en")

    # The 925.44 of principal left, over 6 months from the rescheduling: its own price.
    rescheduled = documents.offered_schedule(loan)
    assert (rescheduled.amount_financed, len(rescheduled.installments)) == (D("925.44"), 6)
    assert "Terms as rescheduled on January 10, 2026." in html
    assert "$925.44" in html
    apr = disclose(rescheduled).apr_percent
    assert f"{apr:.2f}%" in html


def test_an_undone_disbursement_leaves_the_statements_balance_at_zero(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    loan = actions.undo_disbursement(lending.accountant, loan, reason="Wrong client")

    html = documents.statement_html(lending.officer, loan, "en")

    assert "Disbursement undone" in html
    # The last cell of each transaction is the principal left: 1,000 out, then back to 0.
    balances = re.findall(r'<td class="num">([^<]*)</td>\s*</tr>', html)
    assert balances[-2:] == ["$1,000.00", "$0.00"]


def test_a_centres_sheet_lists_each_of_its_groups_and_only_current_members(
    lending: Lending,
) -> None:
    world = lending.world
    centre = actions.create_centre(lending.officer, world.branch_a, name="Centre", meeting_day=1)
    north = actions.create_group(lending.officer, world.branch_a, name="North", centre=centre)
    south = actions.create_group(lending.officer, world.branch_a, name="South", centre=centre)
    gone = another_person(lending, 6, first_name="Gone")
    actions.join_group(lending.officer, north, lending.person, on=DISBURSED)
    siran = another_person(lending, 7, first_name="Siran")
    actions.join_group(lending.officer, south, siran, on=DISBURSED)
    late = another_person(lending, 8, first_name="Later")
    actions.join_group(lending.officer, north, late)  # today: after the meeting
    membership = actions.join_group(lending.officer, south, gone, on=DISBURSED)
    actions.leave_group(lending.officer, membership, on=datetime.date(2025, 11, 30))
    disbursed_loan(lending, lending.declining)
    sheet = actions.post_collection_sheet(
        lending.officer, meeting_date=datetime.date(2025, 12, 15), centre=centre, lines=[]
    )

    html = documents.sheet_html(
        lending.officer, documents.access_sheet(lending.officer, sheet.pk), "en"
    )

    assert "<h2>North</h2>" in html and "<h2>South</h2>" in html
    assert "Anahit Petrosyan" in html
    assert "Siran" in html
    assert "Gone" not in html  # left before the meeting
    assert "Later" not in html  # joined after it
    assert "$94.56" in html  # the first installment, due on the meeting day
