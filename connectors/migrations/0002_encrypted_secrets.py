import encrypted_fields.fields
from django.db import migrations


def encrypt_stored(apps, schema_editor):
    """Secrets stored in clear before read as themselves (an undecryptable value is returned as
    it is) and are written back encrypted; empty ones become NULL."""
    Source = apps.get_model("connectors", "Source")
    for source in Source.objects.using(schema_editor.connection.alias).only(
        "signing_key", "api_token"
    ):
        source.save(update_fields=["signing_key", "api_token"])


class Migration(migrations.Migration):
    dependencies = [
        ("connectors", "0001_sources_payloads"),
    ]

    operations = [
        migrations.AlterField(
            model_name="source",
            name="api_token",
            field=encrypted_fields.fields.EncryptedTextField(
                blank=True, editable=False, null=True, verbose_name="API token"
            ),
        ),
        migrations.AlterField(
            model_name="source",
            name="signing_key",
            field=encrypted_fields.fields.EncryptedTextField(
                blank=True, editable=False, null=True, verbose_name="signing key"
            ),
        ),
        migrations.RunPython(encrypt_stored, migrations.RunPython.noop),
    ]
