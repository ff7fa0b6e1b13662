"""The demo's exchange rates: every day from a member's project start to the end of the
history has a rate into USD, so the member's donor report converts (tandir.demo.reports, called
by the demo loader)."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from tandir.demo.loader import Programme
from tandir.demo.reports import load_reports
from tandir.orgs.models import Role
from tandir.reports.exchange import RateTable
from tandir.reports.models import ExchangeRate
from tests.factories import World, make_user

D = Decimal


def test_the_demo_rates_cover_the_armenian_project_in_usd(world: World) -> None:
    accountant = make_user(world.org, Role.ACCOUNTANT, [], "am.accountant")
    programme = Programme(
        organization=world.org,
        branches=[],
        staff={"am.accountant": accountant},
        prefix="am",
        project=world.project,
        stage_weights=(),
    )
    as_of = datetime.date(2026, 10, 31)
    summary = load_reports(random.Random(7), [programme], as_of=as_of)
    # From the project's start (January 2026) to October 2026, no loan before it: ten months.
    assert summary.rates == 10 == ExchangeRate.objects.count()
    assert summary.line == "exchange rates: 10 (AMD → USD, monthly from 2026-01-01)"
    # About 392 drams to the dollar, within the stated drift, with the source named.
    for rate, source in ExchangeRate.objects.values_list("rate", "source"):
        assert D(1) / D(399) <= rate <= D(1) / D(385)
        assert "Central Bank of Armenia" in source
    table = RateTable(world.org.pk, "USD")
    day = world.project.starts_on
    while day <= as_of:
        assert table.rate_on("AMD", day) is not None
        day += datetime.timedelta(days=1)
