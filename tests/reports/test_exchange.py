"""Exchange rates: recording them (rights, checks, one a day), the rule that picks the rate of an
amount (the latest on or before its date), a missing rate named, and the donor report's amounts
converted with them."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from tandir.core.errors import Conflict, NotAllowed, TandirError
from tandir.reports import actions
from tandir.reports.donor import donor_report
from tandir.reports.exchange import MissingRate, RateTable, convert_one
from tandir.reports.models import ExchangeRate
from tests.factories import World
from tests.lending_factories import build_lending, disbursed_loan

D = Decimal
DAY = datetime.date(2025, 11, 1)


def rate(
    world: World, on: datetime.date, value: str, pair: tuple[str, str] = ("USD", "AMD")
) -> Any:
    return actions.record_exchange_rate(
        world.me_officer,
        on=on,
        from_currency=pair[0],
        to_currency=pair[1],
        rate=D(value),
        source="Central Bank of Armenia",
    )


def test_recording_checks_right_fields_and_one_rate_a_day(world: World) -> None:
    recorded = rate(world, DAY, "385.5")
    assert (recorded.organization_id, recorded.rate, recorded.recorded_by) == (
        world.org.pk,
        D("385.5"),
        world.me_officer,
    )
    with pytest.raises(NotAllowed):
        actions.record_exchange_rate(
            world.intake_a, on=DAY, from_currency="USD", to_currency="EUR", rate="1",
            source="x",
        )  # fmt: skip
    with pytest.raises(Conflict):
        rate(world, DAY, "390")
    with pytest.raises(TandirError) as refused:
        actions.record_exchange_rate(
            world.me_officer,
            on=timezone.localdate() + datetime.timedelta(days=3),
            from_currency="USD",
            to_currency="USD",
            rate="0",
            source=" ",
        )
    assert set(refused.value.details["fields"]) == {"on", "to_currency", "rate", "source"}
    assert ExchangeRate.objects.count() == 1
    actions.delete_exchange_rate(world.me_officer, recorded.pk)
    assert not ExchangeRate.objects.exists()


def test_an_amount_converts_at_the_latest_rate_on_or_before_its_date(world: World) -> None:
    rate(world, DAY, "400")
    rate(world, DAY + datetime.timedelta(days=10), "390")
    table = RateTable(world.org.pk, "AMD")
    assert table.rate_on("USD", DAY).rate == D("400")  # type: ignore[union-attr]
    assert table.rate_on("USD", DAY + datetime.timedelta(days=9)).rate == D("400")  # type: ignore[union-attr]
    assert table.rate_on("USD", DAY + datetime.timedelta(days=10)).rate == D("390")  # type: ignore[union-attr]
    assert table.rate_on("AMD", DAY) is None  # no conversion within a currency
    converted = table.convert(
        [("USD", DAY, D("10.00")), ("USD", DAY + datetime.timedelta(days=30), D("1.00"))]
    )
    assert converted.amount == D("4390.00")
    assert converted.rates == {
        "USD": [(DAY, D("400")), (DAY + datetime.timedelta(days=10), D("390"))]
    }
    with pytest.raises(MissingRate) as missing:
        table.rate_on("USD", DAY - datetime.timedelta(days=1))
    assert "USD to AMD" in missing.value.message and "Oct 31, 2025" in missing.value.message
    # Another organisation's rates are not ours.
    assert RateTable(world.other_org.pk, "AMD")._days == {}


def test_the_converted_total_is_rounded_once_half_up(world: World) -> None:
    rate(world, DAY, "0.00333333", ("AMD", "USD"))
    assert convert_one(world.org.pk, D("1500"), "AMD", "USD", DAY) == D("5.00")
    # 0.005 exactly rounds up.
    rate(world, DAY, "0.5", ("AMD", "EUR"))
    assert convert_one(world.org.pk, D("0.01"), "AMD", "EUR", DAY) == D("0.01")


@settings(max_examples=50, deadline=None)
@given(
    amounts=st.lists(
        st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False), min_size=1, max_size=8
    ),
    value=st.decimals(min_value=D("0.00000001"), max_value=1000, places=8, allow_nan=False),
)
def test_converting_the_amounts_of_a_day_one_by_one_or_summed_gives_the_same_total(
    amounts: list[Decimal], value: Decimal
) -> None:
    table = RateTable.__new__(RateTable)
    table.to_currency = "USD"
    table._days = {"AMD": [DAY]}
    table._rates = {"AMD": [ExchangeRate(on=DAY, rate=value)]}
    one_by_one = table.convert([("AMD", DAY, amount) for amount in amounts])
    summed = table.convert([("AMD", DAY, sum(amounts, D(0)))])
    assert one_by_one.amount == summed.amount


def test_the_donor_report_converts_each_loan_at_the_rate_of_its_disbursement(
    world: World,
) -> None:
    lending = build_lending(world)
    first = datetime.date(2025, 11, 15)
    second = datetime.date(2025, 12, 10)
    disbursed_loan(lending, lending.declining, amount="1000", on=first)
    disbursed_loan(lending, lending.declining, amount="500", on=second)
    rate(world, datetime.date(2025, 11, 1), "400")
    rate(world, datetime.date(2025, 12, 1), "390")
    report = donor_report(
        world.project, datetime.date(2025, 1, 1), timezone.localdate(), currency="AMD"
    )
    got = report.as_json()
    # 1,000 × 400 + 500 × 390
    assert got["amount_disbursed"] == "595000.00"
    assert got["amount_disbursed_by_currency"] == {"USD": "1500.00"}
    assert got["currency"] == "AMD"
    with pytest.raises(MissingRate) as missing:
        donor_report(world.project, datetime.date(2025, 1, 1), timezone.localdate(), currency="EUR")
    assert missing.value.details == {
        "from_currency": "USD",
        "to_currency": "EUR",
        "date": "2025-11-15",
    }


def test_the_rates_page_lists_and_records_for_those_allowed(world: World) -> None:
    rate(world, DAY, "400")
    actions.record_exchange_rate(
        world.admin, on=DAY, from_currency="USD", to_currency="EUR", rate="0.9", source="ECB"
    )
    client = Client()
    client.force_login(world.me_officer)
    page = client.get("/reports/exchange-rates/").content.decode()
    assert "Central Bank of Armenia" in page and "ECB" in page
    posted = client.post(
        "/reports/exchange-rates/",
        {
            "on": "2025-11-02",
            "from_currency": "USD",
            "to_currency": "AMD",
            "rate": "401.25",
            "source": "CBA",
        },
    )
    assert posted.status_code == 302
    assert ExchangeRate.objects.filter(on="2025-11-02", rate=D("401.25")).exists()
    again = client.post(
        "/reports/exchange-rates/",
        {"on": "2025-11-02", "from_currency": "USD", "to_currency": "AMD", "rate": "1",
         "source": "CBA"},
    )  # fmt: skip
    assert again.status_code == 200 and "already recorded" in again.content.decode()
    intake = Client()
    intake.force_login(world.intake_a)
    assert intake.get("/reports/exchange-rates/").status_code == 403
    other = Client()
    other.force_login(world.other_intake)
    assert other.get("/reports/exchange-rates/").status_code == 403
