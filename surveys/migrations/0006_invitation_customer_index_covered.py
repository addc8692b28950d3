"""Drop the invitations' customer_id index: (customer_id, created_at) leads with it.

Only the index goes: Django's AlterField would also drop and re-add (and so re-check against
every row) the foreign key itself.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "surveys_invitation_customer_id_070370bb"


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0005_invitation_due_to_send_index"),
        ("tickets", "0004_drop_indexes_covered_by_composites"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    reverse_sql=f"CREATE INDEX {INDEX} ON surveys_invitation (customer_id)",
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="invitation",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="invitations",
                        to="tickets.customer",
                        verbose_name="customer",
                    ),
                ),
            ],
        ),
    ]
