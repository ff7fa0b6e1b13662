"""The lending admin as an organisation's administrator uses it, and as an attacker would: its
own organisation's products only, a change of terms made a new version, every other save
through the actions, and loans and journal entries only to read."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.forms import CheckboxInput
from django.test import Client

from tandir.ledger.models import JournalEntry
from tandir.lending.models import (
    ApprovalLimit,
    BankBranch,
    Centre,
    FundingSource,
    Loan,
    LoanProduct,
    ProductVersion,
)
from tandir.orgs.models import Role
from tests.factories import PASSWORD, World, make_user
from tests.lending_factories import Lending, disbursed_loan

D = Decimal


def admin_client(world: World) -> Client:
    world.admin.is_staff = True
    world.admin.save(update_fields=["is_staff"])
    client = Client()
    assert client.login(username=world.admin.username, password=PASSWORD)
    return client


def other_organisations_product(world: World) -> LoanProduct:
    other_admin = make_user(world.other_org, Role.ADMINISTRATOR, [], "other_admin")
    from tandir.lending import actions

    version = actions.create_product(
        other_admin, world.other_org, code="secret", name="Their product", method="flat",
        currency="USD", frequencies=["monthly"], rate_min=D(0), rate_max=D(30),
        amount_min=D(100), amount_max=D(5000), term_min=3, term_max=12,
    )  # fmt: skip
    return version.product


def form_data(response: Any, **changes: Any) -> dict[str, Any]:
    """What the change page's form would post back unchanged, with `changes` applied."""
    form = response.context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, CheckboxInput):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    data.update(changes)
    return data


def test_an_organisation_administrator_sees_only_their_own_organisations_products(
    lending: Lending,
) -> None:
    theirs = other_organisations_product(lending.world)
    page = admin_client(lending.world).get("/admin/lending/loanproduct/")
    assert page.status_code == 200
    listed = {p.pk for p in page.context["cl"].result_list}
    assert listed == set(
        LoanProduct.objects.filter(organization=lending.world.org).values_list("pk", flat=True)
    )
    assert theirs.pk not in listed
    assert "Their product" not in page.content.decode()


def test_another_organisations_product_cannot_be_reached_or_changed_by_url(
    lending: Lending,
) -> None:
    theirs = other_organisations_product(lending.world)
    client = admin_client(lending.world)
    assert client.get(f"/admin/lending/loanproduct/{theirs.pk}/change/").status_code == 302
    client.post(
        f"/admin/lending/loanproduct/{theirs.pk}/change/",
        {"code": "secret", "name": "Taken over", "rate_max": "99"},
    )
    theirs.refresh_from_db()
    assert theirs.name == "Their product"
    assert ProductVersion.objects.filter(product=theirs).count() == 1


def test_a_product_change_makes_a_new_version_and_the_loan_keeps_its_own(
    lending: Lending,
) -> None:
    loan = disbursed_loan(lending, lending.declining)
    client = admin_client(lending.world)
    url = f"/admin/lending/loanproduct/{lending.declining.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["adminform"].form.initial["rate_max"] == D("36")
    response = client.post(url, form_data(page, rate_max="30", name="Declining 2026"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    versions = list(ProductVersion.objects.filter(product=lending.declining).order_by("number"))
    assert [(v.number, v.rate_max) for v in versions] == [(1, D(36)), (2, D(30))]
    assert versions[1].created_by == lending.world.admin
    lending.declining.refresh_from_db()
    assert lending.declining.name == "Declining 2026"
    loan.refresh_from_db()
    assert loan.product_version_id == versions[0].pk


def test_saving_a_product_without_changing_its_terms_makes_no_new_version(
    lending: Lending,
) -> None:
    client = admin_client(lending.world)
    url = f"/admin/lending/loanproduct/{lending.flat.pk}/change/"
    response = client.post(url, form_data(client.get(url)))
    assert response.status_code == 302
    assert ProductVersion.objects.filter(product=lending.flat).count() == 1


def test_terms_that_cannot_make_a_schedule_are_a_form_error_and_write_nothing(
    lending: Lending,
) -> None:
    client = admin_client(lending.world)
    url = f"/admin/lending/loanproduct/{lending.flat.pk}/change/"
    response = client.post(url, form_data(client.get(url), amount_min="9000", amount_max="500"))
    assert response.status_code == 200
    assert "amount_max" in response.context["adminform"].form.errors
    assert ProductVersion.objects.filter(product=lending.flat).count() == 1


def test_a_new_product_gets_its_first_version_in_the_administrators_organisation(
    lending: Lending,
) -> None:
    client = admin_client(lending.world)
    page = client.get("/admin/lending/loanproduct/add/")
    assert page.status_code == 200
    data = form_data(
        page, code="women", name="Women in trade", method="flat", currency="AMD",
        frequencies=["monthly", "weekly"], rate_max="30", amount_min="50000",
        amount_max="500000", term_min="3", term_max="12", organization=lending.world.other_org.pk,
    )  # fmt: skip
    response = client.post("/admin/lending/loanproduct/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = LoanProduct.objects.get(code="women")
    assert created.organization_id == lending.world.org.pk
    version = created.versions.get()
    assert (version.number, version.currency, version.frequencies) == (
        1,
        "AMD",
        ["monthly", "weekly"],
    )


def test_funds_bank_branches_limits_and_centres_are_created_through_the_actions(
    lending: Lending,
) -> None:
    world = lending.world
    client = admin_client(world)
    response = client.post(
        "/admin/lending/fundingsource/add/",
        {"code": "donor", "name": "Donor fund", "kind": "donor", "currency": "USD"},
    )
    assert response.status_code == 302
    fund = FundingSource.objects.get(code="donor")
    assert fund.organization_id == world.org.pk and fund.account.organization_id == world.org.pk
    client.post(
        "/admin/lending/bankbranch/add/",
        {
            "bank": lending.bank.pk,
            "code": "PB-AR",
            "name": "Artik",
            "district": world.district_b.pk,
        },
    )
    assert BankBranch.objects.get(code="PB-AR").organization_id == world.org.pk
    client.post(
        "/admin/lending/approvallimit/add/",
        {"role": Role.CREDIT_COMMITTEE, "currency": "USD", "max_amount": "5000"},
    )
    limit = ApprovalLimit.objects.get(role=Role.CREDIT_COMMITTEE)
    assert (limit.organization_id, limit.max_amount) == (world.org.pk, D(5000))
    client.post(
        "/admin/lending/centre/add/",
        {
            "branch": world.branch_a.pk, "name": "Azatan", "meeting_day": "1",
            "meeting_place": "School", "officer": world.loan_officer_a.pk,
        },
    )  # fmt: skip
    centre = Centre.objects.get(name="Azatan")
    assert (centre.organization_id, centre.officer) == (world.org.pk, world.loan_officer_a)


def test_a_centre_cannot_be_given_another_organisations_branch_or_officer(
    lending: Lending,
) -> None:
    world = lending.world
    response = admin_client(world).post(
        "/admin/lending/centre/add/",
        {
            "branch": world.other_branch.pk, "name": "Theirs", "meeting_day": "1",
            "officer": world.other_intake.pk,
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert {"branch", "officer"} <= set(response.context["adminform"].form.errors)
    assert not Centre.objects.exists()


def test_loans_and_journal_entries_are_read_only_in_the_admin(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    entry = JournalEntry.objects.filter(loan_id=loan.pk).first()
    assert entry is not None
    client = admin_client(lending.world)
    for path in (
        f"/admin/lending/loan/{loan.pk}/change/",
        f"/admin/ledger/journalentry/{entry.pk}/change/",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert 'name="_save"' not in page.content.decode()
        assert client.post(path, {"amount": "1"}).status_code == 403
        assert client.post(path.replace("change", "delete"), {"post": "yes"}).status_code == 403
    assert client.get("/admin/lending/loan/add/").status_code == 403
    loan.refresh_from_db()
    assert loan.amount == D(1000)


def test_another_organisations_loans_are_not_listed(lending: Lending) -> None:
    loan = disbursed_loan(lending, lending.declining)
    other_admin = make_user(lending.world.other_org, Role.ADMINISTRATOR, [], "other_admin")
    other_admin.is_staff = True
    other_admin.save(update_fields=["is_staff"])
    client = Client()
    assert client.login(username="other_admin", password=PASSWORD)
    assert not client.get("/admin/lending/loan/").context["cl"].result_list
    assert client.get(f"/admin/lending/loan/{loan.pk}/change/").status_code == 302
    assert Loan.objects.filter(pk=loan.pk).exists()


@pytest.mark.parametrize(
    "model",
    [
        "loanproduct", "fundingsource", "bankbranch", "approvallimit", "centre", "loan",
    ],
)  # fmt: skip
def test_lending_admin_pages_render_for_an_organisation_administrator(
    lending: Lending, model: str
) -> None:
    client = admin_client(lending.world)
    assert client.get(f"/admin/lending/{model}/").status_code == 200
    if model != "loan":
        assert client.get(f"/admin/lending/{model}/add/").status_code == 200


def test_a_loan_officer_has_no_lending_admin(lending: Lending) -> None:
    officer = lending.officer
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    client = Client()
    assert client.login(username=officer.username, password=PASSWORD)
    assert client.get("/admin/lending/loanproduct/").status_code in (302, 403)
