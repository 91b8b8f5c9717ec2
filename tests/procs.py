"""Real `chibot run --webhook` processes behind a round-robin load balancer, for the tests and
the benchmark of several processes on one PostgreSQL database.

`Balancer` is what Telegram posts updates to: an HTTP server on 127.0.0.1 that hands each
webhook request to the next worker in turn (trying the following one when a worker does not
answer, as a load balancer with passive health checks does), and can hand a copy of some
updates to a second worker too, as Telegram does when it retries a delivery whose answer it
did not get. `Worker` is one `python -m chibot run` slot (a name and a port); each start is a
new OS process whose output goes to its own log file. `Deployment` ties the workers to one
database, one fake Telegram and one balancer.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import itertools
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import aiohttp
from aiohttp import web

from bot.db import Database
from bot.models import MemberStatus, Role
from bot.services import invites, leases, meetings, members, orgs, people
from bot.services.meetings import MeetingDraft
from fake_telegram import FakeChat, FakeTelegram, FakeUser
from tests.pg import free_port

ROOT = Path(__file__).resolve().parent.parent
# The balancer is the public base URL; each worker listens under /telegram/<from the secret>.
WEBHOOK_PATH = ""
WEBHOOK_SECRET = "bi-mat-cua-chi-bo"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RUNNING = re.compile(r"chibot is running \(process (\w+)\)")
START_SECONDS = 60.0
STOP_SECONDS = 30.0
LOG_TAIL_LINES = 60

# Leadership changes hands within about two seconds (production: renew 2 s, expire 10 s).
FAST_LEASES = {
    "CHIBOT_LEADER_RENEW_SECONDS": "0.2",
    "CHIBOT_LEADER_EXPIRE_SECONDS": "2",
    "CHIBOT_CLAIM_LEASE_SECONDS": "2",
    "CHIBOT_OUTBOX_POLL_SECONDS": "0.1",
}


async def wait_for(
    condition: Callable[[], bool | Awaitable[bool]], seconds: float, what: str
) -> None:
    """Polls `condition` (sync, or async) until it holds; TimeoutError after `seconds`.

    Never an assertion on time: `seconds` is a generous deadline against a hang.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise TimeoutError(f"not within {seconds:.0f} s: {what}")
        await asyncio.sleep(0.1)


def most_in_window(times: Sequence[float], seconds: float) -> int:
    """The most of `times` (seconds, any order) that fall within any window of `seconds`."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


# --- the load balancer ------------------------------------------------------------------------


@dataclass
class Balancer:
    """A round-robin HTTP load balancer in front of the workers' webhook listeners.

    Attributes:
        backends: The workers' base URLs, e.g. "http://127.0.0.1:41001" (a list the
            deployment keeps up to date; a worker that is down just fails to connect).
        duplicate_every: Every Nth update is also handed to the next worker (0: never), as
            when Telegram retries an update whose first delivery did get through.
        forwarded: Requests each backend answered with 2xx (duplicates included).
        duplicated_updates: The updates that were handed to a second worker.
    """

    backends: list[str] = field(default_factory=list)
    duplicate_every: int = 0
    forwarded: dict[str, int] = field(default_factory=dict)
    duplicated_updates: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    _turn: itertools.count[int] = field(default_factory=itertools.count)
    _requests: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None
    _copies: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> str:
        """Listens on a free port of 127.0.0.1; returns (and keeps in `url`) its base URL."""
        app = web.Application()
        app.router.add_post("/{path:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        return self.url

    async def stop(self) -> None:
        """Stops listening and closes the connections to the workers."""
        for task in list(self._copies):
            task.cancel()
        if self._copies:
            await asyncio.gather(*self._copies, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _post(
        self, backend: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes] | None:
        assert self._session is not None
        try:
            async with self._session.post(backend + path, data=body, headers=headers) as resp:
                answer = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError):
            return None
        if 200 <= status < 300:
            self.forwarded[backend] = self.forwarded.get(backend, 0) + 1
        return status, answer

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        path = request.path
        headers = {"Content-Type": request.headers.get("Content-Type", "application/json")}
        if SECRET_HEADER in request.headers:
            headers[SECRET_HEADER] = request.headers[SECRET_HEADER]
        number = next(self._requests)
        backends = list(self.backends)
        if not backends:
            return web.Response(status=502, text="no backend")
        first = next(self._turn) % len(backends)
        order = backends[first:] + backends[:first]
        for index, backend in enumerate(order):
            answered = await self._post(backend, path, body, headers)
            if answered is None:
                continue  # down (stopped, restarting): the next one gets it
            status, answer = answered
            if self.duplicate_every and number % self.duplicate_every == 0 and len(order) > 1:
                other = order[(index + 1) % len(order)]
                with contextlib.suppress(ValueError):
                    self.duplicated_updates.append(json.loads(body))
                copy = asyncio.create_task(self._copy(other, path, body, headers))
                self._copies.add(copy)
                copy.add_done_callback(self._copies.discard)
            return web.Response(status=status, body=answer)
        return web.Response(status=502, text="every backend is down")

    async def _copy(self, backend: str, path: str, body: bytes, headers: dict[str, str]) -> None:
        await self._post(backend, path, body, headers)


# --- the workers ------------------------------------------------------------------------------


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Makes the worker get SIGKILL if the test process dies (no orphan keeps the port)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)


@dataclass
class Run:
    """One OS process of a worker slot."""

    number: int
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]
    process_id: str | None = None  # the runtime's id in leases and claims, once running

    def log(self) -> str:
        """The process's output so far."""
        self.log_file.flush()
        return self.log_path.read_text(errors="replace")


@dataclass
class Worker:
    """One `chibot run --webhook` slot: a name and a webhook port kept across restarts."""

    name: str
    port: int
    env: dict[str, str]
    directory: Path
    runs: list[Run] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        """Where the balancer reaches this worker."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def current(self) -> Run | None:
        """The latest process (alive or not)."""
        return self.runs[-1] if self.runs else None

    @property
    def alive(self) -> bool:
        """Tells whether the latest process is still running."""
        run = self.current
        return run is not None and run.process.poll() is None

    @property
    def process_id(self) -> str | None:
        """The runtime id of the latest process (None before it said it is running)."""
        run = self.current
        return run.process_id if run is not None else None

    def spawn(self) -> Run:
        """Starts a new process (call from the event loop's thread: see `_die_with_parent`)."""
        if self.alive:
            raise RuntimeError(f"worker {self.name} is already running")
        number = len(self.runs) + 1
        log_path = self.directory / f"worker-{self.name}-{number}.log"
        log_file = log_path.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "chibot", "run"],
            cwd=self.directory,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # only prctl: safe between fork and exec
        )
        run = Run(number, process, log_path, log_file)
        self.runs.append(run)
        return run

    async def started(self) -> Run:
        """Waits until the latest process serves its webhook (it logged "chibot is running")."""
        run = self.current
        assert run is not None

        def running() -> bool:
            if run.process.poll() is not None:
                raise RuntimeError(
                    f"worker {self.name} exited with {run.process.returncode} while starting:"
                    f"\n{run.log()}"
                )
            found = RUNNING.search(run.log())
            if found is not None:
                run.process_id = found.group(1)
            return found is not None

        await wait_for(running, START_SECONDS, f"worker {self.name} running")
        return run

    def signal(self, signum: int) -> None:
        """Sends a signal to the latest process."""
        run = self.current
        assert run is not None
        run.process.send_signal(signum)

    async def exited(self, seconds: float = STOP_SECONDS) -> int:
        """Waits for the latest process to end; returns its exit code."""
        run = self.current
        assert run is not None
        await wait_for(lambda: run.process.poll() is not None, seconds, f"{self.name} exits")
        run.log_file.close()
        return run.process.returncode

    async def close(self) -> None:
        """Stops the latest process (SIGTERM, then SIGKILL) and closes every log file."""
        run = self.current
        if run is not None and run.process.poll() is None:
            run.process.terminate()
            try:
                await self.exited(STOP_SECONDS)
            except TimeoutError:
                run.process.kill()
                await self.exited(STOP_SECONDS)
        for each in self.runs:
            if each.process.poll() is None:  # pragma: no cover - only the latest can run
                each.process.kill()
            each.process.wait()
            each.log_file.close()

    def tails(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines of every process's log (printed when a test fails)."""
        out = []
        for run in self.runs:
            text = run.log_path.read_text(errors="replace") if run.log_path.exists() else ""
            kept = text.splitlines()[-lines:]
            code = run.process.poll()
            out.append(
                f"----- worker {self.name} run {run.number} (exit {code}) {run.log_path} -----"
            )
            out.extend(kept)
        return "\n".join(out)


def worker_env(
    api: FakeTelegram, database_url: str, webhook_url: str, port: int, **extra: str
) -> dict[str, str]:
    """The environment of a `chibot run` worker: this machine's, minus any CHIBOT_* setting
    or token of the developer's, plus the deployment's."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CHIBOT_", "TELEGRAM_", "ZALO_"))
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": api.token,
            "CHIBOT_DATABASE_URL": database_url,
            "CHIBOT_TELEGRAM_API_URL": api.url,
            "CHIBOT_WEBHOOK_URL": webhook_url,
            "CHIBOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "CHIBOT_LISTEN": f"127.0.0.1:{port}",
            "CHIBOT_RETRY_BASE_SECONDS": "0.2",
            "CHIBOT_HTTP_TIMEOUT": "10",
            **FAST_LEASES,
        }
    )
    env.update(extra)
    return env


@dataclass
class Deployment:
    """Worker processes of one bot on one database, behind one balancer.

    `settings` are extra environment variables of every worker (e.g. CHIBOT_TICK_SECONDS).
    """

    api: FakeTelegram
    database_url: str
    directory: Path
    balancer: Balancer
    settings: dict[str, str] = field(default_factory=dict)
    workers: dict[str, Worker] = field(default_factory=dict)
    _db: Database | None = None

    @property
    def db(self) -> Database:
        """The deployment's database, as seen from the test process."""
        if self._db is None:
            self._db = Database(self.database_url)
        return self._db

    def worker(self, name: str) -> Worker:
        """The slot called `name`, made on first use with a port of its own."""
        if name not in self.workers:
            port = free_port()
            env = worker_env(
                self.api,
                self.database_url,
                f"{self.balancer.url}{WEBHOOK_PATH}",
                port,
                **self.settings,
            )
            self.workers[name] = Worker(name, port, env, self.directory)
            self.balancer.backends.append(self.workers[name].base_url)
        return self.workers[name]

    async def start(self, *names: str) -> None:
        """Starts these workers (all at once) and waits until each is running."""
        for name in names:
            self.worker(name).spawn()
        for name in names:
            await self.workers[name].started()

    def leader_id(self) -> str | None:
        """The process id holding the leader lease now (blocking; real time)."""
        with self.db.session() as session:
            return leases.holder_of(session=session, name=leases.LEADER, now=datetime.now(UTC))

    async def leader(self, seconds: float = 30.0) -> Worker:
        """Waits until a running worker holds the lease and returns it."""
        found: list[Worker] = []

        async def known() -> bool:
            holder = await asyncio.to_thread(self.leader_id)
            found[:] = [w for w in self.workers.values() if w.alive and w.process_id == holder]
            return bool(found)

        await wait_for(known, seconds, "a running worker leads")
        return found[0]

    async def close(self) -> None:
        """Stops every worker and the balancer; closes the test's connections."""
        for worker in self.workers.values():
            await worker.close()
        await self.balancer.stop()
        if self._db is not None:
            self._db.dispose()

    def tails(self) -> str:
        """Every worker's last log lines."""
        return "\n".join(worker.tails() for worker in self.workers.values())


async def launch(
    api: FakeTelegram,
    database_url: str,
    directory: Path,
    *,
    duplicate_every: int = 0,
    **settings: str,
) -> Deployment:
    """A deployment with its balancer listening and no worker started yet."""
    balancer = Balancer(duplicate_every=duplicate_every)
    await balancer.start()
    return Deployment(api, database_url, directory, balancer, dict(settings))


@contextlib.asynccontextmanager
async def deployment_of(
    api: FakeTelegram, database_url: str, directory: Path, **options: Any
) -> Any:
    """`launch` as a context: on the way out the workers stop and their log tails are printed
    (pytest shows them only for a failed test)."""
    running = await launch(api, database_url, directory, **options)
    try:
        yield running
    finally:
        await running.close()
        print(running.tails())  # noqa: T201 - shown by pytest when the test fails


# --- a cell to work with ----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A linked cell whose people all joined through their personal invites."""

    org_id: int
    group_chat_id: int
    member_ids: dict[int, int]  # Telegram user id -> member id (the secretary included)
    meeting_ids: list[int]


def seed_cell(
    db: Database,
    *,
    secretary: FakeUser,
    group: FakeChat,
    joined: Sequence[FakeUser],
    now: datetime,
    meetings_to_make: Sequence[MeetingDraft] = (),
    name: str = "Chi bộ Văn phòng",
) -> Cell:
    """Creates the cell through the real services, in one transaction (blocking: run it in a
    thread while the fake server serves)."""
    with db.session() as session:
        _, code = orgs.create_org(
            session=session,
            name=name,
            parent_name=None,
            timezone="Asia/Ho_Chi_Minh",
            locale="vi",
            now=now,
        )
        boss = people.ensure_person(
            session=session,
            channel="telegram",
            external_id=str(secretary.id),
            display_name=secretary.first_name,
            username=None,
            now=now,
        )
        org, boss_member = orgs.link_group(
            session=session,
            code=code,
            channel="telegram",
            chat_id=str(group.id),
            chat_title=group.title or "",
            admin=boss,
            now=now,
        )
        assert org.id is not None
        assert boss_member.id is not None
        member_ids = {secretary.id: boss_member.id}
        added = members.add_members(
            session=session,
            org_id=org.id,
            names=[user.first_name for user in joined],
            role=Role.MEMBER,
            status=MemberStatus.FULL,
            actor=boss,
            now=now,
        )
        for member, user in zip(added, joined, strict=True):
            assert member.id is not None
            token = invites.create_personal_invite(
                session=session, org_id=org.id, member_id=member.id, actor=boss, now=now
            )
            person = people.ensure_person(
                session=session,
                channel="telegram",
                external_id=str(user.id),
                display_name=user.first_name,
                username=None,
                now=now,
            )
            invites.accept_personal_invite(session=session, token=token, person=person, now=now)
            member_ids[user.id] = member.id
        made = []
        for draft in meetings_to_make:
            meeting = meetings.create_meeting(
                session=session, org_id=org.id, draft=draft, actor=boss, now=now
            )
            assert meeting.id is not None
            made.append(meeting.id)
        return Cell(org.id, group.id, member_ids, made)
