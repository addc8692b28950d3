"""What the benchmarks share: a PostgreSQL database recreated for a run."""

import sys


def fresh_database() -> None:
    """Drop, create and migrate the database DATABASE_URL names, which must hold "bench"."""
    from django.core.management import call_command
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor != "postgresql" or "bench" not in db["NAME"]:
        sys.exit('DATABASE_URL must name a PostgreSQL database with "bench" in its name.')
    with _server() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}"')
        admin.execute(f'CREATE DATABASE "{db["NAME"]}"')
    call_command("migrate", verbosity=0)


def database_drop() -> None:
    """Drop the database DATABASE_URL names, once a run is over."""
    from django.db import connection

    with _server() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{connection.settings_dict["NAME"]}"')


def saved_name() -> str:
    """The database `database_save` copies DATABASE_URL's into."""
    from django.db import connection

    return f"{connection.settings_dict['NAME']}_saved"


def database_save() -> None:
    """Copy the database DATABASE_URL names (a loaded history) beside it, for `database_restore`."""
    from django.db import connection

    with _server() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{saved_name()}"')
        # A copy of the files: the shared buffers are left as they are.
        name = connection.settings_dict["NAME"]
        admin.execute(f'CREATE DATABASE "{saved_name()}" TEMPLATE "{name}" STRATEGY FILE_COPY')


def database_restore() -> bool:
    """Recreate the database DATABASE_URL names from its saved copy (its rows, indexes and planner
    statistics), if there is one; False if there is none."""
    from django.db import connection

    with _server() as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [saved_name()]
        ).fetchone()
        if not exists:
            return False
        name = connection.settings_dict["NAME"]
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{saved_name()}" STRATEGY FILE_COPY')
    return True


def _server():
    """A connection to the server's `postgres` database, as DATABASE_URL's user, with Django's
    own connection closed (a database in use cannot be dropped)."""
    import psycopg
    from django.db import connection

    db = connection.settings_dict
    connection.close()
    params = {
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
        "user": db["USER"] or None,
        "password": db["PASSWORD"] or None,
    }
    return psycopg.connect(dbname="postgres", autocommit=True, **params)
