"""The demo's surveys: instruments in every programme, a baseline for most people who
consented, follow-ups for borrowers whose turn has come, consent respected, plausible answers."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Avg

from tandir.demo import loader
from tandir.demo.impact import load_impact
from tandir.demo.loader import HISTORY_ENDS, DemoSummary, load_demo
from tandir.impact.models import Answer, Instrument, Response
from tandir.impact.queries import add_months, coverage
from tandir.lending.models import Loan
from tandir.orgs.models import Organization
from tandir.registry.models import Consent

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: object) -> Iterator[DemoSummary]:
    # Only what the surveys follow is loaded (registry and lending); impact runs where the
    # loader will call it, after the other stages.
    with pytest.MonkeyPatch.context() as patch:
        for later in ("load_training", "load_plans", "load_associations", "load_events"):
            patch.setattr(f"tandir.demo.loader.{later}", lambda *args, **kwargs: None)
        if not hasattr(loader, "load_impact"):
            patch.setattr("tandir.demo.loader.load_jobs", load_impact)
        with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
            yield load_demo()
            transaction.set_rollback(True)


def _members() -> list[Organization]:
    return list(Organization.objects.filter(pk__in=Instrument.objects.values("organization")))


def test_every_programme_has_the_instruments_and_baselines(demo: DemoSummary) -> None:
    organizations = _members()
    assert len(organizations) == 3
    for organization in organizations:
        codes = set(
            Instrument.objects.filter(organization=organization).values_list("code", flat=True)
        )
        assert codes == {"baseline", "follow-up-6", "follow-up-12"}
        consented = Consent.objects.filter(
            organization=organization, withdrawn_on__isnull=True, programme_use=True
        ).count()
        baselines = Response.objects.filter(
            organization=organization, instrument__code="baseline"
        ).count()
        assert 0.75 * consented <= baselines <= 0.97 * consented, organization


def test_nobody_is_surveyed_without_consent(demo: DemoSummary) -> None:
    surveys = set(
        Consent.objects.filter(withdrawn_on__isnull=True, follow_up_surveys=True).values_list(
            "beneficiary_id", flat=True
        )
    )
    asked = set(
        Response.objects.filter(instrument__kind="follow_up").values_list(
            "beneficiary_id", flat=True
        )
    )
    assert asked and asked <= surveys
    programme = set(
        Consent.objects.filter(withdrawn_on__isnull=True, programme_use=True).values_list(
            "beneficiary_id", flat=True
        )
    )
    assert set(Response.objects.values_list("beneficiary_id", flat=True)) <= programme


def test_follow_ups_come_on_time_for_borrowers_and_most_answer(demo: DemoSummary) -> None:
    first_loans: dict[int, datetime.date] = {}
    for person, day in Loan.objects.filter(disbursed_on__isnull=False).values_list(
        "beneficiary_id", "disbursed_on"
    ):
        assert day is not None
        first_loans[person] = min(day, first_loans.get(person, day))
    for response in Response.objects.filter(instrument__kind="follow_up").select_related(
        "instrument"
    ):
        months = response.instrument.months_after or 0
        due = add_months(first_loans[response.beneficiary_id], months)
        assert due <= response.taken_on <= HISTORY_ENDS
    for organization in _members():
        six = Instrument.objects.get(organization=organization, code="follow-up-6")
        counted = coverage(organization.pk, six, datetime.date(2000, 1, 1), HISTORY_ENDS)
        assert counted.due > 0
        assert Decimal(65) <= (counted.response_rate_percent or 0) <= Decimal(97)


def test_answers_are_plausible(demo: DemoSummary) -> None:
    changes = list(Answer.objects.filter(code="income_change").values_list("text", flat=True))
    better = changes.count("better") / len(changes)
    assert 0.6 <= better <= 0.92
    assert "worse" in changes and "same" in changes
    for organization in _members():
        twelve = Response.objects.filter(
            organization=organization, instrument__code="follow-up-12"
        ).values("beneficiary_id")
        if not twelve.exists():
            continue

        def mean(code: str, organization=organization, twelve=twelve) -> Decimal:
            return Answer.objects.filter(
                organization=organization,
                response__instrument__code=code,
                response__beneficiary_id__in=twelve,
                code="household_income_monthly",
            ).aggregate(mean=Avg("number"))["mean"]

        assert mean("follow-up-12") > mean("baseline"), organization
