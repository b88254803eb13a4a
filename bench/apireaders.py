"""API clients reading in a loop, in a process of their own (no Django here: a spawned
child imports this module alone)."""

from __future__ import annotations

import random
import threading
import time
from multiprocessing.connection import Connection


def read_until_told(url: str, token: str, clients: int, conn: Connection) -> None:
    """``clients`` threads reading until told to stop; sends back (latencies s, errors)."""
    import requests

    stop, latencies, errors = threading.Event(), [], []

    def client(seed: int) -> None:
        rng, session = random.Random(seed), requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        while not stop.is_set():
            path = (f"/api/shows/?page={rng.randint(1, 20)}" if rng.random() < 0.7
                    else f"/api/shows/?search=show+{rng.randint(1, 999)}")
            began = time.perf_counter()
            try:
                status = session.get(url + path, timeout=30).status_code
            except requests.RequestException as exc:
                errors.append(type(exc).__name__)
                continue
            latencies.append(time.perf_counter() - began)
            if status not in (200, 404):  # 404: a page past the end while the catalog fills
                errors.append(str(status))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    conn.send("reading")
    conn.recv()  # the mirror is done
    stop.set()
    for thread in threads:
        thread.join()
    conn.send((latencies, errors))
