"""Media items keep half of each PostgreSQL page free.

Every scan rewrites the seen time of every item it sees, and PostgreSQL writes an updated
row as a new version. With full pages that version goes to another page and every one of
the table's indexes gets a new entry for it: an unchanged re-scan of 100,000 episodes wrote
100,000 rows and 600,000 index entries. With room on the same page (and no indexed column
changed: ``last_seen_at`` has no index for this reason) the update is a heap-only tuple:
one row on the same page, no index entry. A scan's update of a whole page needs as much
room as the page holds, hence half. Existing rows move to such pages the first time a scan
rewrites them. SQLite rewrites rows in place and has no such setting.
"""

from django.db import migrations


def _set(fillfactor: int | None):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(apps.get_model("catalog", "MediaItem")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {fillfactor})"
                              if fillfactor else f"ALTER TABLE {table} RESET (fillfactor)")
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0027_no_prefix_indexes"),
    ]

    operations = [
        migrations.RunPython(_set(50), _set(None), elidable=False),
    ]
