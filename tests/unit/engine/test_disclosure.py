"""IRR, XIRR, APR and EIR solved in Decimal."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tandir.engine import (
    LoanTerms,
    Method,
    NoRateOfReturn,
    Product,
    build_schedule,
    cash_flows,
    dated_cash_flows,
    disclose,
    irr,
    xirr,
)


def test_irr_of_one_period_at_ten_percent() -> None:
    assert irr([Decimal(1000), Decimal(-1100)]).quantize(Decimal("0.000001")) == Decimal("0.1")


def test_irr_of_a_level_annuity_is_its_rate() -> None:
    # 1,000 repaid by 3 × 376.3477... at 5 %; rounded to the cent the IRR stays within 1e-5.
    flows = [Decimal(1000)] + [Decimal("-367.21")] * 3
    assert abs(irr(flows) - Decimal("0.05")) < Decimal("0.00001")


def test_irr_refuses_flows_that_never_change_sign() -> None:
    with pytest.raises(NoRateOfReturn):
        irr([Decimal(1), Decimal(2)])


def test_xirr_of_one_year_at_ten_percent() -> None:
    rate = xirr([(date(2025, 1, 1), Decimal(1000)), (date(2026, 1, 1), Decimal(-1100))])
    assert rate.quantize(Decimal("0.000001")) == Decimal("0.1")


def test_xirr_of_a_monthly_flat_loan_is_close_to_its_eir() -> None:
    product = Product(Method.FLAT, "USD", annual_rate_percent=Decimal(24))
    schedule = build_schedule(LoanTerms(product, Decimal(1000), 12, date(2026, 1, 15)))
    eir = disclose(schedule).eir
    # Months are not equal, so XIRR differs slightly from the per-period EIR.
    assert abs(xirr(dated_cash_flows(schedule)) - eir) < Decimal("0.01")


def test_cash_flows_start_with_what_the_client_receives() -> None:
    product = Product(Method.FLAT, "USD", annual_rate_percent=Decimal(24))
    schedule = build_schedule(LoanTerms(product, Decimal(1000), 2, date(2026, 1, 15)))
    assert cash_flows(schedule) == (Decimal("1000.00"), Decimal("-520.00"), Decimal("-520.00"))


def test_apr_is_the_period_rate_times_periods_and_eir_compounds_it() -> None:
    product = Product(Method.DECLINING, "USD", annual_rate_percent=Decimal(24))
    disclosure = disclose(build_schedule(LoanTerms(product, Decimal(1000), 12, date(2026, 1, 15))))
    assert disclosure.apr == disclosure.period_rate * 12
    assert disclosure.eir == (1 + disclosure.period_rate) ** 12 - 1
    assert disclosure.apr_percent == Decimal("24.00")
    assert disclosure.eir_percent == Decimal("26.82")
