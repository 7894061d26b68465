"""The Dask machinery that batches and clips share: the cluster's options, reaching it, watching it.

  * ClusterSettings: where the work runs, from the options (--address, --workers, --threads);
  * connect: a local cluster of --workers processes, one task at a time each, or the scheduler
    at --address (`dask scheduler` on one machine, `dask worker ADDRESS` on each of the others);
  * watch: the results as they come, a line for each worker that leaves (Dask paints its task
    again elsewhere), and the stop asked for by Ctrl-C.

A job handed to watch (a Job: batch_run's Batch, shots' ClipJob) says how its results are kept,
and has the progress bar and the lines. What runs on the workers is workers.py's.
"""
import argparse
import logging
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass

from tqdm import tqdm

from painter.machine import local_gpus, usable_cores
from painter.options import positive_number, whole_number
from painter.startup import UserError
from painter.words import and_list, plural, say

# Dask's own notices (workers starting, a worker gone, a task's traceback) would bury our
# lines, which say the same in one line each. Set before distributed loads, here and
# (inherited) in the workers a local cluster starts.
os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")

PAINT = "paint-"  # every painting task's key starts so: the scheduler is told how long they take


def add_cluster_options(parser, workers_default):
    """The options that say where the work runs; `workers_default` ends --workers' help."""
    where = parser.add_argument_group("where it runs")
    where.add_argument("--address", metavar="tcp://HOST:PORT",
                       help="a Dask scheduler's address (`dask scheduler` prints it): paint "
                            "on its workers instead of starting some here")
    where.add_argument("--workers", type=whole_number(1, maximum=1024),
                       help="how many workers to start here, each painting one task at a "
                            f"time (default: {workers_default})")
    where.add_argument("--threads", type=whole_number(1, maximum=1024),
                       help="cores TensorFlow may use in each worker (default: here, the "
                            "cores shared out among the workers; on a cluster, all a worker "
                            "sees)")
    where.add_argument("--connect-timeout", type=positive_number, default=10,
                       metavar="SECONDS", help=argparse.SUPPRESS)  # the tests shorten it
    return where


@dataclass(frozen=True, kw_only=True)
class ClusterSettings:
    """Where the work runs: the scheduler at `address`, or a local cluster of `workers`
    processes started here, each with `threads` cores for TensorFlow (None: all it sees) and,
    with `gpu_each`, the GPU of its number."""
    address: str = None
    workers: int = None
    threads: int = None
    gpu_each: bool = False
    connect_timeout: float = 10


def cluster_settings(args):
    """The ClusterSettings of the options: a local cluster gets one worker per GPU, or without
    one, per core, each with its share of the cores; a cluster at --address has its own."""
    if args.address and args.workers:
        raise UserError("--workers: the cluster at --address has its own workers")
    if args.address:
        return ClusterSettings(address=args.address, threads=args.threads,
                               connect_timeout=args.connect_timeout)
    gpus = local_gpus()
    workers = args.workers or gpus or usable_cores()
    return ClusterSettings(workers=workers, gpu_each=gpus > 0,
                           threads=args.threads or max(1, usable_cores() // workers),
                           connect_timeout=args.connect_timeout)


def connect(where):
    """A Dask Client: to the scheduler at where.address, or to a cluster of where.workers
    processes started here (one task at a time each). Returns (client, cluster or None)."""
    import dask
    from distributed import Client, LocalCluster
    # Its client's logger has a level of its own (a picture "rescheduled" when the worker that
    # held it died before we fetched it: our line about the worker says so).
    logging.getLogger("distributed.client").setLevel(logging.CRITICAL)
    # A task the scheduler has not timed yet counts as half a second, so it would send every
    # picture to the worker that holds its photo and style, and leave the others idle until
    # it steals some back. A picture takes longer than that: say so (the scheduler here).
    dask.config.set({f"distributed.scheduler.default-task-durations.{PAINT[:-1]}":
                     "1 minute"})
    if where.address:
        try:
            return Client(where.address, timeout=where.connect_timeout), None
        except (OSError, TimeoutError, ValueError) as error:
            raise UserError(f"--address {where.address}: no Dask scheduler answered "
                            f"({error})") from None
    cluster = LocalCluster(n_workers=where.workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0", scheduler_port=0)  # ports free now
    return Client(cluster), cluster


@contextmanager
def running(where, tasks):
    """The cluster for a job of `tasks` tasks, reached or started here (connect), with a line
    saying which; closed afterwards. Yields (the Client, whether the cluster is local)."""
    client, local = connect(where)
    try:
        workers = len(client.processing())
        say(f"Cluster: {plural(workers, 'worker')} "
            f"({where.address or 'on this machine'}), {plural(tasks, 'task')}"
                + ("; waiting for a worker to join (Ctrl-C stops)" if not workers else ""))
        yield client, local is not None
    finally:
        client.close()
        if local is not None:
            local.close()


class Job:
    """What watch hands the results to: a subclass says in `arrived(result)` how one is kept.
    One progress bar of `total` things (`initial` done before), and a line for each event,
    written above the bar."""

    def __init__(self, total, initial, unit):
        self.failed = []
        self.gave_up = None   # why the whole job ended, if it did
        self.bar = tqdm(total=total, initial=initial, unit=unit, desc="Painting",
                        disable=None, dynamic_ncols=True)

    def say(self, line):
        with tqdm.external_write_mode():
            say(line)

    def give_up(self, why):
        self.gave_up = why
        self.say(f"Giving up: {why}")

    def lost(self, name, error):
        self.failed.append(name)
        self.say(f"{name}: failed ({why_lost(error)})")


NO_WORKER_SECONDS = 60  # a local cluster with no worker for this long has lost them for good


def watch(client, futures, job, stop, local):
    """Collect the results of `futures` ({future: task name}) as they come, until all are in
    or a stop is asked for. A worker that leaves (killed, or its machine gone) gets a line
    naming what it was painting, which Dask paints again on another worker (up to
    distributed.scheduler.allowed-failures times). A local cluster left with no worker gives
    up after NO_WORKER_SECONDS; a remote one waits for a worker to join."""
    from distributed import as_completed
    pending, working, alone_since = as_completed(futures), client.processing(), None
    while not pending.is_empty():
        if stop.is_set() or job.gave_up:
            client.cancel(list(futures))
            return
        for future in pending.next_batch(block=False):
            collect(future, futures[future], pending, job)
        now = client.processing()  # {worker: the keys it is working on}, from the scheduler
        for gone in sorted(set(working) - set(now)):
            painting = [key[len(PAINT):] for key in working[gone]
                        if str(key).startswith(PAINT)]
            job.say(f"A worker stopped ({gone}) while painting "
                    f"{and_list(painting) if painting else 'nothing'}"
                    + (": painted again by another" if painting else ""))
        if now or alone_since is None:
            alone_since = None if now else time.monotonic()
            if not now and working:
                job.say("No worker is left" + (": waiting for one to come back" if local
                                               else ": waiting for one to join"))
        elif local and time.monotonic() - alone_since > NO_WORKER_SECONDS:
            job.give_up(f"no worker came back in {NO_WORKER_SECONDS} s")
        working = now
        time.sleep(0.1)


def collect(future, name, pending, job):
    """One result that came back. Fetching it waits (a second at most: a stop must be heard)
    when the worker that held it has died since and it is being painted again."""
    try:
        job.arrived(future.result(timeout=1))
    except TimeoutError:
        pending.add(future)  # it comes back again when painted
    except OSError:
        raise
    except Exception as error:  # noqa: BLE001  (a worker died too often, say)
        job.lost(name, error)


def why_lost(error):
    """A failed task's reason, in one line."""
    why = f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"
    if "deserialization" in why:  # the scheduler cannot import our modules to read it
        why = ("the scheduler could not read the task: install this project on every machine "
               "(pip install \".[cluster]\" in its folder), or start the scheduler and the "
               "workers in its folder with PYTHONPATH=$PWD (docs/batches.md: On a cluster of "
               "several machines)")
    return why
