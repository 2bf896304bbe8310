"""Run a function in a forked child process that is killed at a deadline.

pyoxigraph has no query timeout, so the embedded store is queried in a child forked from
this process: the child shares the already-loaded in-memory store (copy-on-write, so
nothing is copied or reloaded), runs the query, sends the complete result back through a
pipe encoded with :mod:`marshal` (plain data only, no code) and exits. The parent reads
the pipe until end of file; when the deadline passes first, it sends the child SIGKILL
and reaps it, so no worker is left behind. On Linux the child also asks the kernel to
kill it when the parent dies (``PR_SET_PDEATHSIG``), and caps its address space at its
size when forked plus ``memory_limit`` bytes (``RLIMIT_AS``), so a query that builds a
huge result dies alone instead of exhausting the machine.

Forking costs about a millisecond per query. It needs ``os.fork`` (POSIX), and an
in-memory store (an on-disk RocksDB store must not be shared across a fork).
"""

from __future__ import annotations

import contextlib
import ctypes
import marshal
import os
import resource
import select
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_MEMORY_LIMIT", "ChildFailed", "DeadlinePassed", "run_with_deadline"]

_PR_SET_PDEATHSIG = 1
_CHUNK = 1 << 16


class DeadlinePassed(Exception):
    """The child was still running at the deadline and has been killed."""


class ChildFailed(Exception):
    """The function raised in the child, or the child died before sending its result.

    ``kind`` is the exception class name raised in the child (``""`` when it died), and
    ``details`` the marshal-able extra data the child sent (e.g. line and column).
    """

    def __init__(self, kind: str, message: str, details: tuple[Any, ...] = ()) -> None:
        super().__init__(message)
        self.kind = kind
        self.details = details


DEFAULT_MEMORY_LIMIT = 4 << 30
"""Bytes of address space a child may add to what it inherited (4 GiB)."""


def run_with_deadline(
    function: Callable[[], Any], timeout: float, memory_limit: int | None = DEFAULT_MEMORY_LIMIT
) -> Any:
    """Call ``function()`` in a forked child and return its marshal-able result.

    Raises :class:`DeadlinePassed` when ``timeout`` seconds pass first (the child is
    killed and reaped before this returns), and :class:`ChildFailed` when the function
    raised or the child died.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which never returns
        os.close(read_end)
        _child(function, write_end, memory_limit)
    os.close(write_end)
    try:
        payload = _read_until(read_end, time.monotonic() + timeout)
    except BaseException:  # the deadline, or an interrupt: never leave the child running
        _kill(pid)
        raise
    finally:
        os.close(read_end)
    status = _reap(pid)
    return _decode(payload, status)


def _child(
    function: Callable[[], Any], write_end: int, memory_limit: int | None
) -> None:  # pragma: no cover
    """Body of the child: compute, write the whole answer, exit without cleanup."""
    code = 0
    try:
        _die_with_parent()
        if memory_limit is not None:
            _limit_memory(memory_limit)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        try:
            message = ("ok", function())
        except Exception as error:
            message = ("error", type(error).__name__, str(error), _details(error))
        _write_all(write_end, marshal.dumps(message))
    except BaseException:
        code = 70
    finally:
        os._exit(code)


def _details(error: Exception) -> tuple[Any, ...]:
    if isinstance(error, SyntaxError):
        return (error.lineno, error.offset)
    return ()


def _die_with_parent() -> None:  # pragma: no cover - child only
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _limit_memory(extra: int) -> None:  # pragma: no cover - child only
    with contextlib.suppress(OSError, ValueError):
        status = Path("/proc/self/status").read_text()
        size_kib = int(next(line.split()[1] for line in status.splitlines()
                            if line.startswith("VmSize:")))
        limit = size_kib * 1024 + extra
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _write_all(fd: int, data: bytes) -> None:  # pragma: no cover - child only
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_until(fd: int, deadline: float) -> bytes:
    """Everything written to ``fd`` until end of file, or DeadlinePassed."""
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlinePassed
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            raise DeadlinePassed
        chunk = os.read(fd, _CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _reap(pid)


def _reap(pid: int) -> int:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return 0
        except InterruptedError:  # pragma: no cover - PEP 475 retries for us
            continue
        return status


def _decode(payload: bytes, status: int) -> Any:
    if not payload or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        raise ChildFailed(
            "", f"the query worker died ({_describe(status)}), perhaps out of memory"
        )
    message = marshal.loads(payload)  # noqa: S302 - written by our own forked child
    if message[0] == "ok":
        return message[1]
    raise ChildFailed(message[1], message[2], message[3])


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {signal.Signals(os.WTERMSIG(status)).name}"
    if os.WIFEXITED(status):
        return f"exit status {os.WEXITSTATUS(status)}"
    return f"status {status}"
