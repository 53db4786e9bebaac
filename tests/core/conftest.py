"""A real procrastinate worker in a thread, with its own connector, for tests
that need jobs to run the way they do in production."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.db import connection


class WorkerThread:
    """Runs ``app.run_worker_async`` on its own event loop and connection pool.

    ``wait=False`` stops by itself once the queues are empty; ``wait=True`` runs
    until :meth:`stop` (which unregisters the worker, as a Ctrl-C would).
    """

    def __init__(self, *, wait: bool, queues: list[str] | None = None) -> None:
        from procrastinate import App
        from procrastinate.contrib.django import app
        from procrastinate.contrib.django.django_connector import DjangoConnector

        # The Django connector cannot run a worker: same tasks (and the same
        # connection-cleanup middleware), a psycopg pool of its own. Periodic
        # tasks are left out: their deferrer would go through the Django app's
        # connector and leave a connection open in an executor thread.
        self.app = App(
            connector=cast(DjangoConnector, app.connector).get_worker_connector(),
            import_paths=app.import_paths,
            worker_defaults=app.worker_defaults,
        )
        self.app.tasks = app.tasks
        self.options: dict[str, Any] = {
            "wait": wait,
            "queues": queues,
            "install_signal_handlers": False,
            "listen_notify": False,
            "fetch_job_polling_interval": 0.1,
            "update_heartbeat_interval": 1,
        }
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="procrastinate-test-worker")

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
            self._started.set()
            async with self.app.open_async():
                await self.app.run_worker_async(**self.options)

        try:
            asyncio.run(main())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:
            self.error = exc
        finally:
            self._started.set()

    def start(self) -> WorkerThread:
        self._thread.start()
        self._started.wait(timeout=10)
        return self

    def join(self, timeout: float = 20) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the worker did not stop in time"
        if self.error:
            raise self.error

    def stop(self, timeout: float = 20) -> None:
        if self._thread.is_alive() and self._loop and self._task:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self.join(timeout)


def _clear_job_tables() -> None:
    # procrastinate's tables are unmanaged: Django's flush leaves them alone.
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE procrastinate_events, procrastinate_periodic_defers, "
            "procrastinate_jobs, procrastinate_workers"
        )


@pytest.fixture
def clean_job_tables(transactional_db) -> Iterator[None]:
    """For tests that commit: no job or worker row from elsewhere, none left behind."""
    _clear_job_tables()
    yield
    _clear_job_tables()


@pytest.fixture
def job_worker(clean_job_tables: None) -> Iterator[type[WorkerThread]]:
    """Start workers with ``job_worker(wait=...).start()``; all are stopped afterwards."""
    started: list[WorkerThread] = []

    class _Tracked(WorkerThread):
        def start(self) -> WorkerThread:
            started.append(self)
            return super().start()

    try:
        yield _Tracked
    finally:
        for worker in started:
            worker.stop()
