"""Real SPARQL servers for the tests: started on free loopback ports, always stopped.

The ``oxigraph`` binary comes from the ``oxigraph`` PyPI package (the test extra) and is
looked up next to the running Python. Virtuoso is Debian's ``virtuoso-opensource-7-bin``
(``/usr/bin/virtuoso-t`` and ``/usr/bin/isql-vt``), run on a fresh database in a temporary
directory with a configuration of its own. Each server runs in its own session; it is
stopped by its ``stop`` method, at interpreter exit (atexit), and by the kernel if the
test process is killed (``PR_SET_PDEATHSIG`` on Linux).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def oxigraph_binary() -> Path | None:
    """The ``oxigraph`` executable installed beside this Python, or on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file():
        return beside
    found = shutil.which("oxigraph")
    return Path(found) if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)


class OxigraphServer:
    """``oxigraph serve`` on 127.0.0.1 with its data in ``location``."""

    def __init__(self, binary: Path, location: Path) -> None:
        self.binary = binary
        self.location = location
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, wait: float = 20.0) -> OxigraphServer:
        log = (self.location.parent / "oxigraph.log").open("wb")
        self.process = subprocess.Popen(
            [str(self.binary), "serve", "--location", str(self.location),
             "--bind", f"127.0.0.1:{self.port}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        atexit.register(self.stop)
        self._wait_until_ready(wait)
        return self

    def _wait_until_ready(self, wait: float) -> None:
        _wait_until_answering(self, f"{self.url}/query?query=ASK%7B%7D", "oxigraph", wait)

    def stop(self) -> None:
        self.process = _stop_process(self.process, grace=5)


VIRTUOSO = Path("/usr/bin/virtuoso-t")
VIRTUOSO_ISQL = Path("/usr/bin/isql-vt")

_VIRTUOSO_INI = """\
; Written by tests/servers.py: a throwaway Virtuoso on 127.0.0.1 only, its files in {dir}.
[Database]
DatabaseFile       = {dir}/virtuoso.db
ErrorLogFile       = {dir}/virtuoso.log
LockFile           = {dir}/virtuoso.lck
TransactionFile    = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {dir}/virtuoso-temp.db
TransactionFile    = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort           = 127.0.0.1:{isql_port}
DisableUnixSocket    = 1
DisableTcpSocket     = 0
MaxClientConnections = 10
CheckpointInterval   = 0
CaseMode             = 2
AllowOSCalls         = 0
DirsAllowed          = {dir}
NumberOfBuffers      = 10000
MaxDirtyBuffers      = 6000

[HTTPServer]
ServerPort           = 127.0.0.1:{http_port}
ServerRoot           = {dir}/vsp
MaxClientConnections = 10
ServerThreads        = 10
EnabledDavVSP        = 0
HTTPProxyEnabled     = 0
Charset              = UTF-8

[SPARQL]
ResultSetMaxRows      = 100000
MaxQueryExecutionTime = 60
"""


class VirtuosoServer:
    """``virtuoso-t`` on 127.0.0.1 (ISQL and HTTP ports), its database in ``directory``.

    No VAD package is installed and no plugin loaded; the SPARQL endpoint is ``url``
    (``/sparql``), the Graph Store Protocol endpoint ``store_url`` (``/sparql-graph-crud``).
    A fresh database has the default ``dba``/``dba`` account, reachable only from here.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.isql_port = free_port()
        self.http_port = free_port()
        while self.http_port == self.isql_port:
            self.http_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}/sparql"
        self.store_url = f"http://127.0.0.1:{self.http_port}/sparql-graph-crud"
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_seconds: float | None = None

    def start(self, wait: float = 60.0) -> VirtuosoServer:
        (self.directory / "vsp").mkdir(parents=True, exist_ok=True)
        ini = self.directory / "virtuoso.ini"
        ini.write_text(_VIRTUOSO_INI.format(dir=self.directory, isql_port=self.isql_port,
                                            http_port=self.http_port), encoding="utf-8")
        log = (self.directory / "virtuoso-t.out").open("wb")
        started = time.monotonic()
        self.process = subprocess.Popen(
            [str(VIRTUOSO), "+foreground", "+configfile", str(ini)],
            cwd=self.directory, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        atexit.register(self.stop)
        self._wait_until_ready(wait)
        self.startup_seconds = time.monotonic() - started
        return self

    def _wait_until_ready(self, wait: float) -> None:
        _wait_until_answering(self, f"{self.url}?query=ASK%7B%7D", "virtuoso-t", wait,
                              log=self.directory / "virtuoso.log")

    def isql(self, statement: str) -> str:
        """Run one SQL statement as ``dba`` through ``isql-vt``; its output, or RuntimeError."""
        done = subprocess.run(
            [str(VIRTUOSO_ISQL), f"127.0.0.1:{self.isql_port}", "dba", "dba",
             f"exec={statement}"],
            capture_output=True, text=True, timeout=60, check=False,
        )
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql-vt {statement!r} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def allow_graph_store_writes(self) -> None:
        """Let unauthenticated requests (user ``SPARQL``) write through ``store_url``."""
        self.isql('GRANT SPARQL_UPDATE TO "SPARQL";')

    def stop(self) -> None:
        self.process = _stop_process(self.process, grace=20)


def _wait_until_answering(server: object, probe_url: str, name: str, wait: float,
                          log: Path | None = None) -> None:
    """Poll ``probe_url`` until it answers; stop the server and raise if it exits or times out."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        process = server.process  # type: ignore[attr-defined]
        if process is not None and process.poll() is not None:
            see = f"; see {log}" if log else ""
            raise RuntimeError(f"{name} exited early with {process.returncode}{see}")
        try:
            with urllib.request.urlopen(probe_url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    server.stop()  # type: ignore[attr-defined]
    raise RuntimeError(f"{name} did not answer on {probe_url} within {wait} s")


def _stop_process(process: subprocess.Popen | None, grace: float) -> None:
    """Terminate a server process, kill it after ``grace`` seconds; always returns None."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    return


@contextlib.contextmanager
def running_oxigraph(directory: Path) -> Iterator[OxigraphServer]:
    """An Oxigraph server on 127.0.0.1 with its database in ``directory``, stopped on exit."""
    binary = oxigraph_binary()
    if binary is None:
        raise RuntimeError("the oxigraph server binary is missing: pip install -e '.[test]'")
    server = OxigraphServer(binary, directory).start()
    try:
        yield server
    finally:
        server.stop()
