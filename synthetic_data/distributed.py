"""Generation on a Dask distributed cluster (``selfdata generate --scheduler tcp://host:port``).

The client (the machine running ``selfdata generate``) cuts the population into shards of
consecutive households, submits one Dask task per shard and assembles the manifest from the
tasks' per-household stats, in household order, exactly as the local run does; so the output,
manifest included, has the same bytes as a local run for the same options.

Each task writes its households' files itself, straight into the run's temporary directory next
to ``--out``, in the same layout as a local run (``writers.py``). So every worker must reach that
directory under the same path: a shared filesystem (NFS, CephFS, a cluster's scratch space)
mounted at the same place on the client and the workers. Object stores are not written to
directly; generate onto the shared filesystem and copy the result. Before any task is submitted,
the client checks that every worker imports the same generator version and can write to that
directory, and says which one cannot.

Shard size (:func:`shard_size`): a task costs the scheduler about a millisecond and a household
about a tenth of a second to a second, so shards are kept small enough for about four per worker
thread (the last ones to finish balance the load) and at most :data:`MAX_SHARD` households, so
that a lost worker costs little to redo and progress moves smoothly. A worker holds one household
in memory at a time whatever the shard size. A task that is run twice (Dask retries the tasks of
a worker that died) writes the same bytes again.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from synthetic_data import __version__
from synthetic_data.errors import ClusterError

if TYPE_CHECKING:
    from distributed import Client

J = TypeVar("J")
R = TypeVar("R")

STOP = ".stop"  # written into the output directory when the run is given up: tasks stop
MAX_SHARD = 16
SHARDS_PER_THREAD = 4
CONNECT_TIMEOUT = 10.0  # seconds to reach the scheduler, and then to see a first worker
STOP_TIMEOUT = 300.0  # seconds for the tasks under way to finish their household on a failure


def shard_size(households: int, threads: int) -> int:
    """Households per task: about :data:`SHARDS_PER_THREAD` tasks per worker thread, at most
    :data:`MAX_SHARD` households each."""
    return max(1, min(MAX_SHARD, math.ceil(households / (SHARDS_PER_THREAD * max(1, threads)))))


def shards(jobs: Sequence[J], size: int) -> list[list[J]]:
    """``jobs`` cut in consecutive runs of ``size`` (the last one shorter)."""
    return [list(jobs[i:i + size]) for i in range(0, len(jobs), size)]


def _probe(tmp: str) -> tuple[str, bool]:
    """Run on every worker: its generator version, and whether it can write to ``tmp``."""
    return __version__, os.path.isdir(tmp) and os.access(tmp, os.W_OK | os.X_OK)


def connect(address: str) -> Client:
    """A client of the scheduler at ``address`` that has at least one worker, or a
    :class:`ClusterError` saying what is wrong and how to fix it."""
    # Imported here, not at the top: a local run (and every process-pool worker) does without
    # dask's import time.
    from distributed import Client

    hint = ("start one with `dask scheduler` and its workers with `dask worker ADDRESS` (each "
            "with selfdata-sandbox installed), check the address and port, or leave --scheduler "
            "out to generate on this machine")
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, ValueError) as exc:
        raise ClusterError(f"cannot reach a Dask scheduler at {address} "
                           f"({type(exc).__name__}: {exc}); {hint}") from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except (TimeoutError, OSError):
        client.close()
        raise ClusterError(f"the Dask scheduler at {address} has no worker after "
                           f"{CONNECT_TIMEOUT:.0f} s; start workers with `dask worker "
                           f"{address}` (each with selfdata-sandbox installed), or leave "
                           "--scheduler out to generate on this machine") from None
    return client


def check_workers(client: Client, tmp: Path) -> int:
    """Worker threads available, after checking that every worker runs this generator's version
    and can write to ``tmp``; otherwise a :class:`ClusterError` naming the workers."""
    try:
        seen = client.run(_probe, str(tmp))
    except Exception as exc:  # e.g. a worker without the package cannot unpickle the probe
        raise ClusterError(f"the Dask workers cannot run the generator ({type(exc).__name__}: "
                           f"{exc}); install selfdata-sandbox {__version__} on every "
                           "worker") from None
    wrong = sorted(w for w, (version, _) in seen.items() if version != __version__)
    if wrong:
        raise ClusterError(f"workers {', '.join(wrong)} run another generator version than "
                           f"this client ({__version__}); install the same selfdata-sandbox "
                           "on every worker so that the output is the same")
    blind = sorted(w for w, (_, ok) in seen.items() if not ok)
    if blind:
        raise ClusterError(f"workers {', '.join(blind)} cannot write to {tmp}: the workers "
                           "write the output themselves, so --out must be on a filesystem "
                           "shared by the client and every worker, at the same path")
    return sum(client.nthreads().values()) or 1


def run_on_cluster(address: str, task: Callable[[list[J]], list[R]], jobs: Sequence[J],
                   tmp: Path, progress: Callable[[int], None] | None = None) -> Iterator[R]:
    """``task`` run on the cluster's workers over shards of ``jobs`` (a Dask task each), its
    results yielded in the jobs' order. The workers write into ``tmp``, checked first.
    ``progress`` is called with each shard's length as it completes.

    A task's exception is raised here once the other tasks have stopped: the client writes
    :data:`STOP` into ``tmp``, which ``task`` checks before each job, and waits for the tasks
    under way to finish their current job, so that nothing writes into ``tmp`` once the caller
    deletes it."""
    from distributed import as_completed

    with connect(address) as client:
        parts = shards(jobs, shard_size(len(jobs), check_workers(client, tmp)))
        futures = client.map(task, parts, pure=False)
        order = {f.key: i for i, f in enumerate(futures)}
        done: dict[int, list[R]] = {}
        following = 0
        try:
            for future in as_completed(futures, loop=client.loop):
                results = future.result()  # raises the task's exception
                done[order[future.key]] = results
                if progress:
                    progress(len(results))
                while following in done:
                    yield from done.pop(following)
                    following += 1
        except BaseException:
            (tmp / STOP).touch()
            with contextlib.suppress(TimeoutError):
                for _ in as_completed(futures, loop=client.loop, timeout=STOP_TIMEOUT):
                    pass
            raise
        finally:
            client.cancel(futures)
