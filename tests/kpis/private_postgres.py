"""A private PostgreSQL primary and a streaming replica made from it, for one test module.

Both clusters live in a temporary folder, listen on 127.0.0.1 on free ports, and are stopped by
the PID of their postmaster at the end; the shared server on 5432 is never touched. initdb
refuses to run as root: the binaries then run as the `postgres` user, which owns the folder.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from glob import glob
from pathlib import Path

TIMEOUT = 60


def binaries() -> Path | None:
    found = sorted(glob("/usr/lib/postgresql/*/bin/pg_basebackup"), key=_version)
    return Path(found[-1]).parent if found else None


def _version(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    data: Path
    port: int
    pid: int = 0

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


class Clusters:
    def __init__(self, root: Path, bin_dir: Path) -> None:
        self.root, self.bin = root, bin_dir
        self.as_root = os.geteuid() == 0
        if self.as_root:
            owner = pwd.getpwnam("postgres")
            shutil.chown(root, owner.pw_uid, owner.pw_gid)
        self.started: list[Cluster] = []

    def run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run(
            [*prefix, *command], check=True, timeout=TIMEOUT, capture_output=True, cwd=self.root
        )

    def primary(self) -> Cluster:
        cluster = Cluster(self.root / "primary", free_port())
        self.run(
            str(self.bin / "initdb"), "-D", str(cluster.data), "-U", "postgres",
            "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C",
        )  # fmt: skip
        with (cluster.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "shared_buffers = 32MB\n"
            )
        self.start(cluster)
        return cluster

    def replica_of(self, primary: Cluster) -> Cluster:
        cluster = Cluster(self.root / "replica", free_port())
        self.run(
            str(self.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
            "-U", "postgres", "-D", str(cluster.data), "-R", "-X", "stream", "--no-sync",
        )  # fmt: skip
        self.start(cluster)
        return cluster

    def start(self, cluster: Cluster) -> None:
        self.run(
            str(self.bin / "pg_ctl"), "-D", str(cluster.data), "-l", str(cluster.data / "log"),
            "-o", f"-p {cluster.port}", "-w", "-t", str(TIMEOUT), "start",
        )  # fmt: skip
        cluster.pid = int((cluster.data / "postmaster.pid").read_text().split()[0])
        self.started.append(cluster)

    def stop_all(self) -> None:
        """Stop each postmaster by its PID (fast shutdown), the replica first."""
        for cluster in reversed(self.started):
            try:
                os.kill(cluster.pid, signal.SIGINT)
            except ProcessLookupError:
                continue
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline and _alive(cluster.pid):
                time.sleep(0.1)
            if _alive(cluster.pid):
                os.kill(cluster.pid, signal.SIGQUIT)
        self.started.clear()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A stopped child of ours (pg_ctl's daemon is not ours) would linger as a zombie.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"
