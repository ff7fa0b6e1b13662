"""The loans API: scoped lists and loans, a loan's repayments, and a repayment posted once per
`Idempotency-Key`, with every refusal a stable code that leaves nothing written."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from tandir.api.models import IdempotencyKey, TokenScope
from tandir.ledger.models import EntryKind, JournalEntry
from tandir.lending import actions
from tandir.lending.models import Application, Loan, LoanStatus, Repayment
from tandir.lending.queries import installments_of
from tandir.orgs.models import Role
from tests.api.conftest import ApiClient, ClientFor, token_for
from tests.factories import make_user, register
from tests.lending import conftest as lending_conftest
from tests.lending_factories import DISBURSED, Lending, disbursed_loan

# The books must balance after every test here too.
lending = lending_conftest.lending

D = Decimal
# "Today" in these tests: the loan disbursed on 15 November 2025 has its first installment
# (94.56 USD: 20.00 interest, 74.56 principal) due on 15 December and its second on 15 January.
TODAY = datetime.date(2026, 1, 10)
KEY = {"Idempotency-Key": "3f1c7a52-payment-1"}


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's calendar says TODAY, for the API and the actions alike."""
    real = timezone.localdate

    def localdate(value: Any = None, timezone: Any = None) -> datetime.date:
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


def payment(amount: str = "100", currency: str = "USD", **extra: Any) -> dict[str, Any]:
    return {"amount": {"amount": amount, "currency": currency}, "value_date": "2025-12-20"} | extra


def written() -> tuple[int, int, int, int]:
    """Everything a repayment writes: repayments, allocations, journal entries, stored keys."""
    return (
        Repayment.objects.count(),
        Application.objects.count(),
        JournalEntry.objects.count(),
        IdempotencyKey.objects.count(),
    )


def branch_b_loan(lending: Lending) -> Loan:
    """A loan of a person of branch B, taken by the branch B officer."""
    world = lending.world
    person = register(
        world,
        officer=world.admin,
        first_name="Narek",
        last_name="Grigoryan",
        sex="male",
        phone="+37493000003",
        national_id="AM0000003",
        branch=world.branch_b.pk,
    )
    loan = actions.apply_for_loan(
        world.loan_officer_b,
        person,
        lending.declining,
        amount=D("2000"),
        term=12,
        rate=D("24"),
        purpose="Greenhouse",
        sector="agriculture",
        on=DISBURSED - datetime.timedelta(days=14),
    )
    appraiser = make_user(world.org, Role.LOAN_APPRAISER, [world.branch_b], "appraiser_b")
    actions.appraise(
        appraiser,
        loan,
        business_income=D("1200"),
        business_expenses=D("300"),
        household_income=D("100"),
        household_expenses=D("350"),
    )
    actions.approve(
        lending.committee,
        loan,
        fund=lending.fund,
        bank_branch=lending.bank_branch,
        on=DISBURSED - datetime.timedelta(days=7),
    )
    actions.instruct_disbursement(world.loan_officer_b, lending.bank, [loan], on=DISBURSED)
    return actions.confirm_disbursement(
        lending.accountant, loan, bank_reference="PB-2", on=DISBURSED
    )


def application_only(lending: Lending) -> Loan:
    """A loan applied for and not yet disbursed."""
    return actions.apply_for_loan(
        lending.officer,
        lending.person,
        lending.flat,
        amount=D("500"),
        term=6,
        rate=D("12"),
        purpose="Stock",
        sector="trade",
        on=DISBURSED,
    )


# --- Reading ------------------------------------------------------------------------------


def test_the_list_shows_the_loans_in_scope_newest_application_first(
    lending: Lending, client_for: ClientFor
) -> None:
    older = disbursed_loan(lending, lending.declining)
    newer = application_only(lending)
    branch_b_loan(lending)
    response = client_for(lending.officer).get("loans")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["limit"], body["offset"]) == (2, 25, 0)
    assert [item["id"] for item in body["items"]] == [newer.pk, older.pk]
    first = body["items"][1]
    assert first["status"] == "active"
    assert first["amount"] == {"amount": "1000.00", "currency": "USD"}
    assert first["principal_outstanding"] == {"amount": "1000.00", "currency": "USD"}
    assert first["product"] == {"code": "declining", "name": "Declining", "version": 1}
    assert (first["rate"], first["term"], first["frequency"]) == ("24", 12, "monthly")


def test_the_list_pages_and_filters_and_a_branch_out_of_scope_matches_nothing(
    lending: Lending, client_for: ClientFor
) -> None:
    active = disbursed_loan(lending, lending.declining)
    submitted = application_only(lending)
    branch_b_loan(lending)
    client = client_for(lending.officer)
    page = client.get("loans", limit=1, offset=1).json()
    assert (page["count"], [i["id"] for i in page["items"]]) == (2, [active.pk])
    assert [i["id"] for i in client.get("loans", status="submitted").json()["items"]] == [
        submitted.pk
    ]
    assert client.get("loans", branch=lending.world.branch_b.pk).json()["count"] == 0
    assert client.get("loans", beneficiary=lending.person.pk).json()["count"] == 2
    # The administrator sees the whole organisation.
    assert client_for(lending.world.admin).get("loans").json()["count"] == 3


@pytest.mark.parametrize("query", [{"limit": 201}, {"limit": 0}, {"status": "paid"}])
def test_a_page_too_large_or_an_unknown_status_is_invalid(
    lending: Lending, client_for: ClientFor, query: dict[str, Any]
) -> None:
    response = client_for(lending.officer).get("loans", **query)
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == list(query)


def test_a_loan_shows_its_schedule_balances_and_arrears(
    lending: Lending, client_for: ClientFor
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    actions.record_repayment(
        lending.officer,
        loan,
        amount=D("50"),
        value_date=datetime.date(2025, 12, 20),
        reference="counter-1",
    )
    body = client_for(lending.officer).get(f"loans/{loan.pk}").json()
    assert body["reference"] == loan.reference
    assert body["schedule_version"] == 1
    assert len(body["installments"]) == 12
    first = body["installments"][0]
    assert first["due_date"] == "2025-12-15"
    assert first["due"] == {
        "principal": "74.56",
        "charge": "20.00",
        "fees": "0.00",
        "savings": "0.00",
        "penalty": "0.00",
        "total": "94.56",
    }
    assert (first["paid"]["charge"], first["paid"]["principal"], first["paid"]["total"]) == (
        "20.00",
        "30.00",
        "50.00",
    )
    assert body["principal_outstanding"] == {"amount": "970.00", "currency": "USD"}
    assert body["outstanding"]["principal"] == "970.00"
    total_due = sum(D(row["due"]["total"]) for row in body["installments"])
    assert D(body["outstanding"]["total"]) == total_due - D("50")
    # On 10 January only the first installment is late: 44.56 of principal, 26 days.
    assert body["arrears"] == {
        "as_of": "2026-01-10",
        "days_past_due": 26,
        "bucket": "1-30",
        "overdue": {
            "principal": "44.56",
            "charge": "0.00",
            "fees": "0.00",
            "penalty": "0.00",
            "total": "44.56",
        },
    }


def test_a_loan_not_yet_disbursed_has_no_arrears(lending: Lending, client_for: ClientFor) -> None:
    loan = application_only(lending)
    body = client_for(lending.officer).get(f"loans/{loan.pk}").json()
    assert (body["status"], body["arrears"], body["disbursed_on"]) == ("submitted", None, None)


def test_the_repayments_list_shows_each_payment_with_its_allocation(
    lending: Lending, client_for: ClientFor
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    client = client_for(lending.officer)
    client.post(f"loans/{loan.pk}/repayments", payment("100"), headers=KEY)
    body = client.get(f"loans/{loan.pk}/repayments").json()
    assert body["count"] == 1
    [paid] = body["items"]
    assert paid["amount"] == {"amount": "100.00", "currency": "USD"}
    assert (paid["source"], paid["value_date"], paid["reversed_at"]) == ("api", "2025-12-20", None)
    assert paid["received_by"]["id"] == lending.officer.pk
    assert paid["allocation"] == [
        {"installment": 1, "component": "charge", "amount": "20.00"},
        {"installment": 1, "component": "principal", "amount": "74.56"},
        {"installment": 2, "component": "charge", "amount": "5.44"},
    ]
    assert paid["credit"] == "0.00"


def test_pages_make_a_fixed_number_of_queries_however_many_loans_and_payments(
    lending: Lending,
    client_for: ClientFor,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    loans = [disbursed_loan(lending, lending.declining) for _ in range(3)]
    for number in range(6):
        actions.record_repayment(
            lending.officer,
            loans[0],
            amount=D("30"),
            value_date=datetime.date(2025, 12, 1 + number),
            reference=f"counter-{number}",
        )
    client = client_for(lending.officer)
    client.get("loans", limit=1)  # the token's first use records last_used_at
    # token + count + page (loans with branch, person, officer and product joined)
    with django_assert_num_queries(3):
        assert client.get("loans").status_code == 200
    # token + loan + installments
    with django_assert_num_queries(3):
        assert client.get(f"loans/{loans[0].pk}").status_code == 200
    # token + loan + count + page + applications + their lines
    with django_assert_num_queries(6):
        response = client.get(f"loans/{loans[0].pk}/repayments")
    assert response.status_code == 200
    assert response.json()["count"] == 6


# --- Scope --------------------------------------------------------------------------------


def test_a_loan_officer_of_branch_b_gets_404_for_a_branch_a_loan_exactly_as_for_none(
    lending: Lending, client_for: ClientFor
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    missing = Loan.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    client = client_for(lending.world.loan_officer_b)
    before = written()
    for path in (f"loans/{loan.pk}", f"loans/{loan.pk}/repayments"):
        other = client.get(path)
        absent = client.get(path.replace(str(loan.pk), str(missing)))
        assert (other.status_code, other.json()) == (absent.status_code, absent.json())
        assert other.status_code == 404
        assert other.json()["error"]["code"] == "not_found"
    posted = client.post(f"loans/{loan.pk}/repayments", payment(), headers=KEY)
    absent = client.post(f"loans/{missing}/repayments", payment(), headers=KEY)
    assert (posted.status_code, posted.json()) == (absent.status_code, absent.json())
    assert posted.status_code == 404
    assert written() == before
    assert client.get("loans").json()["count"] == 0


def test_a_network_analyst_sees_no_loan(lending: Lending, client_for: ClientFor) -> None:
    loan = disbursed_loan(lending, lending.declining)
    client = client_for(lending.world.analyst)
    assert client.get("loans").json()["count"] == 0
    assert client.get(f"loans/{loan.pk}").status_code == 404


def test_a_read_only_token_is_refused_a_payment_and_nothing_is_written(
    lending: Lending, openapi: dict[str, Any]
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    client = ApiClient(openapi, token_for(lending.officer, scope=TokenScope.READ))
    assert client.get(f"loans/{loan.pk}").status_code == 200
    before = written()
    response = client.post(f"loans/{loan.pk}/repayments", payment(), headers=KEY)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_allowed"
    assert written() == before


def test_a_role_that_does_not_collect_may_read_a_loan_but_not_pay_into_it(
    lending: Lending, client_for: ClientFor
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    client = client_for(lending.world.intake_a)
    assert client.get(f"loans/{loan.pk}").status_code == 200
    before = written()
    response = client.post(f"loans/{loan.pk}/repayments", payment(), headers=KEY)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_allowed"
    assert written() == before


# --- Posting once -------------------------------------------------------------------------


def test_the_same_payment_sent_five_times_posts_once_and_answers_the_first_result(
    lending: Lending, client_for: ClientFor
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    client = client_for(lending.officer)
    entries = JournalEntry.objects.filter(loan_id=loan.pk, kind=EntryKind.REPAYMENT)
    answers = [
        client.post(f"loans/{loan.pk}/repayments", payment("100"), headers=KEY) for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [201] * 5
    assert all(a.json() == answers[0].json() for a in answers)
    first = answers[0].json()
    assert first["loan"] == {
        "status": "active",
        "principal_outstanding": {"amount": "925.44", "currency": "USD"},
        "credit_held": {"amount": "0.00", "currency": "USD"},
    }
    assert Repayment.objects.filter(loan=loan).count() == 1
    assert Application.objects.filter(loan=loan).count() == 1
    assert entries.count() == 1
    assert IdempotencyKey.objects.count() == 1
    loan.refresh_from_db()
    assert loan.principal_outstanding == D("925.44")


def test_two_keys_post_two_payments(lending: Lending, client_for: ClientFor) -> None:
    loan = disbursed_loan(lending, lending.declining)
    client = client_for(lending.officer)
    for key in ("a", "b"):
        response = client.post(
            f"loans/{loan.pk}/repayments", payment("50"), headers={"Idempotency-Key": key}
        )
        assert response.status_code == 201
    assert Repayment.objects.filter(loan=loan).count() == 2
    loan.refresh_from_db()
    assert loan.principal_outstanding == D("925.44")


def test_a_replay_after_the_stored_answer_expired_still_posts_nothing_twice(
    lending: Lending, client_for: ClientFor
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    client = client_for(lending.officer)
    first = client.post(f"loans/{loan.pk}/repayments", payment("100"), headers=KEY)
    IdempotencyKey.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    again = client.post(f"loans/{loan.pk}/repayments", payment("100"), headers=KEY)
    # The repayment's reference comes from the key: the action finds it recorded.
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert Repayment.objects.count() == 1
    assert JournalEntry.objects.filter(kind=EntryKind.REPAYMENT).count() == 1


def test_a_refused_payment_keeps_no_key_so_the_corrected_one_may_reuse_it(
    lending: Lending, client_for: ClientFor
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    client = client_for(lending.officer)
    wrong = client.post(f"loans/{loan.pk}/repayments", payment("100", "EUR"), headers=KEY)
    assert wrong.status_code == 422
    right = client.post(f"loans/{loan.pk}/repayments", payment("100"), headers=KEY)
    assert right.status_code == 201
    assert Repayment.objects.count() == 1


def test_the_same_key_for_a_different_payment_is_refused_as_reused(
    lending: Lending, client_for: ClientFor
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    other = disbursed_loan(lending, lending.declining)
    client = client_for(lending.officer)
    client.post(f"loans/{loan.pk}/repayments", payment("100"), headers=KEY)
    before = written()
    for path, body in (
        (f"loans/{loan.pk}/repayments", payment("101")),
        (f"loans/{other.pk}/repayments", payment("100")),
    ):
        response = client.post(path, body, headers=KEY)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert written() == before


def test_keys_belong_to_their_user(lending: Lending, client_for: ClientFor) -> None:
    loan = disbursed_loan(lending, lending.declining)
    client_for(lending.officer).post(f"loans/{loan.pk}/repayments", payment("100"), headers=KEY)
    manager = client_for(lending.world.manager_a)
    response = manager.post(f"loans/{loan.pk}/repayments", payment("100"), headers=KEY)
    assert response.status_code == 201
    assert Repayment.objects.count() == 2


# --- Refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (payment("100", "EUR"), 422, "currency_mismatch", "amount.currency"),
        (payment("100.005"), 422, "too_many_decimals", "amount.amount"),
        (payment("100.0001"), 422, "invalid", "amount.amount"),
        (payment("0"), 422, "not_positive", None),
        (payment("0.00"), 422, "not_positive", None),
        (payment("-5"), 422, "invalid", "amount.amount"),
        (payment("1" + "0" * 15), 422, "invalid", "amount.amount"),
        (payment("1,000"), 422, "invalid", "amount.amount"),
        (
            {"amount": {"amount": 100, "currency": "USD"}, "value_date": "2025-12-20"},
            422,
            "invalid",
            "amount.amount",
        ),
        (payment("100", "XYZ"), 422, "invalid", "amount.currency"),
        (payment(value_date="2026-01-11"), 422, "future_date", None),
        (payment(value_date="2025-11-14"), 422, "before_schedule", None),
        (payment(value_date="20.12.2025"), 422, "invalid", "value_date"),
        (payment(bank_reference="x" * 121), 422, "invalid", "bank_reference"),
    ],
)
def test_a_bad_payment_is_refused_with_a_stable_code_and_nothing_is_written(
    lending: Lending,
    client_for: ClientFor,
    body: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    before = written()
    response = client_for(lending.officer).post(f"loans/{loan.pk}/repayments", body, headers=KEY)
    assert response.status_code == status, response.json()
    error = response.json()["error"]
    assert error["code"] == code
    if field is not None:
        assert field in error["fields"]
    assert written() == before
    loan.refresh_from_db()
    assert loan.principal_outstanding == D("1000")


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": ""}, {"Idempotency-Key": "   "}])
def test_a_payment_without_an_idempotency_key_is_refused_with_its_own_code(
    lending: Lending, client_for: ClientFor, headers: dict[str, str]
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    before = written()
    response = client_for(lending.officer).post(
        f"loans/{loan.pk}/repayments", payment(), headers=headers
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_required"
    assert written() == before


def test_a_key_longer_than_255_characters_is_invalid(
    lending: Lending, client_for: ClientFor
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    response = client_for(lending.officer).post(
        f"loans/{loan.pk}/repayments", payment(), headers={"Idempotency-Key": "k" * 256}
    )
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["Idempotency-Key"]


def test_a_long_key_is_kept_as_its_hash_in_the_repayment_reference(
    lending: Lending, client_for: ClientFor
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    key = "k" * 255
    client = client_for(lending.officer)
    for _ in range(2):
        response = client.post(
            f"loans/{loan.pk}/repayments", payment(), headers={"Idempotency-Key": key}
        )
        assert response.status_code == 201
    reference = Repayment.objects.get().reference
    assert reference.startswith(f"api:{lending.officer.pk}:sha256:")
    assert len(reference) <= 120


def test_a_payment_into_a_closed_loan_is_refused_and_nothing_is_written(
    lending: Lending, client_for: ClientFor
) -> None:
    loan = disbursed_loan(lending, lending.declining, amount="300", term=3)
    owed = sum((row.total for row in installments_of(loan)), D(0))
    actions.record_repayment(
        lending.officer,
        loan,
        amount=owed,
        value_date=datetime.date(2026, 1, 5),
        reference="everything",
    )
    loan.refresh_from_db()
    assert loan.status == LoanStatus.CLOSED
    before = written()
    response = client_for(lending.officer).post(
        f"loans/{loan.pk}/repayments", payment(), headers=KEY
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "closed"
    assert written() == before


def test_a_payment_into_a_loan_not_disbursed_is_refused(
    lending: Lending, client_for: ClientFor
) -> None:
    loan = application_only(lending)
    before = written()
    response = client_for(lending.officer).post(
        f"loans/{loan.pk}/repayments", payment(), headers=KEY
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_active"
    assert written() == before


def test_an_overpayment_is_held_as_credit(lending: Lending, client_for: ClientFor) -> None:
    loan = disbursed_loan(lending, lending.declining, amount="300", term=3)
    owed = sum((row.total for row in installments_of(loan)), D(0))
    response = client_for(lending.officer).post(
        f"loans/{loan.pk}/repayments",
        payment(str(owed + D("10")), value_date="2026-01-05"),
        headers=KEY,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["credit"] == "10.00"
    assert body["loan"]["status"] == "overpaid"
    assert body["loan"]["credit_held"] == {"amount": "10.00", "currency": "USD"}


# --- The document -------------------------------------------------------------------------


def test_the_openapi_document_has_the_loan_operations_and_requires_the_key(
    openapi: dict[str, Any],
) -> None:
    paths = openapi["paths"]
    assert set(paths["/api/v1/loans"]) == {"get"}
    assert set(paths["/api/v1/loans/{loan_id}"]) == {"get"}
    assert set(paths["/api/v1/loans/{loan_id}/repayments"]) == {"get", "post"}
    post = paths["/api/v1/loans/{loan_id}/repayments"]["post"]
    [key] = [p for p in post["parameters"] if p["in"] == "header"]
    assert (key["name"], key["required"]) == ("Idempotency-Key", True)
    assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 255)
    assert set(post["responses"]) == {"201", "400", "401", "403", "404", "409", "422"}
    amount = post["requestBody"]["content"]["application/json"]["schema"]
    assert amount == {"$ref": "#/components/schemas/RepaymentIn"}
    money_in = openapi["components"]["schemas"]["MoneyIn"]["properties"]["amount"]
    assert money_in["type"] == "string"
