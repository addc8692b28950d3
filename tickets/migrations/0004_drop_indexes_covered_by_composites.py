"""Drop the single-column indexes of three foreign keys that a composite index leads with.

Only the indexes go: Django's AlterField would also drop and re-add (and so re-check against
every row) the foreign keys themselves.
"""

import django.db.models.deletion
from django.db import migrations, models

# (table, column, index name as Django created it)
COVERED = [
    ("tickets_contact", "agent_id", "tickets_contact_agent_id_852cdb25"),
    ("tickets_contact", "customer_id", "tickets_contact_customer_id_dcfc34dc"),
    ("tickets_ticket", "customer_id", "tickets_ticket_customer_id_f2d9135a"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0003_quality_managers_group"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {index}",
                    reverse_sql=f"CREATE INDEX {index} ON {table} ({column})",
                )
                for table, column, index in COVERED
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="contact",
                    name="agent",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="tickets.agent",
                        verbose_name="agent",
                    ),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="tickets.customer",
                        verbose_name="customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="ticket",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="tickets.customer",
                        verbose_name="customer",
                    ),
                ),
            ],
        ),
    ]
