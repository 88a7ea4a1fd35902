"""The audit chain: a hash on every case and custody event, computed for the rows already there, then
(PostgreSQL) triggers that refuse UPDATE, DELETE and TRUNCATE on both tables. See cases/core/audit.py."""

import itertools

from django.db import migrations, models

from cases.core import audit

# Run through schema_editor.execute, which passes parameters: a literal % is written %%.
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION patuh_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'Patuh: %% is append-only; %% refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'The audit trail is never changed; record a new event instead.';
END
$$;
"""
TRIGGERS = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION patuh_append_only();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION patuh_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
"""


def backfill(apps, schema_editor):
    """Chain the rows written before this migration, in id order, in bounded memory."""
    connection = schema_editor.connection
    for chain, name in ((audit.CASE_EVENTS, "CaseEvent"), (audit.CUSTODY_EVENTS, "CustodyEvent")):
        model = apps.get_model("cases", name)
        rows = ((pk, values) for pk, _stored, values in audit.stored_rows(chain, model))
        hashes = audit.backfill(chain, rows)
        if connection.vendor == "postgresql":
            # The rows are read in keyset pages between the COPYs (one statement at a time per connection).
            with connection.cursor() as cursor:
                cursor.execute("CREATE TEMP TABLE audit_backfill (id bigint PRIMARY KEY, hash text) ON COMMIT DROP")
                while chunk := list(itertools.islice(hashes, 50_000)):
                    with cursor.cursor.copy("COPY audit_backfill (id, hash) FROM STDIN") as copy:
                        copy.write("".join(f"{pk}\t{digest}\n" for pk, digest in chunk))
                cursor.execute(f"UPDATE {chain.table} t SET hash = b.hash FROM audit_backfill b WHERE b.id = t.id")
                cursor.execute("DROP TABLE audit_backfill")
        else:
            batch = []
            for pk, digest in hashes:
                batch.append(model(id=pk, hash=digest))
                if len(batch) >= 5000:
                    model.objects.bulk_update(batch, ["hash"])
                    batch = []
            model.objects.bulk_update(batch, ["hash"])


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(APPEND_ONLY)
    for chain in (audit.CASE_EVENTS, audit.CUSTODY_EVENTS):  # the chains of this migration's time
        schema_editor.execute(TRIGGERS.format(table=chain.table))


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for chain in (audit.CASE_EVENTS, audit.CUSTODY_EVENTS):  # the chains of this migration's time
        schema_editor.execute(DROP.format(table=chain.table))
    schema_editor.execute("DROP FUNCTION IF EXISTS patuh_append_only()")


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0007_accounts'),
    ]

    operations = [
        migrations.AddField(
            model_name='caseevent',
            name='hash',
            field=models.CharField(blank=True, editable=False, help_text="SHA-256 of the previous entry's hash and this entry: the audit chain (see cases/core/audit.py).", max_length=64, verbose_name='hash'),  # noqa: E501
        ),
        migrations.AddField(
            model_name='custodyevent',
            name='hash',
            field=models.CharField(blank=True, editable=False, help_text="SHA-256 of the previous entry's hash and this entry: the audit chain (see cases/core/audit.py).", max_length=64, verbose_name='hash'),  # noqa: E501
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
