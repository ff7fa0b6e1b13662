# Tokens expire and carry a scope.

import datetime
import os

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def expire_one_lifetime_from_now(apps, schema_editor):
    """Tokens made before tokens expired work for one more lifetime from the upgrade, so no
    client stops on the day of the upgrade; they keep the writing they could always do."""
    days = getattr(settings, "TANDIR_API_TOKEN_DAYS", None) or os.environ.get(
        "TANDIR_API_TOKEN_DAYS", 90
    )
    ApiToken = apps.get_model("api", "ApiToken")
    expires_at = timezone.now() + datetime.timedelta(days=int(days))
    ApiToken.objects.filter(expires_at=None).update(expires_at=expires_at)


class Migration(migrations.Migration):

    dependencies = [
        ("api", "0003_idempotency_key"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="apitoken",
            options={"verbose_name": "API token", "verbose_name_plural": "API tokens"},
        ),
        migrations.AddField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[("read", "Read"), ("read_write", "Read and write")],
                default="read_write",
                max_length=20,
                verbose_name="scope",
            ),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="scope",
            field=models.CharField(
                choices=[("read", "Read"), ("read_write", "Read and write")],
                default="read",
                max_length=20,
                verbose_name="scope",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="expires at"),
        ),
        migrations.RunPython(expire_one_lifetime_from_now, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="expires at"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created at"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="last_used_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last used at"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="name",
            field=models.CharField(blank=True, max_length=100, verbose_name="name"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="revoked at"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="user",
            field=models.ForeignKey(
                on_delete=models.deletion.CASCADE,
                related_name="api_tokens",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
    ]
