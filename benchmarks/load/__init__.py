"""Load harness for issue 8: thousands of simulated candidates over the real Socket.IO protocol.

`python -m benchmarks.load.run --help` drives a whole sitting (seed, log in, start storm, saves,
faults, submit storm) against gunicorn/gevent workers on PostgreSQL + Redis and verifies
against the database that no acknowledged answer was lost.
"""
