"""Faults in the middle of a sitting, driven by the load harness against its own private
PostgreSQL and Redis (initdb + pg_ctl, redis-server on free ports) and two gunicorn workers:
a worker SIGKILLed, PostgreSQL restarted, Redis restarted, a third of the candidates' network
cut and restored, some candidates' clocks an hour off. After each: everyone reconnects by
themselves, the dashboards update again; at the end every acknowledged answer is in the
database, nothing was stored that was not sent, and no deadline moved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.load.run import Options, execute
from benchmarks.load.services import PrivatePostgres, PrivateRedis
from tests.conftest import require

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


def run_sitting(tmp_path: Path, *scenarios: str) -> dict[str, Any]:
    require(PrivatePostgres.available(), "initdb/pg_ctl not found (PostgreSQL server binaries)")
    require(PrivateRedis.available(), "redis-server not found")
    opts = Options(candidates=30, workers=2, per_room=10, duration=45, pace_low=1.0, pace_high=4.0,
                   dashboards=3, scenarios=scenarios, reconnect_p=0.02, cut_seconds=4.0, workdir=tmp_path)
    return execute(opts)


def assert_nothing_lost(report: dict[str, Any]) -> None:
    assert report["start_storm_missing"] == 0
    assert report["saves_acked"] > 100
    assert report["lost"] == [] and report["foreign"] == [] and report["ack_conflicts"] == []
    assert report["graded"] == report["candidates"]  # everyone submitted (or was) and graded
    assert report["deadlines_moved"] == 0 and report["clients_seeing_two_deadlines"] == 0
    # refusals are only the retryable kind (a database outage), never a deadline or a lost attempt
    assert set(report["refused"]) <= {"live.error.unavailable"}, report["refused"]
    for fault in report["faults"]:
        assert fault["still_disconnected"] == 0, fault
        assert fault["dashboards_updating_after_s"] < 60, fault


def test_worker_killed_network_cut_and_skewed_clocks(tmp_path: Path) -> None:
    report = run_sitting(tmp_path, "kill-worker", "cut-third", "clock-skew")
    assert_nothing_lost(report)
    assert report["faults"][0]["candidate_reconnects"] > 0  # the killed worker's candidates came back
    assert all(f["shown_offline_while_connected"] == 0 for f in report["faults"]), report["faults"]
    assert [f["scenario"] for f in report["faults"]] == ["kill-worker", "cut-third"]
    assert report["faults"][1]["cut"] == 10
    assert report["skewed_clients"] == 3  # an hour ahead or behind, yet same deadline, saves accepted
    assert "attempts.refused_deadline" not in report["refused"]


def test_postgres_and_redis_restarted_mid_exam(tmp_path: Path) -> None:
    report = run_sitting(tmp_path, "restart-pg", "restart-redis")
    assert_nothing_lost(report)
    pg, redis = report["faults"]
    assert (pg["scenario"], redis["scenario"]) == ("restart-pg", "restart-redis")
    assert pg["shown_offline_while_connected"] == 0, pg
    # Redis keeps nothing on disk: each worker notices its presence marker is gone and registers
    # its connections again, so dashboards show everyone connected as online.
    assert redis["shown_offline_while_connected"] == 0, redis
