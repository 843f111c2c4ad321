"""Bulk inserts of many new rows (imports): PostgreSQL COPY, bulk_create elsewhere.

`bulk_create` compiles an INSERT with every value of every row through the field's
`get_db_prep_save`; for tens of thousands of rows that Python work costs more than the
database's. COPY streams the rows instead. Primary keys are taken from the table's
sequence first, so the objects get their ids as with bulk_create, and auto_now /
auto_now_add fields are filled the same way.

Values go to psycopg as they are (str, int, bool, date, datetime, UUID, None); JSON
fields are wrapped as jsonb. Fields needing other conversions (encrypted text, custom
field classes) are not supported: use bulk_create for such models.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.utils import timezone

SUPPORTED = (
    models.AutoField,
    models.BigAutoField,
    models.BigIntegerField,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.BooleanField,
    models.CharField,
    models.TextField,
    models.DateField,
    models.DateTimeField,
    models.UUIDField,
    models.JSONField,
    models.ForeignKey,
)


def bulk_insert(model: type[models.Model], objs: Sequence[models.Model], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Insert new objects (pk not set) and give them their primary keys."""
    if not objs:
        return
    connection = connections[using]
    fields = list(model._meta.concrete_fields)
    if connection.vendor != "postgresql" or not all(type(f) in SUPPORTED for f in fields):
        model._base_manager.using(using).bulk_create(objs)
        return
    from psycopg.types.json import Jsonb

    meta = model._meta
    quote = connection.ops.quote_name
    now = timezone.now()
    stamped = [f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    attnames = [f.attname for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
            for name in stamped:
                setattr(obj, name, now)
        columns = ", ".join(quote(str(f.column)) for f in fields)
        statement = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        with cursor.cursor.copy(statement) as copy:
            for obj in objs:
                values = obj.__dict__
                copy.write_row([Jsonb(values[name]) if name in json_fields else values[name] for name in attnames])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
