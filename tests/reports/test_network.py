"""Network consolidation: what a member publishes (suppressed where small), what the network
analyst sees of it on the page, in the XLSX and through the API, and who may see what."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from tandir.api.main import api
from tandir.core.errors import NotAllowed, NotFound, TandirError
from tandir.orgs.models import Role
from tandir.reports.actions import publish_network_figures, set_network_sharing
from tandir.reports.models import NetworkFigure
from tandir.reports.network import THRESHOLD, Cell, suppress
from tests.api.conftest import ApiClient, token_for
from tests.factories import PASSWORD, World, make_user
from tests.reports.test_network_helpers import (
    DECEMBER_END,
    IDENTIFYING_FIELDS,
    JANUARY_END,
    NOVEMBER_END,
    Portfolio,
    build_portfolio,
)

D = Decimal


@pytest.fixture
def portfolio(world: World) -> Portfolio:
    return build_portfolio(world)


def figure(org: Any, indicator: str, dimension: str = "", category: str = "", **more: Any):
    return NetworkFigure.objects.get(
        organization=org,
        network__name="Network",
        as_of=more.pop("as_of", JANUARY_END),
        indicator=indicator,
        dimension=dimension,
        category=category,
        **more,
    )


def logged_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def api_client(user: Any) -> ApiClient:
    # Through JSON, as clients read the document (status codes become strings).
    return ApiClient(json.loads(json.dumps(api.get_openapi_schema())), token_for(user))


def publish_all(p: Portfolio) -> None:
    for day in (NOVEMBER_END, DECEMBER_END, JANUARY_END):
        publish_network_figures(p.world.me_officer, p.world.org, as_of=day)
    publish_network_figures(p.other_me, p.world.other_org, as_of=JANUARY_END)


def assert_nothing_identifying(text: str, p: Portfolio) -> None:
    for value in p.identifying:
        assert value not in text, value


def keys_of(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


# --- What a member publishes ----------------------------------------------------------------


def test_the_totals_are_published_with_the_people_behind_them(portfolio: Portfolio) -> None:
    world = portfolio.world
    written = publish_network_figures(world.me_officer, world.org, as_of=JANUARY_END)
    assert written == NetworkFigure.objects.filter(organization=world.org).count() > 0
    # Nothing repaid: 7 loans of 1,000 and one of 2,000 outstanding, all 47 days late.
    glp = figure(world.org, "gross_loan_portfolio", currency="USD")
    assert (glp.value, glp.people, glp.suppressed) == (D("9000"), 8, False)
    assert figure(world.org, "active_loans", currency="USD").value == 8
    assert figure(world.org, "par30", currency="USD").value == D("100.00")
    assert figure(world.org, "par90", currency="USD").value == D("0.00")
    assert figure(world.org, "cumulative_repayment_rate", currency="USD").value == D("0.00")
    # Nine registered on 1 October 2025 (the factory's own registrant has no loan).
    assert figure(world.org, "registered").value == 9
    assert figure(world.org, "borrowers").value == 8
    assert figure(world.org, "trained").value == 0  # zero rests on no one: published


def test_cells_of_fewer_than_five_people_are_suppressed_with_their_complement(
    portfolio: Portfolio,
) -> None:
    world = portfolio.world
    publish_network_figures(world.me_officer, world.org, as_of=JANUARY_END)
    # Two men: suppressed; the six women would be the total minus the men, so hidden too.
    men = figure(world.org, "gross_loan_portfolio", "sex", "male", currency="USD")
    women = figure(world.org, "gross_loan_portfolio", "sex", "female", currency="USD")
    for hidden in (men, women):
        assert (hidden.suppressed, hidden.value, hidden.people) == (True, None, None)
    # One loan in the flat product; the declining one is within four people of the total.
    assert figure(world.org, "active_loans", "product", "flat", currency="USD").suppressed
    assert figure(world.org, "active_loans", "product", "declining", currency="USD").suppressed
    # Everyone's loan is for crafts: the sector equals the total, which hides no one.
    crafts = figure(world.org, "gross_loan_portfolio", "sector", "crafts", currency="USD")
    assert (crafts.suppressed, crafts.value) == (False, D("9000"))
    # Registered: 7 women, 2 men, both hidden, and the women's total with them.
    assert figure(world.org, "registered", "sex", "male").suppressed
    assert figure(world.org, "registered", "sex", "female").suppressed
    assert figure(world.org, "women").suppressed
    # Every stored figure hidden or resting on no one or on five people at least.
    for row in NetworkFigure.objects.filter(organization=world.org):
        assert row.suppressed or (row.people or 0) == 0 or (row.people or 0) >= THRESHOLD
        assert not row.suppressed or (row.value is None and row.people is None)


def test_protected_target_groups_never_leave_the_member(portfolio: Portfolio) -> None:
    from tandir.cob import actions as cob
    from tandir.core.models import TargetGroup
    from tandir.registry.models import BeneficiaryTargetGroup

    world = portfolio.world
    protected = TargetGroup.objects.filter(is_protected=True).first()
    shared = (
        TargetGroup.objects.filter(is_protected=False)
        .exclude(code__in=TargetGroup.DERIVED_CODES)
        .first()
    )
    assert protected is not None and shared is not None, "the seeded target groups"
    BeneficiaryTargetGroup.objects.bulk_create(
        [
            BeneficiaryTargetGroup(beneficiary=p, targetgroup=group, organization=world.org)
            for p in portfolio.women + portfolio.men
            for group in (protected, shared)
        ]
    )
    cob.refresh_snapshots(
        portfolio.lending.accountant,
        world.org,
        [loan.pk for loan in portfolio.loans],
        from_date=JANUARY_END,
    )
    publish_network_figures(world.me_officer, world.org, as_of=JANUARY_END)
    categories = set(
        NetworkFigure.objects.filter(dimension="target_group").values_list("category", flat=True)
    )
    assert categories == {shared.code}
    in_group = figure(world.org, "active_borrowers", "target_group", shared.code, currency="USD")
    assert (in_group.value, in_group.suppressed) == (8, False)
    assert figure(world.org, "borrowers", "target_group", shared.code).value == 8


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=6),
    st.lists(st.integers(min_value=0, max_value=12), min_size=0, max_size=4),
)
def test_no_small_cell_can_be_recovered_by_subtraction(sexes: list[int], groups: list[int]):
    total = sum(sexes)
    cells = [Cell("registered", "", "", "", D(total), total)]
    cells += [Cell("registered", "sex", f"s{i}", "", D(n), n) for i, n in enumerate(sexes) if n > 0]
    cells += [
        Cell("registered", "target_group", f"g{i}", "", D(min(n, total)), min(n, total))
        for i, n in enumerate(groups)
        if min(n, total) > 0
    ]
    shown = suppress(cells)
    hidden = [c for c in shown if c.suppressed]
    if 0 < total < THRESHOLD:
        assert len(hidden) == len(shown)
        return
    for cell in shown:
        if not cell.suppressed:
            assert cell.people == 0 or cell.people >= THRESHOLD
            if cell.dimension:
                assert not 0 < total - cell.people < THRESHOLD
    hidden_sexes = [c.people for c in hidden if c.dimension == "sex"]
    # Never exactly one hidden category of a split, and the hidden ones together are no
    # small group either.
    assert len(hidden_sexes) != 1
    assert not hidden_sexes or sum(hidden_sexes) >= THRESHOLD


def test_only_the_member_s_sharing_staff_publish(portfolio: Portfolio) -> None:
    world = portfolio.world
    with pytest.raises(NotAllowed):
        publish_network_figures(world.loan_officer_a, world.org, as_of=JANUARY_END)
    with pytest.raises(NotAllowed):
        publish_network_figures(world.analyst, world.org, as_of=JANUARY_END)
    with pytest.raises(NotFound):
        publish_network_figures(world.me_officer, world.other_org, as_of=JANUARY_END)
    with pytest.raises(TandirError):
        publish_network_figures(
            world.me_officer, world.org, as_of=timezone.localdate() + datetime.timedelta(days=2)
        )
    assert not NetworkFigure.objects.exists()


def test_publishing_a_date_again_replaces_its_figures(portfolio: Portfolio) -> None:
    world = portfolio.world
    first = publish_network_figures(world.me_officer, world.org, as_of=JANUARY_END)
    again = publish_network_figures(world.me_officer, world.org, as_of=JANUARY_END)
    assert first == again == NetworkFigure.objects.count()


# --- Exclusion ------------------------------------------------------------------------------


def test_an_excluded_member_withdraws_its_figures_and_publishes_no_more(
    portfolio: Portfolio,
) -> None:
    world = portfolio.world
    publish_all(portfolio)
    network = world.org.networks.get(name="Network")
    with pytest.raises(TandirError):
        set_network_sharing(world.me_officer, world.org, network, excluded=True, reason=" ")
    set_network_sharing(world.me_officer, world.org, network, excluded=True, reason="Board")
    assert not NetworkFigure.objects.filter(organization=world.org).exists()
    assert publish_network_figures(world.me_officer, world.org, as_of=JANUARY_END) == 0
    page = logged_in(world.analyst).get(reverse("reports:network")).content.decode()
    assert "Org Y" in page and "Org X" not in page
    body = api_client(world.analyst).get("network/figures")
    assert {f["member"] for f in body.json()["figures"]} == {"Org Y"}
    set_network_sharing(world.me_officer, world.org, network, excluded=False)
    assert publish_network_figures(world.me_officer, world.org, as_of=JANUARY_END) > 0


# --- What the analyst sees ------------------------------------------------------------------


def test_the_analyst_sees_members_side_by_side_with_trends_and_nothing_personal(
    portfolio: Portfolio, django_assert_num_queries: Any
) -> None:
    world = portfolio.world
    publish_all(portfolio)
    client = logged_in(world.analyst)
    client.get(reverse("reports:network"))  # the session, warmed
    # The session and its user, the network, the published dates, the totals of every date.
    with django_assert_num_queries(5):
        response = client.get(reverse("reports:network"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Org X" in page and "Org Y" in page
    assert page.count("<polyline") >= 1  # Org X's trend over its three dates
    assert 'data-indicator="par30"' in page
    assert_nothing_identifying(page, portfolio)
    by_sex = client.get(reverse("reports:network"), {"dimension": "sex"}).content.decode()
    assert "suppressed" in by_sex
    assert_nothing_identifying(by_sex, portfolio)


def test_the_xlsx_export_holds_the_figures_and_nothing_personal(portfolio: Portfolio) -> None:
    world = portfolio.world
    publish_all(portfolio)
    response = logged_in(world.analyst).get(reverse("reports:network_export"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    assert header[:3] == ["Member", "Date", "Indicator"]
    assert not {h.lower().replace(" ", "_") for h in header} & IDENTIFYING_FIELDS
    assert len(rows) - 1 == NetworkFigure.objects.filter(network__name="Network").count()
    assert sheet["A1"].font.bold
    text = "\n".join(
        str(cell)
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
        for cell in row
    )
    assert_nothing_identifying(text, portfolio)
    suppressed = [r for r in rows[1:] if r[8] == "yes"]
    assert suppressed and all(r[6] == "suppressed" and r[7] is None for r in suppressed)
    glp = next(
        r
        for r in rows[1:]
        if r[0] == "Org X" and r[2] == "Gross loan portfolio" and r[3] == "Total"
    )
    assert glp[6] == 9000 and glp[7] == 8


def test_the_api_answers_the_same_figures_and_nothing_personal(portfolio: Portfolio) -> None:
    world = portfolio.world
    publish_all(portfolio)
    client = api_client(world.analyst)
    response = client.get("network/figures", as_of=JANUARY_END.isoformat())
    assert response.status_code == 200
    body = response.json()
    assert body["members"] == ["Org X", "Org Y"]
    assert body["dates"] == [d.isoformat() for d in (NOVEMBER_END, DECEMBER_END, JANUARY_END)]
    assert not keys_of(body) & IDENTIFYING_FIELDS
    assert_nothing_identifying(json.dumps(body), portfolio)
    glp = next(
        f
        for f in body["figures"]
        if f["member"] == "Org X"
        and f["indicator"] == "gross_loan_portfolio"
        and not f["dimension"]
    )
    assert (glp["value"], glp["people"], glp["currency"]) == ("9000", 8, "USD")
    hidden = [f for f in body["figures"] if f["suppressed"]]
    assert hidden and all(f["value"] is None and f["people"] is None for f in hidden)
    only_sex = client.get("network/figures", dimension="sex").json()["figures"]
    assert only_sex and {f["dimension"] for f in only_sex} == {"sex"}


def test_other_networks_figures_stay_in_their_network(portfolio: Portfolio) -> None:
    world = portfolio.world
    publish_all(portfolio)
    # Org Y belongs to both networks; Org X to the first only.
    other = api_client(portfolio.other_analyst)
    body = other.get("network/figures").json()
    assert body["network"] == "Other Network" and body["members"] == ["Org Y"]
    assert (
        len(body["figures"])
        == NetworkFigure.objects.filter(network=portfolio.other_network).count()
    )
    page = logged_in(portfolio.other_analyst).get(reverse("reports:network")).content.decode()
    assert "Org Y" in page and "Org X" not in page
    mine = api_client(world.analyst).get("network/figures")
    assert (
        len(mine.json()["figures"]) == NetworkFigure.objects.filter(network__name="Network").count()
    )


def test_a_member_s_staff_cannot_see_the_network(portfolio: Portfolio) -> None:
    world = portfolio.world
    publish_all(portfolio)
    for user in (world.me_officer, world.manager_a, world.loan_officer_a):
        assert logged_in(user).get(reverse("reports:network")).status_code == 403
        assert logged_in(user).get(reverse("reports:network_export")).status_code == 403
        assert api_client(user).get("network/figures").status_code == 403
    # An administrator holds every right, but of a member, not of the network.
    assert logged_in(world.admin).get(reverse("reports:network")).status_code == 404
    assert api_client(world.admin).get("network/figures").status_code == 404


# --- The member's page and the command ------------------------------------------------------


def test_the_member_publishes_and_stops_sharing_from_its_page(portfolio: Portfolio) -> None:
    world = portfolio.world
    client = logged_in(world.me_officer)
    url = reverse("reports:network_sharing")
    assert client.get(url).status_code == 200
    client.post(url, {"do": "publish", "as_of": JANUARY_END.isoformat()})
    assert NetworkFigure.objects.filter(organization=world.org).exists()
    network = world.org.networks.get()
    client.post(url, {"do": "exclude", "network": network.pk, "reason": "Board decision"})
    assert not NetworkFigure.objects.filter(organization=world.org).exists()
    assert "Board decision" in client.get(url).content.decode()
    assert logged_in(world.loan_officer_a).get(url).status_code == 403


def test_the_command_publishes_a_member_to_a_network(portfolio: Portfolio) -> None:
    world = portfolio.world
    out = io.StringIO()
    call_command(
        "report", "network", "--network", "network", "--as-of", JANUARY_END.isoformat(),
        "--organization", "Org X", "--as", world.me_officer.username, stdout=out,
    )  # fmt: skip
    assert "Org X:" in out.getvalue()
    assert NetworkFigure.objects.filter(organization=world.org, as_of=JANUARY_END).exists()
    with pytest.raises(CommandError):
        call_command(
            "report", "network", "--network", "Network", "--as-of", JANUARY_END.isoformat(),
            "--organization", "Org Y", "--as", world.me_officer.username,
        )  # fmt: skip
    with pytest.raises(CommandError):
        call_command("report", "network", "--network", "Nowhere", "--as-of", "2026-01-31")
    make_user(world.org, Role.LOAN_OFFICER, [], "clerk")
    with pytest.raises(CommandError):
        call_command(
            "report", "network", "--network", "Network", "--as-of", "2026-01-31",
            "--organization", "Org X", "--as", "clerk",
        )  # fmt: skip


def test_the_demo_publishes_past_month_ends_and_the_last_closed_date(portfolio: Portfolio) -> None:
    from tandir.demo.network import load_network

    world = portfolio.world
    assert load_network(network_name="Network", months=2) > 0
    days = set(NetworkFigure.objects.filter(organization=world.org).values_list("as_of", flat=True))
    assert days == {NOVEMBER_END, DECEMBER_END, JANUARY_END}
    # Org Y closed no business date: its figures are of yesterday and the month-ends before.
    assert NetworkFigure.objects.filter(organization=world.other_org).values("as_of").distinct()
    assert load_network(network_name="No such network") == 0
