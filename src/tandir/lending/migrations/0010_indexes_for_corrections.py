"""Indexes for close of business's corrections step: the payments recorded or reversed since
the last run, found without reading every repayment."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('lending', '0009_covering_indexes_for_repayment_rates'),
        ('orgs', '0003_alter_historicalstaffuser_role_alter_staffuser_role'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='repayment',
            index=models.Index(fields=['organization', 'created_at'], name='repayment_recorded'),
        ),
        migrations.AddIndex(
            model_name='repayment',
            index=models.Index(condition=models.Q(('reversed_at__isnull', False)), fields=['organization', 'reversed_at'], name='repayment_reversed'),
        ),
    ]
