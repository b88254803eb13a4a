import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0014_syncrun_kinds"),
    ]

    operations = [
        migrations.AddField(
            model_name="plexlibrary",
            name="verify_hours",
            field=models.PositiveIntegerField(
                default=24,
                help_text="Every item is re-read within this many hours, a slice per scan, to "
                          "catch file upgrades Plex did not stamp (0 turns it off).",
                validators=[django.core.validators.MaxValueValidator(8760)]),
        ),
    ]
