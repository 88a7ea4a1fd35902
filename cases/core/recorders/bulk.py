"""Inserting many new rows at once, for any model: the one generic bulk writer (COPY on PostgreSQL).

It knows no service and no lifecycle: bulk intake, the workflow's bulk submission, notifications and webhook
receipts all call it.
"""

from collections.abc import Sequence

from django.db import connection

from cases.core import audit


def insert_many(model, objs: Sequence, *, with_ids: bool = False) -> None:
    """Insert new rows at bulk-intake volume: COPY on PostgreSQL, `bulk_create` elsewhere.

    Why: building one multi-row INSERT with client-side parameter binding costs more than the database's
    own work; COPY streams the same values in bulk. `objs` are unsaved instances or dicts of attribute
    values (dicts skip building model instances nobody reads). With `with_ids`, instances get their ids
    first (from the table's sequence), as `bulk_create` would set them. The rows must be new: COPY cannot
    skip a conflict; a unique violation raises IntegrityError like an INSERT. Rows of an audited table
    (case and custody events) are sealed into the audit chain first, which gives them their ids.
    """
    if not objs:
        return
    meta = model._meta
    chained = audit.chain_for(model) is not None
    if chained:
        audit.seal(model, objs)  # ids and hashes, under the chain's lock (the audit trail's one writer)
    if connection.vendor != "postgresql":
        model.objects.bulk_create([o if isinstance(o, model) else model(**o) for o in objs], batch_size=1000)
        return
    fields = [f for f in meta.concrete_fields if with_ids or chained or not f.primary_key]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if with_ids and not chained:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [meta.db_table, meta.pk.column, len(objs)])
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
        # JSON needs its adapter; psycopg adapts every other value (str, int, bool, Decimal, datetime, None).
        prep = [(f.attname, f.get_default(),
                 (lambda v, f=f: f.get_db_prep_save(v, connection)) if f.get_internal_type() == "JSONField" else None)
                for f in fields]
        sql = f"COPY {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:  # psycopg errors → Django's
            for obj in objs:
                values = obj if isinstance(obj, dict) else obj.__dict__
                row = []
                for attname, default, adapt in prep:
                    value = values.get(attname, default)
                    row.append(adapt(value) if adapt is not None else value)
                copy.write_row(row)
    if with_ids:
        for obj in objs:
            obj._state.adding = False
            obj._state.db = "default"
