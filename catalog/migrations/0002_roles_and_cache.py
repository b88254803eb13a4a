"""Creates the viewer and operator groups, and the database cache table."""

from django.core.management import call_command
from django.db import migrations


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ("viewer", "operator"):
        Group.objects.get_or_create(name=name)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["viewer", "operator"]).delete()


def create_cache_table(apps, schema_editor):
    # Login throttling and django-q2 cluster stats live in the cache; without Redis that is
    # the database cache, whose table migrate would not otherwise create.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(create_groups, remove_groups),
        migrations.RunPython(create_cache_table, migrations.RunPython.noop),
    ]
