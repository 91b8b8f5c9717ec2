"""A throw-away PostgreSQL cluster for the tests.

`initdb` into a fresh temporary directory, then the server on a free port of 127.0.0.1 with its
socket in that directory, durability off (the data dies with the session anyway). As root (CI)
the binaries run as `nobody`: PostgreSQL refuses to run as root. The server is a child of the
test process that gets SIGTERM if the test process dies, so a killed run leaves no server behind.
`scripts/install-postgres.sh` (run by `make test`) installs Debian's server when it is missing.
"""

from __future__ import annotations

import grp
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

BIN_ROOT = Path("/usr/lib/postgresql")
BIN_GLOB = f"{BIN_ROOT}/*/bin"
SUPERUSER = "chibot"
UNPRIVILEGED_USER = "nobody"
UNPRIVILEGED_GROUPS = ("nogroup", "nobody")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
MIN_FREE_BYTES = 1 << 30

# Speed over durability, a production-like time zone and text handling. The server's time zone
# is Vietnam's on purpose: a naive timestamp mistaken for local time shows up as a 7-hour shift.
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "autovacuum": "off",
    "jit": "off",
    "max_connections": "200",
    "timezone": "Asia/Ho_Chi_Minh",
    "logging_collector": "off",
    "log_min_messages": "warning",
}


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed, or its throw-away cluster would not start."""


def find_bindir() -> Path:
    """Returns the newest /usr/lib/postgresql/<version>/bin holding initdb and postgres."""
    candidates = [
        path
        for path in BIN_ROOT.glob("*/bin")
        if (path / "initdb").is_file() and (path / "postgres").is_file()
    ]
    if candidates:
        return max(candidates, key=lambda path: _version_key(path.parent.name))
    initdb = shutil.which("initdb")
    if initdb is not None and (Path(initdb).resolve().parent / "postgres").is_file():
        return Path(initdb).resolve().parent
    raise PostgresUnavailable(
        f"PostgreSQL server binaries not found (no {BIN_GLOB}/initdb and no initdb on PATH). "
        "Run `make test` or `sh scripts/install-postgres.sh` to install Debian's postgresql."
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def free_port() -> int:
    """Returns a TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A running throw-away cluster; `stop()` ends it and deletes its directory."""

    def __init__(self, bindir: Path, root: Path, run_as: list[str]) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"
        self.run_as = run_as
        self.port = 0
        self.server_version = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)

    @classmethod
    def start(cls) -> Cluster:
        """Creates and starts a cluster; raises PostgresUnavailable with the reason."""
        bindir = find_bindir()
        root = Path(tempfile.mkdtemp(prefix="chibot-pg-", dir=_base_directory()))
        cluster = cls(bindir, root, _unprivileged(root))
        try:
            cluster._initdb()
            cluster._serve()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of one database of this cluster."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def execute(self, statement: sql.Composed) -> None:
        """Runs one statement outside a transaction (CREATE/DROP DATABASE) as the superuser."""
        with psycopg.connect(self._dsn("postgres"), autocommit=True) as connection:
            connection.execute(statement)

    def create_database(self, template: str | None = None) -> str:
        """Creates an empty database (or a copy of `template`) and returns its name."""
        name = f"t_{os.getpid()}_{next(self._names)}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
            if self.server_version >= 150000:
                # Copying the files (with durability off) is ~5x faster than WAL_LOG, the
                # default since PostgreSQL 15, for a database as small as the template.
                statement = sql.SQL("{} STRATEGY FILE_COPY").format(statement)
        self.execute(statement)
        return name

    def drop_database(self, name: str) -> None:
        """Drops a database, ending any connection a test left open."""
        self.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    def stop(self) -> None:
        """Stops the server (fast shutdown) and deletes the cluster's directory."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def _dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database}"

    def _initdb(self) -> None:
        command = [
            *self.run_as,
            str(self.bindir / "initdb"),
            f"--pgdata={self.data}",
            f"--username={SUPERUSER}",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
        ]
        done = subprocess.run(command, cwd=self.root, capture_output=True, check=False)
        if done.returncode != 0:
            raise PostgresUnavailable(
                f"initdb failed ({' '.join(command)}):\n"
                + (done.stdout + done.stderr).decode(errors="replace")
            )

    def _serve(self) -> None:
        # A port free a moment ago can be taken before the server binds it: try a few.
        for _attempt in range(3):
            self.port = free_port()
            options = {
                **SETTINGS,
                "port": str(self.port),
                "unix_socket_directories": str(self.root),
            }
            command = [
                *_with_death_signal(self.run_as),
                str(self.bindir / "postgres"),
                "-D",
                str(self.data),
                *itertools.chain.from_iterable(("-c", f"{k}={v}") for k, v in options.items()),
            ]
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    command, cwd=self.root, stdout=log, stderr=subprocess.STDOUT
                )
            if self._wait_ready():
                return
            self.process.kill()
            self.process.wait()
            self.process = None
        raise PostgresUnavailable(
            f"the PostgreSQL server in {self.data} did not start; its log:\n{self._log_tail()}"
        )

    def _wait_ready(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with psycopg.connect(self._dsn("postgres"), connect_timeout=2) as connection:
                    self.server_version = connection.info.server_version
                    return True
            except psycopg.OperationalError:
                time.sleep(0.05)
        return False

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return "(no log)"


def _unprivileged(root: Path) -> list[str]:
    """As root: hands `root` to nobody and returns the prefix that runs a command as nobody."""
    if os.geteuid() != 0:
        return []
    user = pwd.getpwnam(UNPRIVILEGED_USER)
    group = next((g for g in UNPRIVILEGED_GROUPS if _group_exists(g)), None)
    gid = grp.getgrnam(group).gr_gid if group is not None else user.pw_gid
    os.chown(root, user.pw_uid, gid)
    root.chmod(0o700)
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise PostgresUnavailable(
            "running as root, and setpriv (util-linux) is missing to run PostgreSQL as nobody"
        )
    return [setpriv, f"--reuid={user.pw_uid}", f"--regid={gid}", "--clear-groups"]


def _base_directory() -> str:
    """Where the cluster's directory goes: memory (/dev/shm) when there is room, else the disk.

    A copy of the template database is ~10 ms on tmpfs and can be ~300 ms on a busy disk. As
    root, the directory must be reachable by `nobody`.
    """
    for base in ("/dev/shm", tempfile.gettempdir(), "/tmp"):  # noqa: S108
        path = Path(base)
        if not path.is_dir() or not os.access(path, os.W_OK | os.X_OK):
            continue
        if os.geteuid() == 0 and not all(
            part.stat().st_mode & 0o001 for part in (path.resolve(), *path.resolve().parents)
        ):
            continue
        if shutil.disk_usage(path).free < MIN_FREE_BYTES:
            continue
        return base
    raise PostgresUnavailable("no temporary directory with room for a PostgreSQL cluster")


def _with_death_signal(prefix: list[str]) -> list[str]:
    """Makes the server get SIGTERM when the test process dies (setpriv, even when not root)."""
    setpriv = prefix[0] if prefix else shutil.which("setpriv")
    if setpriv is None:
        return prefix
    return [setpriv, "--pdeathsig=TERM", *prefix[1:]]


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True
