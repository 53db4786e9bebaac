"""The ``culturepass`` console command.

culturepass serve [--demo] [--host H] [--port P] [--web-workers N]
    migrate, (with --demo: load demo data), then run the web server and a
    background worker until Ctrl-C, which stops both and the embedded database.
culturepass worker           run a background worker only
culturepass demo             load the demo data (idempotent) and print the logins
culturepass <django command> anything manage.py would do: migrate, shell, dbshell...
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "culturepass.settings")
    import django

    django.setup()


def _manage(argv: list[str]) -> None:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["culturepass", *argv])


def _serve(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="culturepass serve")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
    parser.add_argument("--demo", action="store_true", help="load demo data and print logins")
    parser.add_argument("--no-worker", action="store_true", help="do not start a worker")
    args = parser.parse_args(argv)

    if args.demo:
        os.environ.setdefault("CULTUREPASS_DEMO", "1")
        os.environ.setdefault("DEBUG", "0")
        os.environ.setdefault("SITE_URL", f"http://{args.host}:{args.port}")
    # Importing the settings starts (or reuses) the embedded database and puts
    # its URL in DATABASE_URL, which the children inherit.
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    if args.demo:
        call_command("demo_data")
    call_command("collectstatic", interactive=False, verbosity=0)

    env = dict(os.environ)
    children: list[subprocess.Popen[bytes]] = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "culturepass.wsgi",
                "--bind",
                f"{args.host}:{args.port}",
                "--workers",
                str(args.web_workers),
                # Gunicorn 27 otherwise shares one control socket per machine user.
                "--no-control-socket",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "5",
            ],
            env=env,
        )
    ]
    if not args.no_worker:
        children.append(
            subprocess.Popen([sys.executable, "-m", "culturepass.cli", "worker"], env=env)
        )
    print(f"culturepass: http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.3)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        from django.db import connections

        connections.close_all()
        print("culturepass: stopped web server, worker and database.", flush=True)
    failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, -signal.SIGINT)]
    return 1 if failed and not stopping else 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else "help"
    try:
        if command == "serve":
            return _serve(argv[1:])
        _setup_django()
        if command == "worker":
            _manage(["procrastinate", "worker", *argv[1:]])
        elif command == "demo":
            _manage(["demo_data", *argv[1:]])
        elif command in {"help", "-h", "--help"}:
            print(__doc__)
            _manage(["help"])
        else:
            _manage(argv)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
