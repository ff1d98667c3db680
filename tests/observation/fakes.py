"""Test fakes for the observation engine: a clock that moves only when told and a sink
that keeps events in a list. They live with the tests, not in ``desktop.observation``:
the app records on the real clock into the store."""

from __future__ import annotations

from desktop.observation import events as ev


class FakeClock:
    """A clock that moves only when told; both readings move together."""

    def __init__(self, monotonic: float = 1000.0, wall: float = 1_741_075_200.0) -> None:
        self._mono = monotonic
        self._wall = wall

    def monotonic(self) -> float:
        return self._mono

    def wall(self) -> float:
        return self._wall

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a monotonic clock cannot go back")
        self._mono += seconds
        self._wall += seconds

    def set(self, monotonic: float) -> None:
        """Move the monotonic reading to ``monotonic`` (wall moves by the same amount)."""
        self.advance(monotonic - self._mono)


class MemorySink:
    """A sink that keeps events in a list (a model for the store's sink)."""

    def __init__(self) -> None:
        self.events: list[ev.ObservationEvent] = []

    def __call__(self, event: ev.ObservationEvent) -> None:
        self.events.append(event)
