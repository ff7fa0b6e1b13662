"""/api/v1/network: a network's consolidated figures, for its analyst (right SEE_NETWORK).

The answer is read from `NetworkFigure` only, the anonymised aggregates the members published:
member organisations by name, indicators by date, disaggregation and category, suppressed
cells with neither value nor count. No field of it names or points at a person.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from tandir.api.schemas import NO_NUL, ErrorOut, IsoDate
from tandir.reports.network import (
    DEFINITIONS,
    FIGURE_COLUMNS,
    LABELS,
    THRESHOLD,
    analyst_network,
    visible_figures,
)

router = Router(tags=["network"])

MAX_ROWS = 20000
Decimal4 = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$")]


class NetworkFilters(Schema):
    as_of: IsoDate | None = Field(None, description="Only the figures published for this date.")
    indicator: str = Field("", max_length=60, pattern=NO_NUL, description="Indicator code.")
    dimension: str = Field(
        "",
        max_length=30,
        pattern=NO_NUL,
        description="Disaggregation: `total` or one of sex, sector, product, target_group; "
        "empty for all.",
    )


class IndicatorOut(Schema):
    code: str
    label: str
    definition: str


class FigureOut(Schema):
    member: str = Field(description="The member organisation's name.")
    as_of: datetime.date
    indicator: str
    dimension: str = Field(description="Empty for the total.")
    category: str
    currency: str = Field(description="Empty for counts of people.")
    value: Decimal4 | None = Field(description="Null when suppressed.")
    people: int | None = Field(description="People behind the figure; null when suppressed.")
    suppressed: bool


class NetworkOut(Schema):
    network: str
    members: list[str]
    dates: list[datetime.date]
    suppression_threshold: int
    indicators: list[IndicatorOut]
    figures: list[FigureOut]
    truncated: bool = Field(description="True when more figures matched than one answer holds.")


def _text(value: Any) -> str | None:
    return None if value is None else format(value.normalize(), "f")


@router.get(
    "/figures",
    response={200: NetworkOut, **dict.fromkeys((401, 403, 404, 422), ErrorOut)},
    operation_id="getNetworkFigures",
    summary="The network's anonymised member figures",
)
def network_figures(request: HttpRequest, filters: Query[NetworkFilters]) -> dict[str, Any]:
    """The figures your network's members published, filtered by date, indicator and
    disaggregation; members that stopped sharing are absent. 403 without SEE_NETWORK."""
    user = request.auth  # type: ignore[attr-defined]
    network = analyst_network(user)
    figures = visible_figures(network)
    dates = sorted(set(figures.values_list("as_of", flat=True).distinct()))
    if filters.as_of:
        figures = figures.filter(as_of=filters.as_of)
    if filters.indicator:
        figures = figures.filter(indicator=filters.indicator)
    if filters.dimension:
        dimension = "" if filters.dimension == "total" else filters.dimension
        figures = figures.filter(dimension=dimension)
    rows = list(
        figures.order_by(
            "as_of", "organization__name", "indicator", "dimension", "category"
        ).values(*FIGURE_COLUMNS)[: MAX_ROWS + 1]
    )
    truncated = len(rows) > MAX_ROWS
    rows = rows[:MAX_ROWS]
    return {
        "network": network.name,
        "members": sorted({row["organization__name"] for row in rows}),
        "dates": dates,
        "suppression_threshold": THRESHOLD,
        "indicators": [
            {"code": code, "label": str(label), "definition": str(DEFINITIONS[code])}
            for code, label in LABELS.items()
        ],
        "figures": [
            {
                "member": row["organization__name"],
                "as_of": row["as_of"],
                "indicator": row["indicator"],
                "dimension": row["dimension"],
                "category": row["category"],
                "currency": row["currency"],
                "value": _text(row["value"]),
                "people": row["people"],
                "suppressed": row["suppressed"],
            }
            for row in rows
        ],
        "truncated": truncated,
    }
