"""Model objects from a hand-written ``SELECT``: the hot reads that run on every request skip the ORM's query
compilation (docs/performance.md, ingest) and still hand back ordinary model instances."""
from __future__ import annotations

import functools

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections


def _db():
    """The default connection itself: ``django.db.connection`` is a proxy that looks it up on every attribute
    access (a context-local read), which a hot path pays per field and per row."""
    return connections[DEFAULT_DB_ALIAS]


def hot_cursor():
    """A cursor for the statements every alarm and API request runs (the hand-written reads and inserts here and in
    the ingest, notification and token paths). On PostgreSQL with ``DATABASE_PREPARED`` (the default) its parameters
    are bound by the server (psycopg's ``Cursor``, not Django's client-side ``ClientCursor``), so psycopg prepares a
    statement once it has run ``prepare_threshold`` times on the connection and the server runs it from its generic
    plan (``plan_cache_mode=force_generic_plan``, settings) without planning it again: a hot read's planning costs
    several times its execution. Django's wrappers stay (queries counted and logged, errors wrapped). Every other
    statement keeps Django's client-side binding, which never prepares. ``DATABASE_PREPARED=0`` behind a pooler in
    transaction mode (README, operations). Elsewhere: ``connection.cursor()``."""
    db = _db()
    if db.vendor != "postgresql" or not settings.DATABASE_PREPARED:
        return db.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor
    from django.db.backends.utils import CursorWrapper

    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    with db.wrap_database_errors:
        cursor = ServerBindingCursor(db.connection)
    if db.queries_logged:
        return _hot_debug_wrapper()(cursor, db)
    return CursorWrapper(cursor, db)


@functools.cache
def _hot_debug_wrapper():
    """``CursorDebugWrapper`` logging the statement as written (Django's ``last_executed_query`` reads the text of a
    client-bound cursor), built on first use: the PostgreSQL backend's module imports psycopg."""
    from django.db.backends.postgresql.base import CursorDebugWrapper
    from django.db.backends.utils import CursorWrapper

    class HotDebugWrapper(CursorDebugWrapper):
        def execute(self, sql, params=None):
            with self.debug_sql(sql, params):
                return CursorWrapper.execute(self, sql, params)

    return HotDebugWrapper


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
        db = _db()
        for i, convert in self.converters:
            if values[i] is not None:
                values[i] = convert(values[i], None, db)
        return self.model.from_db(db.alias, self.attnames, values), end


def fetch_built(sql: str, params, *columns: Columns):
    """Run ``sql`` (one row at most) and build a model instance per ``Columns`` from its leading columns, in order:
    ``(instances, the remaining values)``, or None when there is no row."""
    with hot_cursor() as cursor:
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
    db = _db()
    if db.vendor != "postgresql":
        model.objects.bulk_create(objs)
        return
    for obj in objs:  # a foreign key to an object saved since this one was built takes its id now
        obj._prepare_related_fields_for_save(operation_name="insert_all")
    # Rows whose ids were reserved beforehand (``nextval``) are written with them.
    with_pk = all(obj.pk is not None for obj in objs)
    fields, sql = _insert_sql(model, with_pk, len(objs))
    params = [f.get_db_prep_save(f.pre_save(obj, True), db) for obj in objs for f in fields]
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        ids = [r[0] for r in cursor.fetchall()]
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = db.alias


@functools.lru_cache(maxsize=256)
def _insert_sql(model, with_pk: bool, rows: int) -> tuple[list, str]:
    """``insert_all``'s fields and statement for ``rows`` rows of ``model``, written once per process and shape."""
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    quote = _db().ops.quote_name
    row = f"({', '.join(['%s'] * len(fields))})"
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES {', '.join([row] * rows)} RETURNING {quote(model._meta.pk.column)}")
    return fields, sql
