"""Sweeps on a real Ray cluster (a head started on 127.0.0.1 by the test, stopped after): the same table as
the process pool for the same seeds, a worker killed mid-sweep costs nothing, and a killed driver resumes."""

from __future__ import annotations

import csv
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from snn2fpga.cli import main

# not imported here: Ray reads its authentication settings when first imported, which must be after the head's
# fixture has set them
if importlib.util.find_spec("ray") is None:
    pytest.skip("the Ray engine's tests need the ray extra: pip install 'snn2fpga[ray]'", allow_module_level=True)

TINY = ["--dataset", "digits", "--hidden", "16", "--timesteps", "8", "--epochs", "1", "--csim-samples", "10",
        "--no-progress"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ray_head():
    """A Ray head on the loopback address with 2 CPUs; yields its address and the pid of `ray start --block`
    (the ancestor of every Ray process it starts); stopped by signalling its own process group."""
    ray_bin = Path(sys.executable).with_name("ray")
    port = _free_port()
    temp = tempfile.mkdtemp(prefix="rayt", dir="/tmp")  # short: Ray's unix socket paths must stay < 108 chars
    # the head and this driver share a token of their own (Ray >= 2.5x authenticates every client by default)
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    env = {**os.environ, **auth, "RAY_USAGE_STATS_ENABLED": "0", "PYTHONPATH": os.pathsep.join(sys.path)}
    head = subprocess.Popen(
        [str(ray_bin), "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
         "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats", "--object-store-memory=100000000",
         f"--temp-dir={temp}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
    lines = []
    deadline = time.time() + 180
    for line in head.stdout:
        lines.append(line)
        if "Ray runtime started" in line or time.time() > deadline:
            break
    if head.poll() is not None or not any("Ray runtime started" in x for x in lines):
        os.killpg(head.pid, signal.SIGKILL)
        pytest.fail("the Ray head did not start:\n" + "".join(lines[-30:]))
    threading.Thread(target=lambda: [None for _ in head.stdout], daemon=True).start()  # keep its pipe drained
    with pytest.MonkeyPatch.context() as mp:
        for k, v in auth.items():
            mp.setenv(k, v)
        yield f"127.0.0.1:{port}", head.pid
    os.killpg(head.pid, signal.SIGTERM)
    try:
        head.wait(5)
    except subprocess.TimeoutExpired:
        pass  # its graceful stop takes half a minute; nothing of it is needed after the tests
    os.killpg(head.pid, signal.SIGKILL)
    head.wait(30)
    shutil.rmtree(temp, ignore_errors=True)


def _table(out: Path) -> list[dict[str, str]]:
    """results.csv without its one timing column (wall seconds differ between runs)."""
    rows = list(csv.DictReader((out / "results.csv").open()))
    for r in rows:
        r.pop("train_seconds")
    return rows


def _sweep(out: Path, grid: list[str], *extra: str) -> dict:
    import json

    assert main(["sweep", *TINY, *grid, "-o", str(out), "--json", *extra]) == 0
    return json.loads((out / "results.json").read_text())


def _db_states(out: Path) -> dict[str, str]:
    with sqlite3.connect(out / "sweep.db") as db:
        return dict(db.execute("select name, status from sweep_points"))


def test_ray_cluster_table_equals_pool(tmp_path, ray_head):
    address, _ = ray_head
    # w4_s6 cannot be built (its integer threshold needs more than 6 state bits): a point's error, reported
    # the same way by both engines, and stored as failed
    grid = ["--weight-bits", "4", "--state-bits", "6", "8"]
    # the pool sweep runs beside the Ray one (two cores), in a process of its own: a process pool forked from
    # this process while Ray's driver threads run here could inherit their locks held
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    pool = subprocess.Popen([sys.executable, "-m", "snn2fpga.cli", "sweep", *TINY, *grid, "--workers", "1", "-o",
                             str(tmp_path / "pool")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    rows = _sweep(tmp_path / "ray", grid, "--engine", "ray", "--address", address)
    assert pool.wait(300) == 0, pool.stderr.read()
    assert rows[0]["csim_mismatches"] == 0 and rows[0]["export_mismatches"] == 0
    assert _table(tmp_path / "ray") == _table(tmp_path / "pool") and len(_table(tmp_path / "pool")) == 1
    assert _db_states(tmp_path / "ray") == {"w4_s6_t8": "failed", "w4_s8_t8": "done"}
    errors = [_db_error(tmp_path / engine, "w4_s6_t8") for engine in ("ray", "pool")]
    assert errors[0] == errors[1] and "integer threshold" in errors[0]


def _db_error(out: Path, name: str) -> str:
    with sqlite3.connect(out / "sweep.db") as db:
        return db.execute("select error from sweep_points where name = ?", (name,)).fetchone()[0]


def _descendants(root: int) -> dict[int, str]:
    """pid -> command line of the processes below ``root`` (from /proc)."""
    parent, cmd = {}, {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parent[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmd[int(d.name)] = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, IndexError, ValueError):
                continue
    out = {}
    for pid in parent:
        p = pid
        while p in parent and p not in (root, 0, 1):
            p = parent[p]
        if p == root and pid != root:
            out[pid] = cmd[pid]
    return out


@pytest.mark.slow
def test_killed_ray_worker_is_rerun_and_nothing_is_lost(tmp_path, ray_head):
    address, head_pid = ray_head
    grid = ["--weight-bits", "2", "4", "--state-bits", "8", "16"]
    killed: list[int] = []

    def kill_one_point_worker() -> None:
        deadline = time.time() + 300
        while not killed and time.time() < deadline:
            for pid, cmd in _descendants(head_pid).items():
                if cmd.startswith("ray::_ray_point"):
                    time.sleep(3)  # into the point: the worker is training
                    # still running a point (an idle worker is titled ray::IDLE): its task must be run again
                    if _descendants(head_pid).get(pid, "").startswith("ray::_ray_point"):
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
                        return
            time.sleep(0.5)

    killer = threading.Thread(target=kill_one_point_worker)
    killer.start()
    rows = _sweep(tmp_path / "ray", grid, "--engine", "ray", "--address", address)
    killer.join()
    assert len(killed) == 1
    assert len(rows) == 4 and all(r["csim_mismatches"] == 0 for r in rows)
    assert set(_db_states(tmp_path / "ray").values()) == {"done"}
    _sweep(tmp_path / "pool", grid, "--workers", "2")
    assert _table(tmp_path / "ray") == _table(tmp_path / "pool")


@pytest.mark.slow
def test_killed_driver_resumes_from_the_database(tmp_path):
    out = tmp_path / "sw"
    grid = ["--weight-bits", "2", "4", "--state-bits", "8", "--workers", "1"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    driver = subprocess.Popen([sys.executable, "-m", "snn2fpga.cli", "sweep", *TINY, *grid, "-o", str(out)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 400
    while time.time() < deadline and driver.poll() is None:
        if (out / "sweep.db").is_file() and "done" in _db_states(out).values():
            break
        time.sleep(1)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    assert sorted(_db_states(out).items()) == [("w2_s8_t8", "done"), ("w4_s8_t8", "running")]
    logs: list[str] = []
    from snn2fpga.sweep import SweepConfig, run_sweep

    cfg = SweepConfig("digits", "lif-mlp", out, [2, 4], [8], [8], epochs=1, hidden=(16,), csim_samples=10,
                      workers=1)
    summary = run_sweep(cfg, log=logs.append, progress=False)
    assert "resuming: 1 of 2 points already finished" in logs
    assert summary["finished"] == 2 and summary["running_elsewhere"] == []
    assert set(_db_states(out).values()) == {"done"}

