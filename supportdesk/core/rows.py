"""Model objects from a hand-written ``SELECT``: the hot reads that run on every request skip the ORM's query
compilation (docs/performance.md, ingest) and still hand back ordinary model instances."""
from __future__ import annotations

from django.db import connection


class Columns:
    """Every concrete column of ``model`` under the table alias ``alias``, in the model's field order: ``sql`` is
    the select list; ``build(row, start)`` makes the instance from ``row[start:]`` (as ``Model.from_db`` does, with
    the fields' ``from_db_value`` converters) and returns it with the index of the next column."""

    def __init__(self, model, alias: str):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        quote = connection.ops.quote_name
        self.sql = ", ".join(f"{alias}.{quote(f.column)}" for f in self.fields)
        self.attnames = [f.attname for f in self.fields]
        self.converters = [(i, f.from_db_value) for i, f in enumerate(self.fields) if hasattr(f, "from_db_value")]

    def __len__(self) -> int:
        return len(self.fields)

    def build(self, row, start: int = 0):
        end = start + len(self.fields)
        values = list(row[start:end])
        if values[0] is None:  # the primary key: a LEFT JOIN that found nothing
            return None, end
        for i, convert in self.converters:
            if values[i] is not None:
                values[i] = convert(values[i], None, connection)
        return self.model.from_db(connection.alias, self.attnames, values), end


def fetch_built(sql: str, params, *columns: Columns):
    """Run ``sql`` (one row at most) and build a model instance per ``Columns`` from its leading columns, in order:
    ``(instances, the remaining values)``, or None when there is no row."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    instances, at = [], 0
    for cols in columns:
        instance, at = cols.build(row, at)
        instances.append(instance)
    return instances, row[at:]


def cache_related(obj, field_name: str, related) -> None:
    """What ``select_related`` leaves on ``obj``: the related object (or None) cached for ``obj.<field_name>``."""
    obj._meta.get_field(field_name).set_cached_value(obj, related)


def insert_all(objs: list) -> None:
    """``bulk_create`` of new rows of one model on PostgreSQL without the ORM's per-call compilation: one
    ``INSERT … VALUES … RETURNING id``, the values as Django prepares them (``pre_save`` for defaults and
    ``auto_now``, ``get_db_prep_save`` for JSON), the ids set on the objects in order. No signals, as
    ``bulk_create``. Elsewhere: ``bulk_create``."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs)
        return
    for obj in objs:  # a foreign key to an object saved since this one was built takes its id now
        obj._prepare_related_fields_for_save(operation_name="insert_all")
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    row = f"({', '.join(['%s'] * len(fields))})"
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES {', '.join([row] * len(objs))} RETURNING {quote(model._meta.pk.column)}")
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [r[0] for r in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
