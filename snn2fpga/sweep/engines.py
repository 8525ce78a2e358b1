"""Where sweep points run: a local process pool (the default, no extra packages) or a Ray cluster.

Both take a batch of points and report each one as it ends (``on_done`` with its result, ``on_error``
with the message of an SNN2FPGAError raised by the point); the driver stores what they report. Any other
exception is a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from snn2fpga.errors import SNN2FPGAError
from snn2fpga.sweep.points import SweepPoint, run_point

OnDone = Callable[[SweepPoint, dict[str, Any]], None]
OnError = Callable[[SweepPoint, str], None]


class EngineKind(Enum):
    """The executors a sweep can use."""

    POOL = "pool"
    RAY = "ray"


class Engine(Protocol):
    """Runs points and reports each as it ends."""

    def run(self, points: Sequence[SweepPoint], on_done: OnDone, on_error: OnError) -> None: ...

    def close(self) -> None: ...


class PoolEngine:
    """Points in ``workers`` local processes."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)

    def run(self, points: Sequence[SweepPoint], on_done: OnDone, on_error: OnError) -> None:
        if not points:
            return
        with ProcessPoolExecutor(max_workers=min(self.workers, len(points))) as pool:
            futures = {pool.submit(run_point, p): p for p in points}
            for fut in as_completed(futures):
                p = futures[fut]
                try:
                    result = fut.result()
                except SNN2FPGAError as exc:
                    on_error(p, str(exc))
                else:
                    on_done(p, result)

    def close(self) -> None:
        """Nothing is kept between batches."""


@dataclass(frozen=True)
class RayResources:
    """What each point asks the Ray scheduler for (CPUs and GPUs per task, fractions allowed) and how often a
    point whose worker died is run again."""

    cpus: float = 1.0
    gpus: float = 0.0
    max_retries: int = 3

    def __post_init__(self) -> None:
        if not self.cpus > 0:
            raise SNN2FPGAError(f"--ray-cpus must be positive, got {self.cpus}")
        if self.gpus < 0:
            raise SNN2FPGAError(f"--ray-gpus must be >= 0, got {self.gpus}")
        if self.max_retries < 0:
            raise SNN2FPGAError(f"--ray-retries must be >= 0, got {self.max_retries}")


def import_ray() -> Any:
    """Ray, or the error that says how to install it."""
    try:
        import ray
    except ImportError:
        raise SNN2FPGAError("--engine ray needs Ray, which is not installed: pip install 'snn2fpga[ray]' "
                            "(or use the default --engine pool)") from None
    return ray


def _ray_point(point_dict: dict[str, Any]) -> dict[str, Any]:
    """The Ray task of one point (plain data in and out; its process title is ``ray::_ray_point``)."""
    return run_point(SweepPoint.from_dict(point_dict))


class RayEngine:
    """Points as Ray tasks: on the cluster at ``address``, or on a Ray started here with ``workers`` CPUs.

    A point whose worker process or node dies is run again by Ray (``max_retries``); results are
    collected as they finish, so the driver stores each one at once.
    """

    def __init__(self, address: str | None, workers: int, resources: RayResources) -> None:
        self.ray = import_ray()
        self.resources = resources
        self.started_here = not self.ray.is_initialized()
        if self.started_here:
            try:
                if address:
                    self.ray.init(address=address, log_to_driver=False)
                else:
                    self.ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False)
            except ConnectionError as exc:
                raise SNN2FPGAError(
                    f"cannot reach the Ray cluster at {address!r}: {exc} (start one with `ray start --head` and pass "
                    "the address it prints; a cluster with token authentication also needs RAY_AUTH_MODE=token and "
                    "its token here: RAY_AUTH_TOKEN or ~/.ray/auth_token)") from None
        self.task = self.ray.remote(_ray_point).options(
            num_cpus=resources.cpus, num_gpus=resources.gpus, max_retries=resources.max_retries,
            retry_exceptions=False)

    def run(self, points: Sequence[SweepPoint], on_done: OnDone, on_error: OnError) -> None:
        ray = self.ray
        pending = {self.task.remote(p.to_dict()): p for p in points}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                p = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:
                    if isinstance(exc.cause, SNN2FPGAError):
                        on_error(p, str(exc.cause))
                        continue
                    raise exc.cause from None
                except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError) as exc:
                    # retries exhausted: the point is recorded as failed and runs again on the next resume
                    on_error(p, f"Ray worker died {self.resources.max_retries + 1} times: {exc}")
                    continue
                on_done(p, result)

    def close(self) -> None:
        if self.started_here and self.ray.is_initialized():
            self.ray.shutdown()


def make_engine(kind: EngineKind, workers: int, address: str | None = None,
                resources: RayResources | None = None) -> Engine:
    """The engine a sweep asked for."""
    if kind is EngineKind.RAY:
        return RayEngine(address, workers, resources or RayResources())
    if address:
        raise SNN2FPGAError("--address names a Ray cluster: it needs --engine ray")
    return PoolEngine(workers)
