"""`culturepass serve` as `make run` uses it: embedded database, web server and
worker come up, answer /healthz, and all stop on Ctrl-C leaving nothing behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

START_TIMEOUT = 40  # fresh database: migrations, static files, then web and worker
STOP_TIMEOUT = 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthz(port: int) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _demo_command_exists() -> bool:
    from django.core.management import get_commands

    return "demo_data" in get_commands()


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _mentioning(data_dir: Path) -> list[psutil.Process]:
    """Live processes whose command line names the data directory (postgres -D ...)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(data_dir) in cmdline and _alive(process):
            found.append(process)
    return found


def _serve_command() -> list[str]:
    script = Path(sys.executable).with_name("culturepass")
    if script.exists():
        return [str(script), "serve"]
    found = shutil.which("culturepass")
    return [found, "serve"] if found else [sys.executable, "-m", "culturepass.cli", "serve"]


def test_serve_runs_web_worker_and_database_and_ctrl_c_stops_them_all(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        # The test run's own database and test switches must not leak in.
        if key not in {"DATABASE_URL", "CULTUREPASS_TESTING", "DJANGO_SETTINGS_MODULE"}
    }
    env["CULTUREPASS_DATA_DIR"] = str(data_dir)
    command = [*_serve_command(), "--port", str(port), "--web-workers", "1"]
    if _demo_command_exists():
        command.append("--demo")
    log_path = tmp_path / "serve.log"

    with log_path.open("wb") as log:
        # A session of its own: SIGINT goes to its process group, as a terminal's Ctrl-C.
        serve = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        spawned: dict[int, psutil.Process] = {}
        try:
            deadline = time.monotonic() + START_TIMEOUT
            status, body = 0, {}
            while time.monotonic() < deadline and serve.poll() is None:
                for process in psutil.Process(serve.pid).children(recursive=True):
                    spawned.setdefault(process.pid, process)
                try:
                    status, body = _healthz(port)
                except (OSError, ValueError):
                    status, body = 0, {}
                if status == 200:
                    break
                time.sleep(0.25)
            log_text = log_path.read_text(errors="replace")
            assert status == 200, f"/healthz never answered 200 ({status} {body}):\n{log_text}"
            assert body["database"] == {"ok": True}
            assert body["worker"]["ok"] is True  # type: ignore[index]
            for process in psutil.Process(serve.pid).children(recursive=True):
                spawned.setdefault(process.pid, process)
            spawned.update({p.pid: p for p in _mentioning(data_dir)})
            assert any("postgres" in " ".join(p.cmdline()) for p in _mentioning(data_dir)), (
                "the embedded PostgreSQL should run from the data directory"
            )

            os.killpg(serve.pid, signal.SIGINT)
            serve.wait(timeout=STOP_TIMEOUT)
        finally:
            if serve.poll() is None:
                os.killpg(serve.pid, signal.SIGKILL)
                serve.wait()

    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and (
        any(_alive(p) for p in spawned.values()) or _mentioning(data_dir)
    ):
        time.sleep(0.2)
    left = [p for p in spawned.values() if _alive(p)] + _mentioning(data_dir)
    for process in left:  # do not leak them into the rest of the run
        process.kill()
    assert left == [], f"still running after Ctrl-C: {[p.cmdline() for p in left]}"
    assert serve.returncode == 0, log_path.read_text(errors="replace")
    assert "stopped web server, worker and database" in log_path.read_text(errors="replace")
