"""One field says "an operator added it": ``added_at``. ``operator_added`` (set by the admin's
old action) becomes ``added_at`` where that was empty, then goes."""

from django.db import migrations, models
from django.db.models import F


def forward(apps, schema_editor):
    # When the operator added it is unknown: its last write is the nearest fact we hold.
    Show = apps.get_model("catalog", "Show")
    Show.objects.filter(operator_added=True, added_at__isnull=True).update(
        added_at=F("updated_at"))


def backward(apps, schema_editor):
    Show = apps.get_model("catalog", "Show")
    Show.objects.filter(added_at__isnull=False).update(operator_added=True)


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0019_unique_orderings"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
        migrations.RemoveField(model_name="show", name="operator_added"),
        migrations.AlterField(
            model_name="show",
            name="added_at",
            field=models.DateTimeField(
                blank=True, help_text="When an operator added it to the library.", null=True),
        ),
        migrations.AddIndex(
            model_name="show",
            index=models.Index(condition=models.Q(("added_at__isnull", False)),
                               fields=["added_at"], name="show_operator_added"),
        ),
    ]
