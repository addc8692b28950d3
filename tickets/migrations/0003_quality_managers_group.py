"""The group that makes a user a quality manager (tickets.permissions)."""

from django.db import migrations

GROUP = "quality_managers"  # tickets.permissions.QUALITY_MANAGERS_GROUP, frozen here


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_api_token"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
