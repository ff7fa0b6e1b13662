"""Each allocation line keeps the due date of the installment it paid.

Lines written before this step get it from their installment: the schedule version in force on
the payment's date (the loan's current one from the day it began, else the one it replaced),
as the reports matched them until now. A line whose installment cannot be found (none should
be) takes its payment's date, so it counts as paid on time rather than stopping the upgrade.
"""

from django.db import migrations, models

FILL = """
UPDATE lending_applicationline SET due_on = i.due_date
FROM lending_application a, lending_loan l, lending_installment i
WHERE a.id = lending_applicationline.application_id AND l.id = a.loan_id
  AND i.loan_id = a.loan_id AND i.number = lending_applicationline.number
  AND i.version = CASE WHEN l.schedule_from IS NULL OR a.applied_on >= l.schedule_from
    THEN l.schedule_version ELSE l.schedule_version - 1 END
"""
FALLBACK = """
UPDATE lending_applicationline SET due_on = (
  SELECT a.applied_on FROM lending_application a
  WHERE a.id = lending_applicationline.application_id
)
WHERE due_on IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("lending", "0007_installments_unrecognised"),
    ]

    operations = [
        migrations.AddField(
            model_name="applicationline",
            name="due_on",
            field=models.DateField(null=True),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.RunSQL(FALLBACK, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="applicationline",
            name="due_on",
            field=models.DateField(),
        ),
    ]
