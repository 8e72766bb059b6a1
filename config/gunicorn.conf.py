"""Gunicorn settings for `exam-server run` (Linux): gevent workers, one app per worker.

Bind address and worker count come from the environment set by `exam-server run`
(EXAM_BIND, EXAM_WORKERS). Several workers need REDIS_URL so Socket.IO rooms span processes;
the deadline job runs in every worker and is safe to (conditional UPDATEs).
"""

import os

wsgi_app = "exam_server.wsgi:app"
bind = os.environ.get("EXAM_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("EXAM_WORKERS", "1"))
worker_class = "gevent"
worker_connections = 2000
timeout = 60
graceful_timeout = 10
# Candidate pages save every few seconds over one connection: keep it open between saves
# (an idle connection costs a gevent worker next to nothing; a new one costs a handshake).
keepalive = 30
accesslog = os.environ.get("EXAM_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("EXAM_LOG_LEVEL", "info")
# Do not preload: each worker builds its own app (and engine, and background job) after forking.
preload_app = False
# Gunicorn's control socket lives at one fixed path per user; several servers on one machine
# (tests, benchmarks, a demo beside production) would fight over it, and we do not use it.
control_socket_disable = True
