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
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace

from painter.machine import available_memory, local_gpus, usable_cores
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
    where.add_argument("--workers", type=workers_count, metavar="N|auto",
                       help="how many workers to start here, each painting one task at a "
                            "time: at most one per core, and as many as memory holds "
                            f"(default, or auto: {workers_default}, as memory allows)")
    where.add_argument("--threads", type=whole_number(1, maximum=1024),
                       help="cores TensorFlow may use in each worker (default: here, the "
                            "cores shared out among the workers; on a cluster, all a worker "
                            "sees)")
    where.add_argument("--connect-timeout", type=positive_number, default=10,
                       metavar="SECONDS", help=argparse.SUPPRESS)  # the tests shorten it
    return where


def workers_count(text):
    """An argparse type: --workers N (1 to 1024), or auto (None: as the machine allows)."""
    return None if text == "auto" else whole_number(1, maximum=1024)(text)


@dataclass(frozen=True, kw_only=True)
class ClusterSettings:
    """Where the work runs: the scheduler at `address`, or a local cluster of `workers`
    processes started here (None until fit_workers settles it), each with `threads` cores for
    TensorFlow (None: all it sees) and, with `gpu_each` (set by fit_workers where this machine
    has GPUs), the GPU of its number."""
    address: str = None
    workers: int = None
    threads: int = None
    gpu_each: bool = False
    connect_timeout: float = 10


def cluster_settings(args):
    """The ClusterSettings of the options. A local cluster gets at most one worker per core
    (each paints with TensorFlow on at least one): more is refused here, before anything
    loads; memory and GPUs settle the rest once the pictures are known (fit_workers). A cluster at
    --address has its own workers."""
    if args.address and args.workers:
        raise UserError("--workers: the cluster at --address has its own workers")
    if args.address:
        return ClusterSettings(address=args.address, threads=args.threads,
                               connect_timeout=args.connect_timeout)
    cores = usable_cores()
    if args.workers is not None and args.workers > cores:
        raise UserError(f"--workers {args.workers}: this machine has {plural(cores, 'core')}, "
                        "and each worker paints on at least one; give at most "
                        f"{cores}, or --workers auto")
    if args.threads is not None and args.threads * (args.workers or 1) > cores:
        raise UserError(f"--threads {args.threads}: this machine has {plural(cores, 'core')} "
                        f"for {plural(args.workers or 1, 'worker')}; give at most "
                        f"{max(1, cores // (args.workers or 1))}, or leave --threads out (the "
                        "cores shared out among the workers)")
    return ClusterSettings(workers=args.workers, threads=args.threads,
                           connect_timeout=args.connect_timeout)


def fit_workers(where, per_worker):
    """`where` with its local cluster settled against this machine's memory, each worker
    needing `per_worker` bytes (TensorFlow, VGG16 and its largest evaluation): no --workers
    (or auto) starts one per GPU, or per core, as many as memory holds; a number that memory
    cannot hold is refused, naming the number that fits. Each worker gets its share of the
    cores unless --threads says otherwise."""
    if where.address:
        return where
    free = available_memory()
    fits = int(free // per_worker)
    if fits < 1:
        raise UserError(f"a worker needs about {per_worker / 1e9:.1f} GB of memory and "
                        f"{max(free, 0) / 1e9:.1f} GB is free; paint smaller pictures "
                        "(--size) or free some memory")
    if where.workers is not None and where.workers > fits:
        raise UserError(f"--workers {where.workers}: each needs about {per_worker / 1e9:.1f} "
                        f"GB of memory and {max(free, 0) / 1e9:.1f} GB is free, enough for "
                        f"{plural(fits, 'worker')}; give --workers {fits} or fewer, or "
                        "--workers auto")
    gpus = local_gpus()  # TensorFlow loads here, with the run: the options never wait for it
    workers = where.workers or min(gpus or usable_cores(), fits)
    return replace(where, workers=workers, gpu_each=gpus > 0,
                   threads=where.threads or max(1, usable_cores() // workers))


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
    # A cluster that fails to start leaves semaphores behind, and multiprocessing's resource
    # tracker, a process of its own started with this one's warning options, would list them
    # at exit: the ClusterFailed line has said what went wrong.
    quiet = "ignore::UserWarning:multiprocessing.resource_tracker"
    if quiet not in sys.warnoptions:
        sys.warnoptions.append(quiet)
    # Ports free now; the workers' and scheduler's own logs silenced (a worker that cannot
    # start would print its traceback: the ClusterFailed line says it in one).
    cluster = LocalCluster(n_workers=where.workers, threads_per_worker=1, processes=True,
                           dashboard_address=":0", scheduler_port=0,
                           silence_logs=logging.CRITICAL)
    return Client(cluster), cluster


def check_address(where):
    """Refuse now, in one line, a scheduler at where.address that does not answer: before a
    run does what it cannot undo (--fresh forgets a clip's painted frames)."""
    if where.address:
        client, _ = connect(where)
        client.close()


class ClusterFailed(Exception):
    """The local cluster did not start: one line and exit status 1, never a traceback."""


@contextmanager
def running(where, tasks):
    """The cluster for a job of `tasks` tasks, reached or started here (connect), with a line
    saying which; closed afterwards. Yields (the Client, whether the cluster is local)."""
    try:
        client, local = connect(where)
    except UserError:
        raise
    except Exception as error:  # noqa: BLE001  (a worker that cannot start, a port refused)
        raise ClusterFailed(f"the local cluster of {plural(where.workers, 'worker')} did not "
                            f"start ({why_lost(error)})") from None
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
        from tqdm import tqdm  # the [cluster] extra's: the options above need only ours
        self.failed = []
        self.gave_up = None   # why the whole job ended, if it did
        self.bar = tqdm(total=total, initial=initial, unit=unit, desc="Painting",
                        disable=None, dynamic_ncols=True)

    def say(self, line):
        with type(self.bar).external_write_mode():
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
