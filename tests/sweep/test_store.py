"""The results database: claims, resume after a dead driver, results round trip, and its errors."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.sweep import SweepConfig
from snn2fpga.sweep.store import SweepStore, default_url, public_url


def _dead_owner() -> str:
    """``host:pid`` of a process of this host that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return f"{socket.gethostname()}:{proc.pid}"


def test_claims_results_and_reclaim_after_a_dead_driver(tmp_path):
    cfg = SweepConfig("digits", "lif-mlp", tmp_path, [2, 4], [8])
    p, q = cfg.points()
    store = SweepStore(default_url(tmp_path), "s")
    assert (tmp_path / "sweep.db").is_file()
    assert store.claim(p, owner="other-host:1")
    # another live driver holds p: not taken over, not run twice
    assert not store.claim(p)
    assert store.done(p) is None
    # its driver died on this host: reclaimed
    assert store.claim(q, owner=_dead_owner())
    assert store.claim(q)
    store.finish(q, {"name": q.name, "top1": 0.5, "lut": 7})
    assert store.done(q) == {"name": q.name, "top1": 0.5, "lut": 7}
    assert not store.claim(q)  # done with the same settings
    # a changed setting is another computation: the stored result does not count
    q2 = SweepConfig("digits", "lif-mlp", tmp_path, [4], [8], epochs=6).points()[0]
    assert q2.name == q.name and store.done(q2) is None and store.claim(q2)
    # the local folder is not a setting: another machine's copy of the study reads the same result
    store.finish(q, {"name": q.name, "top1": 0.5, "lut": 7})
    q_elsewhere = SweepConfig("digits", "lif-mlp", tmp_path / "other", [4], [8]).points()[0]
    assert store.done(q_elsewhere) == {"name": q.name, "top1": 0.5, "lut": 7}
    store.fail(p, "boom")
    assert {r["name"]: (r["status"], r["error"]) for r in store.rows()} == {p.name: ("failed", "boom"),
                                                                               q.name: ("done", None)}
    assert store.claim(p)  # a failed point runs again
    store.release(p)
    assert [r["name"] for r in store.rows()] == [q.name]
    # studies in one database are separate
    assert SweepStore(default_url(tmp_path), "t").rows() == []


def test_stale_claim_of_another_host_expires_after_the_lease(tmp_path):
    p = SweepConfig("digits", "lif-mlp", tmp_path, [2], [8]).points()[0]
    assert SweepStore(default_url(tmp_path), "s").claim(p, owner="far-away:1")
    assert not SweepStore(default_url(tmp_path), "s").claim(p)
    assert SweepStore(default_url(tmp_path), "s", lease_s=0.0).claim(p)


def test_bad_database_urls_are_refused(tmp_path):
    with pytest.raises(SNN2FPGAError, match="cannot use the sweep database 'nosuchdb://x'"):
        SweepStore("nosuchdb://x", "s")
    with pytest.raises(SNN2FPGAError, match="cannot open the sweep database"):
        SweepStore(f"sqlite:///{tmp_path}/missing/dir/sweep.db", "s")
    assert public_url("postgresql+psycopg://me:secret@db/sweeps") == "postgresql+psycopg://me:***@db/sweeps"
