"""Indexes for the lists of answers: by date whatever their kind, and a GIN index for the
full-text search of comments in French and English (PostgreSQL only: the expression is the one
kpis.drilldown.search queries with; SQLite has no text search).
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models

NAME = "response_comment_search"


def _index():
    vector = SearchVector("comment", config="french") + SearchVector("comment", config="english")
    return GinIndex(vector, name=NAME)


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("surveys", "Response"), _index())


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("surveys", "Response"), _index())


class Migration(migrations.Migration):
    dependencies = [("surveys", "0008_webhook_delivery_and_followup_alert_state")]

    operations = [
        migrations.AddIndex(
            model_name="response",
            index=models.Index(fields=["responded_at"], name="response_responded_at"),
        ),
        migrations.RunPython(add, remove),
    ]
