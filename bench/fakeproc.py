"""Runs a fake in its own process, so the bench measures mediasync and not the fake.

``FakeProcess(TvmazeFake, count=100_000)`` starts the fake in a child; ``call(name, *args)``
runs a method (or reads an attribute) of the fake there and returns the result.
"""

from __future__ import annotations

import multiprocessing as mp
from multiprocessing.connection import Connection
from typing import Any


def _serve(factory: type, kwargs: dict[str, Any], conn: Connection) -> None:
    fake = factory(**kwargs).start()
    conn.send(fake.url)
    while True:
        name, args, kwargs = conn.recv()
        if name == "__stop__":
            fake.stop()
            conn.send(None)
            return
        try:
            target = getattr(fake, name)
            conn.send(("ok", target(*args, **kwargs) if callable(target) else target))
        except Exception as exc:  # reported to the bench, which raises it
            conn.send(("error", repr(exc)))


class FakeProcess:
    def __init__(self, factory: type, **kwargs: Any) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(factory, kwargs, child), daemon=True)
        self._proc.start()
        self.url: str = self._conn.recv()

    @property
    def pid(self) -> int:
        """The fake's process, for its CPU time."""
        return self._proc.pid

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self._conn.send((name, args, kwargs))
        status, value = self._conn.recv()
        if status == "error":
            raise RuntimeError(f"fake {name} failed: {value}")
        return value

    def stop(self) -> None:
        self._conn.send(("__stop__", (), {}))
        self._conn.recv()
        self._proc.join(timeout=10)

    def __enter__(self) -> FakeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
