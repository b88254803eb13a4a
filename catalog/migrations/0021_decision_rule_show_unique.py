"""Decisions are unique by (rule, show), rule first, so a refilter finds a chunk's decisions
as one range of the index on any planner; the rule's own index, a prefix of it, goes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0020_added_at_is_operator_added"),
    ]

    operations = [
        # the new unique index first: there is no moment without one
        migrations.AddConstraint(
            model_name="decision",
            constraint=models.UniqueConstraint(fields=("rule", "show"),
                                               name="decision_rule_show_unique"),
        ),
        migrations.RemoveConstraint(
            model_name="decision",
            name="decision_show_rule_unique",
        ),
        migrations.AlterField(
            model_name="decision",
            name="rule",
            field=models.ForeignKey(db_index=False,
                                    on_delete=django.db.models.deletion.CASCADE,
                                    related_name="decisions", to="catalog.discoveryrule"),
        ),
    ]
