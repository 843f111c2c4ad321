"""Bulk inserts of many new rows (imports): PostgreSQL COPY, bulk_create elsewhere.

`bulk_create` compiles an INSERT with every value of every row through the field's
`get_db_prep_save`; for tens of thousands of rows that Python work costs more than the
database's. COPY streams the rows instead.

- `bulk_insert(model, objs)`: unsaved instances; their primary keys are taken from the
  table's sequence first, so they get their ids as with bulk_create; auto_now /
  auto_now_add fields are filled the same way.
- `bulk_insert_rows(model, rows)`: plain dicts of attribute values (`identity_id`, not
  `identity`) when nobody needs the instances back: no model instances at all; missing
  fields take their defaults, the database gives the ids.
- `InstanceFactory(model)`: builds many unsaved instances cheaply (see its docstring).

Values go to psycopg as they are (str, int, bool, date, datetime, UUID, None); JSON fields
are wrapped as jsonb. Models with other field classes (encrypted text, custom fields) fall
back to bulk_create.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


class InstanceFactory:
    """Builds unsaved instances from attribute values through positional arguments in field
    order, as `Model.from_db` does. Keyword arguments make Django try every field by name
    and fall back to its default, which costs about twice as much: it shows when an import
    builds several instances per row for a hundred thousand rows. Same instances either way;
    callable defaults (uuid4, dict) are called for each instance."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        fields = list(model._meta.concrete_fields)
        self.names = [f.name for f in fields]
        self.position = {f.attname: i for i, f in enumerate(fields)}
        self.template = [None if f.has_default() and callable(f.default) else f.get_default() for f in fields]
        self.factories = [(i, f.default) for i, f in enumerate(fields) if f.has_default() and callable(f.default)]

    def __call__(self, values: dict[str, Any]) -> Any:
        """values: attribute names (`identity_id`, not `identity`) → values."""
        args = self.template.copy()
        for i, factory in self.factories:
            args[i] = factory()
        position = self.position
        for attname, value in values.items():
            args[position[attname]] = value
        return self.model(*args)


def _copy_possible(model: type[models.Model], using: str) -> bool:
    fields = model._meta.concrete_fields
    return connections[using].vendor == "postgresql" and all(type(f) in SUPPORTED for f in fields)


def _copy(model: type[models.Model], fields: list[Any], rows: Any, using: str) -> None:
    """COPY `rows` (value lists in `fields` order) into the model's table."""
    from psycopg.types.json import Jsonb

    connection = connections[using]
    quote = connection.ops.quote_name
    json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    columns = ", ".join(quote(str(f.column)) for f in fields)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for values in rows:
            for i in json_at:
                values[i] = Jsonb(values[i])
            copy.write_row(values)


def bulk_insert(model: type[models.Model], objs: Sequence[models.Model], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Insert new objects (pk not set) and give them their primary keys."""
    if not objs:
        return
    if not _copy_possible(model, using):
        model._base_manager.using(using).bulk_create(objs)
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    now = timezone.now()
    stamped = [f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
            for name in stamped:
                setattr(obj, name, now)
    attnames = [f.attname for f in fields]
    _copy(model, fields, ([obj.__dict__[name] for name in attnames] for obj in objs), using)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using


def bulk_insert_returning(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, using: str = DEFAULT_DB_ALIAS
) -> list[int]:
    """Insert plain rows {attname: value} and return their new ids, in order, without
    building model instances on PostgreSQL (ids from the sequence, then COPY) — for the
    100,000-row writes of a bulk send. Missing fields take their defaults."""
    if not rows:
        return []
    if not _copy_possible(model, using):
        objs = [model(**row) for row in rows]
        model._base_manager.using(using).bulk_create(objs)
        return [obj.pk for obj in objs]
    meta = model._meta
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    fields = list(meta.concrete_fields)
    now = timezone.now()
    spec: list[tuple[str, Any, Any]] = []
    for f in fields:
        if f.primary_key:
            spec.append((f.attname, None, None))
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            spec.append((f.attname, None, now))
        elif f.has_default() and callable(f.default):
            spec.append((f.attname, f.default, None))
        else:
            spec.append((f.attname, None, f.get_default()))
    pk_name = meta.pk.attname
    values = (
        [
            pk if name == pk_name else (row[name] if name in row else (factory() if factory else default))
            for name, factory, default in spec
        ]
        for row, pk in zip(rows, ids, strict=True)
    )
    _copy(model, fields, values, using)
    return ids


def bulk_insert_rows(
    model: type[models.Model], rows: Sequence[dict[str, Any]], *, using: str = DEFAULT_DB_ALIAS
) -> None:
    """Insert plain rows {attname: value}; the database numbers them."""
    if not rows:
        return
    if not _copy_possible(model, using):
        model._base_manager.using(using).bulk_create([model(**row) for row in rows])
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    spec: list[tuple[str, Any, Any]] = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            spec.append((f.attname, None, now))
        elif f.has_default() and callable(f.default):
            spec.append((f.attname, f.default, None))
        else:
            spec.append((f.attname, None, f.get_default()))
    values = (
        [row[name] if name in row else (factory() if factory else default) for name, factory, default in spec]
        for row in rows
    )
    _copy(model, fields, values, using)
