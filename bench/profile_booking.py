"""Profile the booking request path in one process (not a test, not a benchmark).

    .venv/bin/python bench/profile_booking.py [--requests 2000] [--hot] [--top 40]

Builds the same throwaway data as ``booking.py``, then calls the WSGI application directly
(no HTTP server) for N ``POST /api/app/v1/bookings``: prints the CPU time per request, the
SQL statements per request, and the cProfile top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import booking as bench


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--hot", action="store_true", help="every booking on one occurrence")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sql", action="store_true", help="print the SQL of one request")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key (tottime...)")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="culturepass-profile-"))
    try:
        bench.setup_database(data_dir)
        fixture = bench.create_data(args.requests + 300)
        from django.core.wsgi import get_wsgi_application
        from django.db import connection

        app = get_wsgi_application()
        statements: list[str] = []

        def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            statements.append(sql)
            return execute(sql, params, many, context)

        tokens = iter(fixture.tokens)
        rng = random.Random(1)

        def one() -> str:
            stock = fixture.hot_stock if args.hot else rng.choice(fixture.spread_stocks)
            body = json.dumps({"stock_id": stock, "quantity": 1}).encode()
            environ = {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": "/api/app/v1/bookings",
                "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "8000",
                "wsgi.url_scheme": "http",
                "wsgi.input": io.BytesIO(body),
                "CONTENT_LENGTH": str(len(body)),
                "CONTENT_TYPE": "application/json",
                "HTTP_AUTHORIZATION": f"Bearer {next(tokens)}",
                "HTTP_HOST": "127.0.0.1",
                "REMOTE_ADDR": "127.0.0.1",
            }
            status: list[str] = []
            chunks = app(environ, lambda s, h: status.append(s))
            b"".join(chunks)
            if hasattr(chunks, "close"):
                chunks.close()
            return status[0]

        for _ in range(100):  # warm up
            assert one().startswith("201"), "booking refused"
        with connection.execute_wrapper(count):
            one()
        print(f"SQL statements per booking: {len(statements)}")
        if args.sql:
            for sql in statements:
                print("   ", sql[:300])
        # CPU time, not wall time: waits on the database are not ours to cut here.
        profiler = cProfile.Profile(time.process_time)
        began = time.process_time()
        wall = time.monotonic()
        profiler.enable()
        for _ in range(args.requests):
            one()
        profiler.disable()
        cpu = (time.process_time() - began) / args.requests * 1000
        elapsed = (time.monotonic() - wall) / args.requests * 1000
        print(f"per booking: {cpu:.2f} ms CPU (profiled), {elapsed:.2f} ms wall")
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
        began = time.process_time()
        for _ in range(100):
            one()
        print(f"unprofiled: {(time.process_time() - began) * 10:.2f} ms CPU per booking")
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
