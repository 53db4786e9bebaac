"""The partner API (``/public/...``): pass Culture-compatible endpoints for ticketing software.

``base`` holds the shared helpers (schemas, datetimes, errors, pagination, scope), ``auth`` the
API-key authentication and rate limit, ``errors`` the error handlers, ``idempotency`` the
``Idempotency-Key`` support and ``api`` the :class:`ninja.NinjaAPI` that mounts the routers.
"""
