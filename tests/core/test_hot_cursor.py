"""Hot statements are prepared by the server after a few runs, and still counted like every other query."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportdesk.core.rows import hot_cursor

SQL = "SELECT %(n)s::int + count(*) FROM staff_room WHERE code = %(code)s"


def _prepared(sql: str) -> list[str]:
    """The server's prepared statements of ``sql`` (which it keeps with ``$n`` for the parameters)."""
    text = sql.replace("%(n)s", "$1").replace("%(code)s", "$2")
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement = %s", [text])
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_a_hot_statement_is_prepared_after_the_threshold_and_counted(settings):
    """The statement is bound by the server and, from the threshold on, run from the server's prepared plan;
    every run is a captured query, logged as written."""
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    with CaptureQueriesContext(connection) as ctx:
        for n in range(threshold + 1):
            with hot_cursor() as cursor:
                cursor.execute(SQL, {"n": n, "code": "transport"})
                assert cursor.fetchone()[0] == n + 1
    assert len(ctx.captured_queries) == threshold + 1
    assert all(q["sql"] == SQL for q in ctx.captured_queries)
    assert len(_prepared(SQL)) == 1


@pytest.mark.django_db
def test_without_prepared_statements_the_hot_cursor_is_django_s_own(settings):
    """``DATABASE_PREPARED=0`` (behind a pooler in transaction mode): client-side binding, nothing prepared."""
    settings.DATABASE_PREPARED = False
    sql = SQL + " AND 2 > 1"
    for n in range(8):
        with hot_cursor() as cursor:
            cursor.execute(sql, {"n": n, "code": "transport"})
            assert cursor.fetchone()[0] == n + 1
    assert _prepared(sql) == []


@pytest.mark.django_db
def test_a_failed_hot_statement_leaves_the_connection_usable():
    """A statement that fails inside a transaction (a broken savepoint) is rolled back as any other; the next
    runs of the prepared statement work."""
    from django.db import IntegrityError, transaction

    for n in range(6):
        with hot_cursor() as cursor:
            cursor.execute(SQL, {"n": n, "code": "transport"})
    with pytest.raises(IntegrityError), transaction.atomic():
        with hot_cursor() as cursor:
            cursor.execute("INSERT INTO staff_room (code, name, kind, phone) SELECT code, name, kind, phone "
                           "FROM staff_room WHERE code = %(code)s", {"code": "transport"})
    with hot_cursor() as cursor:
        cursor.execute(SQL, {"n": 41, "code": "transport"})
        assert cursor.fetchone()[0] == 42
