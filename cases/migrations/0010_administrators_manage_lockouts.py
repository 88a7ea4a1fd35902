"""Administrators also get django-axes' permissions (read the failed attempts, lift a lockout early).

Re-runs the one role definition, `cases.core.roles.sync_role_groups`, so databases created before the change
catch up.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from cases.core.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_rollups"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
