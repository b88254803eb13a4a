"""An index for the Rules page's "most common filter reasons" per rule.

Grouping 100,000 decisions by (rule, reason) among the filtered ones reads this index alone
instead of the table (about 80 ms -> 7 ms on SQLite). Raw SQL so that the Decision model,
owned by the Sonarr pipeline, needs no change; both SQLite and PostgreSQL accept it.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0012_loading"),
    ]

    operations = [
        migrations.RunSQL(
            sql="CREATE INDEX IF NOT EXISTS decision_rule_status_reason "
                "ON catalog_decision (rule_id, status, reason)",
            reverse_sql="DROP INDEX IF EXISTS decision_rule_status_reason",
        ),
    ]
