"""Substring search on URLs and handles (the console's and the API's `q`) through trigram indexes.

PostgreSQL only: the admin's `icontains` becomes `UPPER(col) LIKE UPPER('%term%')`, which a GIN trigram
index on `UPPER(col)` answers without scanning millions of rows. SQLite keeps its plain scan.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "case_url_trgm": "location_url",
    "case_handle_trgm": "handle",
    "case_native_id_trgm": "native_id",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON cases_case USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_list_and_report_indexes")]

    operations = [TrigramExtension(), migrations.RunPython(create, drop)]
