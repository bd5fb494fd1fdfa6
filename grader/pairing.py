"""Which exercise each job of a batch grades next, so that jobs side by side share the cores
instead of fighting over them.

Some specs keep more than one core busy (07's pools, 12's workers racing for a lock), others
mostly wait (04's children sleep). On two cores two busy sessions side by side both run
longer, while a busy one beside one that waits runs as if alone. Each job of a batch is a
:class:`Lane`: it grades one student's exercises a session at a time, in any order (the
results are put back in catalogue order). The :class:`Pairing` learns from every session
that ended by itself how many cores its exercise keeps busy (its tree's CPU seconds over its
wall-clock seconds) and how long it runs. When a lane chooses its next session (while its
current one runs, so that the next one can be prepared), it predicts what the other lanes
will be running when that session starts and takes the remaining exercise that brings the
lanes together closest to what they keep busy on average (the lanes times a typical
session's cores): beside a busy session one that waits, beside one that waits the busiest,
middling beside middling. Not the machine's cores: a session's average hides its bursts, and
two sessions that add up to the cores already slow each other down. An exercise not
measured yet is taken first, in the order given, so the first students of a batch are graded
in the order they would be without pairing, and teach it.

The supervisor owns the pairing; each lane is used by one job's thread at a time, and what
they share is read and written under the pairing's lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from grader.catalog import Exercise
from grader.session import Cost


@dataclass
class Measured:
    """What the sessions of one exercise took, added up."""

    wall: float = 0.0
    cpu: float = 0.0
    sessions: int = 0

    @property
    def cores(self) -> float:
        """How many cores its sessions kept busy on average."""
        return self.cpu / self.wall if self.wall > 0 else 0.0

    @property
    def seconds(self) -> float:
        """How long one of its sessions runs on average."""
        return self.wall / self.sessions if self.sessions else 0.0


class Pairing:
    """The lanes of one batch and what they learned about each exercise (see the module)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.measured: dict[str, Measured] = {}
        self.lanes: list[Lane] = []

    def lane(self) -> Lane:
        """A new lane (one per job)."""
        with self.lock:
            lane = Lane(self)
            self.lanes.append(lane)
            return lane

    def cores_of(self, name: str | None) -> float:
        """How many cores a session of ``name`` keeps busy; for an exercise not measured yet
        (or not known yet: None), what a session typically does."""
        if name is not None and name in self.measured:
            return self.measured[name].cores
        return self.typical()

    def typical(self) -> float:
        """How many cores a session keeps busy, over every session measured (1 if none)."""
        wall = sum(m.wall for m in self.measured.values())
        return sum(m.cpu for m in self.measured.values()) / wall if wall > 0 else 1.0

    def ends_at(self, name: str, since: float) -> float:
        """When a session of ``name`` that started at ``since`` should end."""
        measured = self.measured.get(name)
        return since + (measured.seconds if measured is not None else 0.0)


class Lane:
    """One job of a batch: what it runs now (from when), and what it chose to run next."""

    def __init__(self, pairing: Pairing) -> None:
        self.pairing = pairing
        self.running: str | None = None
        self.since = 0.0
        self.next: str | None = None

    def pick(self, remaining: Sequence[Exercise]) -> Exercise:
        """The exercise of ``remaining`` this lane runs next (see the module)."""
        if not remaining:
            raise ValueError("no exercise left to pick from")
        pairing = self.pairing
        with pairing.lock:
            untried = [e for e in remaining if e.name not in pairing.measured]
            if untried:
                chosen = untried[0]
            else:
                # Aim at the busyness the lanes have on average together, not at the cores:
                # a session's average hides bursts, and two that add up to the cores
                # already slow each other down.
                wanted = len(pairing.lanes) * pairing.typical() - self._beside(time.monotonic())
                chosen = min(remaining, key=lambda e: abs(pairing.cores_of(e.name) - wanted))
            self.next = chosen.name
            return chosen

    def _beside(self, now: float) -> float:
        """The cores the other lanes should keep busy when this lane's next session starts
        (the caller holds the lock)."""
        pairing = self.pairing
        starts = pairing.ends_at(self.running, self.since) if self.running else now
        load = 0.0
        for other in pairing.lanes:
            if other is self:
                continue
            if other.running and pairing.ends_at(other.running, other.since) > starts:
                load += pairing.cores_of(other.running)
            elif other.next:
                load += pairing.cores_of(other.next)
            elif other.running:  # by then it runs something it has not chosen yet
                load += pairing.cores_of(None)
        return load

    def started(self, exercise: Exercise) -> None:
        """The session of ``exercise`` (this lane's chosen next) was let run now."""
        with self.pairing.lock:
            self.running, self.since, self.next = exercise.name, time.monotonic(), None

    def ended(self, exercise: Exercise, cost: Cost | None) -> None:
        """The session of ``exercise`` ended; ``cost`` is what it took if it ended by itself."""
        with self.pairing.lock:
            self.running = None
            if cost is not None and cost.wall > 0:
                measured = self.pairing.measured.setdefault(exercise.name, Measured())
                measured.wall += cost.wall
                measured.cpu += cost.cpu
                measured.sessions += 1

    def idle(self) -> None:
        """This lane's grading of a student is over (done or stopped): until it picks again
        the others count on nothing of it."""
        with self.pairing.lock:
            self.running = self.next = None
