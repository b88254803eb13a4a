"""``make demo`` (``python -m mediasync.demo``): all of mediasync on one machine, offline.

Starts the four loopback fakes with a seeded world, prepares a fresh SQLite database in
``DEMO_DATA_DIR`` (default ``data/demo``, wiped at each start), creates the demo accounts,
servers, mappings and rules, serves the app with its job cluster and the Plex listener,
connects the fake Sonarr's webhook to it (a fresh secret, through Sonarr's API), runs the
first syncs with their progress printed, then prints the URL and, once, what to try (the
login page shows it too: the demo sets ``DEMO_MODE``). A few seconds later the fake Plex gains
an episode, which the listener brings to its show's page without a scan (and when Sonarr
holds that show, its import reaches mediasync's webhook too). Ctrl-C (or SIGTERM)
stops everything it started, web and workers first, then the fakes.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from catalog.auth.demo import DEMO_PASSWORD as PASSWORD
from catalog.auth.demo import what_to_try_lines

ROOT = Path(__file__).resolve().parent.parent
GAIN_AFTER = 5.0  # seconds after "ready" when the fake Plex gains an episode


class DemoFailed(Exception):
    """A step of the demo did not work; the message says which."""


class Demo:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.data = Path(args.data_dir).resolve()
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.interrupted = False  # set by the signal handler; no lock it could re-enter
        self.env: dict[str, str] = {}

    # processes -------------------------------------------------------------------------
    def spawn(self, name: str, argv: list[str], **kwargs: object) -> subprocess.Popen:
        # Own session: Ctrl-C reaches only us, and we stop the children in order.
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env or None,  # noqa: S603 - ours
                                start_new_session=True, **kwargs)
        self.children.append((name, proc))
        return proc

    def manage(self, *argv: str) -> None:
        argv_full = [sys.executable, "manage.py", *argv]
        result = subprocess.run(argv_full, cwd=ROOT, env=self.env,  # noqa: S603 - our manage.py
                                start_new_session=True, check=False)
        if result.returncode:
            raise DemoFailed(f"manage.py {' '.join(argv)} exited with {result.returncode}")

    def stop(self) -> None:
        """Web and workers first (they may be finishing a page), then the fakes."""
        for name, proc in reversed(self.children):
            if proc.poll() is None:
                proc.terminate()  # the leader stops its own workers (gunicorn, qcluster)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    print(f"demo: {name} did not stop in 20 s; killing it", flush=True)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # whatever of its group is left
            proc.wait()
        self.children.clear()

    # steps ------------------------------------------------------------------------------
    def fakes(self) -> dict[str, str]:
        env_file = self.data / "fakes.env"
        self.spawn("fakes", [sys.executable, "-m", "integrations.fakes", "--shows",
                             str(self.args.shows), "--env-file", str(env_file)],
                   stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not env_file.exists():
            if time.monotonic() > deadline or self.children[-1][1].poll() is not None:
                raise DemoFailed("the fakes did not start")
            time.sleep(0.1)
        pairs = (shlex.split(line.removeprefix("export "))[0].split("=", 1)
                 for line in env_file.read_text().splitlines() if line.strip())
        return dict(pairs)

    def serve(self) -> None:
        port = str(self.args.port)
        self.spawn("web", [sys.executable, "-m", "gunicorn", "mediasync.wsgi:application",
                           "--bind", f"127.0.0.1:{port}", "--workers", "2",
                           "--graceful-timeout", "5", "--log-level", "warning"])
        self.spawn("cluster", [sys.executable, "manage.py", "qcluster"])
        self.spawn("listener", [sys.executable, "manage.py", "listen"])
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline or any(p.poll() is not None
                                                   for _, p in self.children):
                raise DemoFailed(f"the web server did not answer on port {port}")
            time.sleep(0.2)

    def run(self) -> None:
        started = time.monotonic()
        if self.data.exists():
            shutil.rmtree(self.data)
        self.data.mkdir(parents=True)
        print(f"demo: seeding the fakes ({self.args.shows} TVMaze shows) …", flush=True)
        base = {k: v for k, v in os.environ.items()
                if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
        self.env = {**base, **self.fakes(), "DATA_DIR": str(self.data),
                    "DJANGO_SETTINGS_MODULE": "mediasync.settings", "LOG_LEVEL": "warning",
                    "MEDIASYNC_ADMIN_USER": "admin", "MEDIASYNC_ADMIN_PASSWORD": PASSWORD,
                    "Q_WORKERS": "2", "RUN_HEARTBEAT_SECONDS": "1", "DEMO_MODE": "1",
                    # the fake Sonarr's webhook calls this mediasync (a few seconds after an
                    # import, not Sonarr's default 30: the demo is watched live)
                    "DEMO_WEBHOOK_BASE": f"http://127.0.0.1:{self.args.port}",
                    "SONARR_WEBHOOK_REFRESH_DELAY": "5"}
        print("demo: preparing a fresh database …", flush=True)
        self.manage("demo_seed", "--prepare")
        self.serve()
        url = f"http://127.0.0.1:{self.args.port}/"
        print(f"demo: serving {url} — first syncs (follow them on {url}runs/):", flush=True)
        self.manage("demo_seed", "--sync")
        self.manage("setup_schedules")  # after the first syncs, so none races them
        fakes = self.children[0][1]
        print(f"\ndemo ready in {time.monotonic() - started:.0f} s: {url}\n"
              f"accounts: operator, viewer and admin, password {PASSWORD}\n"
              "what to try:\n" + "\n".join(what_to_try_lines())
              + f"\n  In {GAIN_AFTER:.0f} s the fake Plex gains an episode (the line below "
              f"names it): open that show's page and watch it appear within seconds, no scan "
              f"(the Plex listener refreshed that one show). `kill -USR1 {fakes.pid}` adds "
              "another.\nCtrl-C stops everything.", flush=True)
        gain_at = time.monotonic() + GAIN_AFTER
        while True:
            time.sleep(0.5)
            if gain_at and time.monotonic() >= gain_at:
                gain_at = 0.0
                fakes.send_signal(signal.SIGUSR1)
            dead = [name for name, proc in self.children if proc.poll() is not None]
            if dead:
                raise DemoFailed(f"{dead[0]} stopped unexpectedly")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mediasync.demo")
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", 8000)))
    parser.add_argument("--shows", type=int, default=int(os.environ.get("DEMO_SHOWS", 3000)))
    parser.add_argument("--data-dir", default=os.environ.get("DEMO_DATA_DIR",
                                                             str(ROOT / "data" / "demo")))
    demo = Demo(parser.parse_args(argv))
    def interrupt(*_: object) -> None:
        """The first signal stops the demo; later ones (Ctrl-C twice, SIGTERM too) are
        ignored at once, so none can cut the stop short or re-enter it."""
        if demo.interrupted:
            return
        demo.interrupted = True
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, interrupt)
    code = 0
    try:
        demo.run()
    except KeyboardInterrupt:
        pass
    except DemoFailed as exc:
        if not demo.interrupted:
            print(f"demo failed: {exc}", file=sys.stderr, flush=True)
            code = 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)  # a Ctrl-C now must not orphan children
        print("demo: stopping …", flush=True)
        demo.stop()
        print("demo: stopped.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
