"""gunicorn settings for govern (README, "Production"): ``gunicorn -c gunicorn.conf.py 'govern:create_app()'``.

Each setting can be changed without editing this file through the environment: ``GOVERN_BIND``,
``GOVERN_WORKERS``, ``GOVERN_TIMEOUT``, ``GOVERN_FORWARDED_ALLOW_IPS``. The app keeps no state in its
process (sessions, throttling, the audit chain's lock and the outbox are in the database), so any number
of servers can run this behind one TLS proxy, sharing one PostgreSQL database.
"""

import gc
import multiprocessing
import os

# Behind nginx on the same machine: listen on loopback only; the proxy does TLS.
bind = os.environ.get("GOVERN_BIND", "127.0.0.1:8000")
# Sync workers: every request is short (large Board packs are made by tick, never in a request).
workers = int(os.environ.get("GOVERN_WORKERS", str(min(2 * multiprocessing.cpu_count() + 1, 8))))
worker_class = "sync"
timeout = int(os.environ.get("GOVERN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter, so they are not replaced together):
# memory held by one large page is given back.
max_requests = 1000
max_requests_jitter = 100
# Trust X-Forwarded-Proto (https) only from the proxy in front; the app builds https links from it.
forwarded_allow_ips = os.environ.get("GOVERN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Errors to standard error (journald). No access log here: the app logs each request itself, by its
# route rather than its path, because a calendar feed's address is a secret (LOG_FORMAT = "json").
errorlog = "-"
loglevel = os.environ.get("GOVERN_LOG_LEVEL", "info")
# Load the app in the master before forking: a broken configuration stops the start at once, and
# workers share the loaded code's memory. Database connections are opened lazily by each worker.
preload_app = True


def on_starting(server):
    """In the master, after the app is loaded (preload_app) and before the port is opened or any
    worker forked, so no request waits on it: warm it up (our
    templates compiled, the agreement parsed; ``govern.warm_up``), then freeze what start-up made, so
    each worker's garbage collector never walks it again and copy-on-write pages stay shared."""
    app = server.app.wsgi()
    if getattr(app, "import_name", None) == "govern":  # not another app served with this file
        from govern import warm_up

        warm_up(app)
    gc.collect()
    gc.freeze()
