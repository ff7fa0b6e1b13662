"""The settings Tandir's connections to PostgreSQL run with."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_statements_are_not_jit_compiled() -> None:
    # Compiling cost the reports and close of business up to 1.5 s a statement (docs/decisions.md).
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
