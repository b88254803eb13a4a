"""No index that is a prefix of another: every row written pays for each index, and the
longer one serves every lookup of the shorter. On decisions, (rule, status) was a prefix of
the (rule, status, reason) index that migration 0013 created in SQL, which becomes the model's
own; three foreign keys lead a unique index of their table."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0026_decision_claimed_partial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="decision", name="decision_rule_status"),
        migrations.SeparateDatabaseAndState(
            # SQLite lost the SQL index when migration 0021 rebuilt the table from the
            # model's state, which never had it: created where it is missing.
            database_operations=[
                migrations.RunSQL(
                    sql="CREATE INDEX IF NOT EXISTS decision_rule_status_reason "
                        "ON catalog_decision (rule_id, status, reason)",
                    reverse_sql=migrations.RunSQL.noop,
                ),
            ],
            state_operations=[
                migrations.AddIndex(
                    model_name="decision",
                    index=models.Index(fields=["rule", "status", "reason"],
                                       name="decision_rule_status_reason"),
                ),
            ],
        ),
        migrations.AlterField(
            model_name='episode',
            name='show',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='episodes', to='catalog.show'),
        ),
        migrations.AlterField(
            model_name='pathmapping',
            name='server',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='path_mappings', to='catalog.plexserver'),
        ),
        migrations.AlterField(
            model_name='plexlibrary',
            name='server',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='libraries', to='catalog.plexserver'),
        ),
    ]
