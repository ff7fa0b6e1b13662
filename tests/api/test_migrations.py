"""The API's data migrations treat rows made before them fairly."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import World

BEFORE_EXPIRY = ("api", "0003_idempotency_key")
WITH_EXPIRY = ("api", "0004_token_expiry_and_scope")


@pytest.mark.django_db(transaction=True)
def test_tokens_made_before_expiry_existed_keep_writing_for_one_lifetime_from_the_upgrade(
    world: World,
) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE_EXPIRY])
    old_token = executor.loader.project_state([BEFORE_EXPIRY]).apps.get_model("api", "ApiToken")
    made_long_ago = old_token.objects.create(
        user_id=world.intake_a.pk, name="tablet", token_hash="a" * 64
    )
    old_token.objects.filter(pk=made_long_ago.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=400)
    )

    executor = MigrationExecutor(connection)
    executor.migrate([WITH_EXPIRY])
    new_token = executor.loader.project_state([WITH_EXPIRY]).apps.get_model("api", "ApiToken")
    upgraded = new_token.objects.get(pk=made_long_ago.pk)
    assert upgraded.scope == "read_write"
    expected = timezone.now() + datetime.timedelta(days=90)
    assert abs(upgraded.expires_at - expected) < datetime.timedelta(minutes=1)

    # Back to the latest state, as every other test expects.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
