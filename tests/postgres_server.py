"""A real PostgreSQL for tests, started in a temporary directory (initdb + pg_ctl) on 127.0.0.1.

The binaries come from PATH or ``/usr/lib/postgresql/*/bin`` (``make postgres`` installs Debian's package when
missing). PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user (``setpriv``).
Password authentication (scram-sha-256) is on, so a wrong password is refused as it would be in production.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "s3cret-pw"


@dataclass(frozen=True)
class Postgres:
    port: int
    user: str = "tester"
    database: str = "shop"

    def url(self, password: str = PASSWORD) -> str:
        return f"postgresql://{self.user}:{password}@127.0.0.1:{self.port}/{self.database}"


def binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", *command]


@contextmanager
def running_postgres(bin_dir: Path) -> Iterator[Postgres]:
    """Start a throwaway server with one user and database; stop it and remove its files afterwards."""
    root = Path(tempfile.mkdtemp(prefix="pgtest-"))
    data, pwfile = root / "data", root / "pw"
    pwfile.write_text(PASSWORD)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
    server = Postgres(port=_free_port())
    env = {**os.environ, "PGPASSWORD": PASSWORD}

    def run(*args: str) -> None:
        subprocess.run(_as_server_user(list(args)), check=True, capture_output=True, timeout=120, env=env)

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", server.user, "-A", "scram-sha-256", f"--pwfile={pwfile}")
    options = f"-c listen_addresses=127.0.0.1 -p {server.port} -k {root} -c fsync=off -c max_connections=20"
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start")
    try:
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", server.user, server.database)
        yield server
    finally:
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)
