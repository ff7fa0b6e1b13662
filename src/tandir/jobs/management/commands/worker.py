"""`tandir worker`: the task queue's cluster (django-q2) with the nightly schedule installed.

Without options it runs until stopped (SIGTERM or Ctrl-C finish the task at hand first).
`--burst` runs what is due now in this process and exits: the library's scheduler once, then
its pusher, worker and monitor over the queue until it is empty (for tests, and for a machine
that prefers cron to a service).
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django_q.brokers import get_broker
from django_q.cluster import Cluster
from django_q.monitor import monitor
from django_q.pusher import pusher
from django_q.queues import Queue
from django_q.scheduler import scheduler
from django_q.worker import worker

from tandir.jobs.actions import install_periodic_jobs


def run_burst(max_tasks: int = 1000) -> int:
    """Hand every due schedule to the queue, then work the queue empty here; tasks done."""
    broker = get_broker()
    scheduler(broker=broker)
    done = 0
    while done < max_tasks and broker.queue_size() > 0:
        tasks: Queue = Queue()
        results: Queue = Queue()
        stop = multiprocessing.Event()
        stop.set()  # one pass of the pusher
        pusher(tasks, stop, broker=broker)
        batch = tasks.qsize()
        if batch == 0:
            break
        tasks.put("STOP")
        worker(tasks, results, multiprocessing.Value("f", -1))
        results.put("STOP")
        monitor(results, broker=broker)
        done += batch
        # A task may have queued another (a retry without delay): go round again.
        scheduler(broker=broker)
    return done


class Command(BaseCommand):
    help = "Run the scheduled jobs: close of business every night in each organisation's zone."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--burst",
            action="store_true",
            help="run what is due now in this process, then exit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        install_periodic_jobs()
        if options["burst"]:
            done = run_burst()
            self.stdout.write(f"worker: {done} task(s) done")
            return
        cluster = Cluster()
        cluster.start()
        self.stdout.write("worker: running (Ctrl-C or SIGTERM to stop)")
        self.stdout.flush()
        # The cluster's own signal handler stops it; wait for its sentinel to end.
        while cluster.sentinel is not None and cluster.sentinel.is_alive():
            time.sleep(0.5)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        self.stdout.write("worker: stopped")
