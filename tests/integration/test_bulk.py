"""`tandir.core.bulk`: a large COPY leaves the table with fresh planner statistics."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tandir.core import bulk
from tandir.core.models import AccessLog
from tests.factories import World

pytestmark = pytest.mark.django_db


def reltuples(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return float(cursor.fetchone()[0])


def access_rows(world: World, count: int) -> list[dict[str, object]]:
    return [
        {
            "organization_id": world.org.pk,
            "user_id": world.intake_a.pk,
            "record_type": "beneficiary",
            "record_id": n,
            "channel": "web",
        }
        for n in range(count)
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics: PostgreSQL's")
def test_a_large_copy_is_followed_by_analyze(world: World) -> None:
    table = AccessLog._meta.db_table
    bulk.insert_rows(AccessLog, access_rows(world, bulk.ANALYZE_FROM - 1))
    before = reltuples(table)
    assert before < bulk.ANALYZE_FROM - 1  # never analysed yet: -1 (or 0 before PostgreSQL 14)
    bulk.insert_rows(AccessLog, access_rows(world, bulk.ANALYZE_FROM))
    assert reltuples(table) == AccessLog.objects.count() == 2 * bulk.ANALYZE_FROM - 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics: PostgreSQL's")
def test_inside_analyse_once_the_table_is_analysed_once_when_the_block_ends(world: World) -> None:
    table = AccessLog._meta.db_table
    half = bulk.ANALYZE_FROM // 2 + 1

    def analyses() -> list[str]:
        return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]

    with CaptureQueriesContext(connection) as queries:
        with bulk.analyse_once():
            bulk.insert_rows(AccessLog, access_rows(world, bulk.ANALYZE_FROM))
            bulk.insert_rows(AccessLog, access_rows(world, half))
            assert analyses() == []  # not yet
        # Alone the second COPY would not have been analysed; together they are, once.
        assert analyses() == [f'ANALYZE "{table}"']
    assert reltuples(table) == bulk.ANALYZE_FROM + half


@pytest.mark.skipif(connection.vendor != "postgresql", reason="planner statistics: PostgreSQL's")
def test_a_failed_block_analyses_nothing(world: World) -> None:
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(RuntimeError),
        bulk.analyse_once(),
    ):
        bulk.insert_rows(AccessLog, access_rows(world, bulk.ANALYZE_FROM))
        raise RuntimeError("the import was refused")
    assert not [q for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]


def test_the_rows_are_written_on_every_database(world: World) -> None:
    bulk.insert_rows(AccessLog, access_rows(world, 120))
    assert AccessLog.objects.filter(record_type="beneficiary").count() == 120
