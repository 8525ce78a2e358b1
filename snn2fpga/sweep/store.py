"""Sweep results in a database: SQLite in the sweep folder by default, or any SQLAlchemy URL
(PostgreSQL for a study that several machines share).

One row per (study, point): the point's settings, its state (``running`` / ``done`` / ``failed``), which
driver claimed it (``host:pid``) and when, and the result as JSON. A point is done once its row is; a
killed driver leaves ``running`` rows that a driver on the same host reclaims when their pid is gone (and
any driver after ``lease_s`` seconds), so a study resumes from what is stored and nothing is run twice
while its owner lives.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.sweep.points import SweepPoint

DB_FILE = "sweep.db"
# settings that say where a point's files go, not what it computes: machines sharing a study differ there
LOCAL_KEYS = ("out_dir", "data_dir")


def _sqlalchemy():
    try:
        import sqlalchemy
    except ImportError:
        raise SNN2FPGAError("sweep results are stored through SQLAlchemy, a dependency of snn2fpga that "
                            "is missing: pip install 'sqlalchemy>=2.0'") from None
    return sqlalchemy


def default_url(out_dir: Path) -> str:
    """The SQLite database of a sweep folder."""
    return f"sqlite:///{(Path(out_dir) / DB_FILE).resolve()}"


def public_url(url: str) -> str:
    """A database URL without its password (for summaries, logs and messages)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL holds no recognisable password field
        return url


def settings_key(point: SweepPoint) -> str:
    """What a point computes, as canonical JSON (the local paths left out)."""
    d = {k: v for k, v in point.to_dict().items() if k not in LOCAL_KEYS}
    return json.dumps(d, sort_keys=True)


def this_owner() -> str:
    """The driver process that claims points: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str) -> bool:
    """False only when the owner ran on this host and its process is gone (other hosts: unknown, so alive)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SweepStore:
    """The points of one study in one database (created on first use)."""

    def __init__(self, url: str, study: str, lease_s: float = 24 * 3600.0) -> None:
        sa = _sqlalchemy()
        self.sa, self.study, self.lease_s, self.url = sa, study, lease_s, url
        connect_args = {"timeout": 60} if url.startswith("sqlite") else {}
        try:
            self.engine = sa.create_engine(url, connect_args=connect_args)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
            raise SNN2FPGAError(
                f"cannot use the sweep database {public_url(url)!r}: {exc} (expected e.g. sqlite:///path/sweep.db or "
                "postgresql+psycopg://user:password@host/dbname, with that driver installed)") from None
        meta = sa.MetaData()
        self.table = sa.Table(
            "sweep_points", meta,
            sa.Column("study", sa.String(200), primary_key=True),
            sa.Column("name", sa.String(200), primary_key=True),
            sa.Column("settings", sa.Text, nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("owner", sa.String(300)),
            sa.Column("claimed_at", sa.Float),
            sa.Column("finished_at", sa.Float),
            sa.Column("result", sa.Text),
            sa.Column("error", sa.Text),
        )
        try:
            meta.create_all(self.engine)
        except sa.exc.OperationalError as exc:
            raise SNN2FPGAError(f"cannot open the sweep database {public_url(url)!r}: {exc.orig}") from None

    def _row(self, conn: Any, name: str) -> Any:
        t = self.table
        return conn.execute(t.select().where(t.c.study == self.study, t.c.name == name)).first()

    def done(self, point: SweepPoint) -> dict[str, Any] | None:
        """The stored result of a point finished with the same settings, if any."""
        with self.engine.connect() as conn:
            row = self._row(conn, point.name)
        if row is None or row.status != "done" or row.settings != settings_key(point):
            return None
        return json.loads(row.result)

    def claim(self, point: SweepPoint, owner: str | None = None) -> bool:
        """Take a point for this driver: True when it is new, failed, changed, or its claim is stale."""
        owner = owner or this_owner()
        t, now, key = self.table, time.time(), settings_key(point)
        values = {"settings": key, "status": "running", "owner": owner, "claimed_at": now, "finished_at": None,
                  "result": None, "error": None}
        with self.engine.begin() as conn:
            row = self._row(conn, point.name)
            if row is None:
                try:
                    conn.execute(t.insert().values(study=self.study, name=point.name, **values))
                except self.sa.exc.IntegrityError:  # another driver inserted it first
                    return False
                return True
            if row.status == "done" and row.settings == key:
                return False
            if (row.status == "running" and row.settings == key and row.owner != owner
                    and owner_alive(row.owner) and now - row.claimed_at < self.lease_s):
                return False
            # compare-and-set on the row as read, so two drivers never both take it over
            cond = [t.c.study == self.study, t.c.name == point.name, t.c.status == row.status,
                    t.c.claimed_at == row.claimed_at if row.claimed_at is not None else t.c.claimed_at.is_(None)]
            return conn.execute(t.update().where(*cond).values(**values)).rowcount == 1

    def finish(self, point: SweepPoint, result: dict[str, Any]) -> None:
        """Store a point's result."""
        self._set(point, status="done", result=json.dumps(result, sort_keys=True), error=None)

    def fail(self, point: SweepPoint, error: str) -> None:
        """Record that a point failed (it is retried by the next run)."""
        self._set(point, status="failed", error=error)

    def release(self, point: SweepPoint) -> None:
        """Give back a claim that was not run (interrupted driver)."""
        t = self.table
        with self.engine.begin() as conn:
            conn.execute(t.delete().where(t.c.study == self.study, t.c.name == point.name,
                                          t.c.status == "running", t.c.owner == this_owner()))

    def _set(self, point: SweepPoint, **values: Any) -> None:
        t = self.table
        with self.engine.begin() as conn:
            n = conn.execute(t.update().where(t.c.study == self.study, t.c.name == point.name)
                             .values(settings=settings_key(point), finished_at=time.time(), **values)).rowcount
            if n == 0:
                conn.execute(t.insert().values(study=self.study, name=point.name, settings=settings_key(point),
                                               finished_at=time.time(), **values))

    def rows(self) -> list[dict[str, Any]]:
        """Every point row of the study: name, status, owner, the result (done) or the error (failed)."""
        t = self.table
        with self.engine.connect() as conn:
            found = conn.execute(t.select().where(t.c.study == self.study).order_by(t.c.name)).all()
        return [{"name": r.name, "status": r.status, "owner": r.owner, "error": r.error,
                 "result": json.loads(r.result) if r.result else None} for r in found]

    def close(self) -> None:
        self.engine.dispose()
