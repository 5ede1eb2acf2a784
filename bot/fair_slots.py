"""The answering slots, shared between servers so that one server's flood does not slow another's question.

At most ``n`` jobs run at once (CPU-bound answering in worker threads). Each server's *backlog* is its jobs here
(waiting, running or paused). Only the servers with the smallest backlog may start jobs: a server flooding the bot
waits while a quieter server has a question; among equals, the server running the fewest goes first, then the
oldest job.

Answering is mostly Python under one interpreter lock, and its reading stage holds the collection's lock, so
answers running side by side mostly slow each other down; a fair share of the slots would still leave a quiet
server's answer several times slower during a flood. So a job that calls its *checkpoint* (``pause(stage)``, which
the answerer calls between stages) also waits there, giving its slot up, while a server with a smaller backlog
has a job; and the ``"read"`` stage (until the next checkpoint or the job's end) is taken in turns, one job at a
time, the next turn going to the smallest backlog, then the oldest job: a flooder's answers queue here, not on the
collection's lock, where a quiet server's question would have to wait behind all of them. A job without
checkpoints simply runs to its end.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

#: The stage taken in turns (the answerer's reading of the collection, under its lock).
TURN_STAGE = "read"


@dataclass(eq=False)
class Job:
    """One job in the slots: its server, arrival order, and where it stands."""

    server: Hashable
    order: int
    started: asyncio.Future  # set when first granted a slot (awaited on the event loop)
    running: bool = False  # holds a slot
    blocked: bool = False  # its worker thread waits at a checkpoint
    wants_turn: bool = False  # ... for the reading turn
    has_turn: bool = False
    done: bool = False
    resumed: threading.Event = field(default_factory=threading.Event)  # set when a blocked job may go on


class FairSlots:
    """``async with slots.taken(server) as pause:`` waits for a slot, fairly across ``server`` keys (None: DMs/CLI);
    ``pause(stage)``, called in the job's worker thread between stages, waits while a server with a smaller backlog
    has work, and before the ``"read"`` stage for its turn."""

    def __init__(self, n: int) -> None:
        self.n = max(1, n)
        self.jobs: dict[Hashable, list[Job]] = {}  # per server, oldest first: every job not yet finished
        self.order = itertools.count()
        self.lock = threading.Lock()  # jobs pause and resume from worker threads
        self.turn: Job | None = None

    @property
    def busy(self) -> int:
        """Slots in use."""
        return sum(job.running for jobs in self.jobs.values() for job in jobs)

    @property
    def waiting(self) -> dict[Hashable, int]:
        """Server -> its jobs without a slot (not started yet, or paused at a checkpoint)."""
        counts = {server: sum(not job.running for job in jobs) for server, jobs in self.jobs.items()}
        return {server: count for server, count in counts.items() if count}

    def turn_queue(self) -> list[Job]:
        """The jobs waiting for the reading turn, oldest first."""
        return sorted((job for jobs in self.jobs.values() for job in jobs if job.blocked and job.wants_turn),
                      key=lambda job: job.order)

    def backlog(self, server: Hashable) -> int:
        """The server's jobs here: waiting, running or paused."""
        return len(self.jobs.get(server, ()))

    def outranked(self, server: Hashable) -> bool:
        """Whether another server with a smaller backlog has a job (so ``server``'s jobs give way to it)."""
        mine = self.backlog(server)
        return any(len(jobs) < mine for other, jobs in self.jobs.items() if other != server)

    @asynccontextmanager
    async def taken(self, server: Hashable = None) -> AsyncIterator[Callable[[str], None]]:
        loop = asyncio.get_running_loop()
        job = Job(server, next(self.order), loop.create_future())
        with self.lock:
            self.jobs.setdefault(server, []).append(job)
            self._grant()
        try:
            await job.started
        except asyncio.CancelledError:  # gives its place (and the slot, if granted just as it was cancelled) back
            self._finish(job)
            raise
        try:
            yield lambda stage="": self.checkpoint(job, stage)
        finally:
            self._finish(job)

    def checkpoint(self, job: Job, stage: str = "") -> None:
        """In ``job``'s worker thread, before ``stage``: end its turn if it has one; wait while a server with a
        smaller backlog has work (without a slot) and, before :data:`TURN_STAGE`, for its turn."""
        with self.lock:
            if job.done:
                return
            if self.n == 1 and job.running and not self.outranked(job.server):
                # the only job running, and nobody to give way to: it keeps its slot (and the turn, before the
                # reading stage) without a pass over every waiting job, what :meth:`_grant` would conclude too —
                # the answerer calls this between each step of its reading, with a flooder's queue behind it
                job.has_turn = stage == TURN_STAGE
                self.turn = job if job.has_turn else None
                return
            if job.has_turn:
                job.has_turn, self.turn = False, None
            job.blocked, job.wants_turn = True, stage == TURN_STAGE
            job.resumed.clear()
            self._grant()
        job.resumed.wait()

    def _finish(self, job: Job) -> None:
        with self.lock:
            if self.turn is job:
                self.turn = None
            job.done, job.running, job.blocked, job.has_turn = True, False, False, False
            jobs = self.jobs[job.server]
            jobs.remove(job)
            if not jobs:
                del self.jobs[job.server]
            self._grant()
            job.resumed.set()  # a worker thread still waiting (its caller was cancelled) goes on to its end

    def _grant(self) -> None:
        """After any change: free the slots of blocked jobs that are outranked, start or resume jobs of the
        least-backlogged servers while slots are free, and give the free turn. Call under the lock."""
        if not self.jobs:
            return
        least = min(len(jobs) for jobs in self.jobs.values())
        first = {server: jobs for server, jobs in self.jobs.items() if len(jobs) == least}
        for server, jobs in self.jobs.items():
            if server not in first:
                for job in jobs:
                    if job.blocked and job.running:  # waits at a checkpoint: its slot goes to a quieter server
                        job.running = False
        running = {server: sum(job.running for job in jobs) for server, jobs in first.items()}
        free = self.n - self.busy
        while free > 0:
            candidates = [(running[server], job.order, job) for server, jobs in first.items()
                          for job in jobs if not job.running]
            if not candidates:
                break
            job = min(candidates, key=lambda c: c[:2])[2]
            job.running = True
            running[job.server] += 1
            free -= 1
            if not job.blocked:  # not started yet
                if _on_loop(job.started.get_loop()):
                    _start(job.started)
                else:
                    job.started.get_loop().call_soon_threadsafe(_start, job.started)
        if self.turn is None:
            turns = [job for jobs in first.values() for job in jobs if job.blocked and job.running and job.wants_turn]
            if turns:
                self.turn = min(turns, key=lambda job: job.order)
                self.turn.has_turn = True
                self.turn.wants_turn = False
        for jobs in first.values():
            for job in jobs:
                if job.blocked and job.running and not job.wants_turn:
                    job.blocked = False
                    job.resumed.set()


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:  # a worker thread
        return False


def _start(started: asyncio.Future) -> None:
    if not started.done():  # a cancelled waiter is settled by its own CancelledError
        started.set_result(None)
