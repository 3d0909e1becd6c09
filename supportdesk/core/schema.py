"""Migration operations for what only PostgreSQL has (triggers, functions): the service-free SQLite run skips them."""
from __future__ import annotations


def postgresql_only(forward: str, backward: str):
    """A migration operation that runs ``forward`` on PostgreSQL (``backward`` when the migration is reversed), as
    written: no parameter interpolation, so PL/pgSQL's ``%`` placeholders stay. Nothing on other databases."""
    from django.db import migrations

    def runner(sql: str):
        def run(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql, params=None)

        return run

    return migrations.RunPython(runner(forward), runner(backward), elidable=False)
