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

:func:`run_with_deadline` forks one child per call. :class:`Worker` and :class:`WorkerPool`
keep their children and send them request after request over two plain pipes (a round trip
costs 0.01 ms when both processes are awake and some 0.05-0.13 ms when a sleeping processor
has to be woken, as on a virtual machine: far less than a fork per query); a child past its
deadline is killed the same way and the next request forks a fresh one. All of this needs
``os.fork`` (POSIX), and an in-memory store (an on-disk RocksDB store must not be shared
across a fork).

Every child also leaves the machine's network before it runs anything (:func:`cut_network`):
it moves into a network namespace of its own, which holds only a loopback interface that is
down, so no socket it opens can reach any address, 127.0.0.1 included. The kernel enforces
this for all code in the child, the Rust HTTP client inside pyoxigraph (which ``SERVICE``
uses, and which Python's audit hooks never see) as much as Python's own sockets; a query
that gets past the text checks of :mod:`compact_kg.queries` still cannot call out. As root
``unshare(CLONE_NEWNET)`` is allowed directly; an unprivileged user first enters a user
namespace of its own (``CLONE_NEWUSER``), which a freshly forked, single-threaded child may
do. Where the kernel refuses both, :func:`network_cut` is False in the child and the text
checks are the only defence.

Every child also gives up the file system (:func:`confine_files`): with Landlock (Linux 5.13
and later, unprivileged) it restricts itself to no file access of any kind, so whatever a
query asks, the child cannot open, list, create or change a file; it keeps only the pipes it
already holds. From Landlock ABI 4 the same ruleset refuses every TCP connect and bind
(a second wall behind the network namespace), and from ABI 6 it cannot reach abstract Unix
sockets or signal processes outside itself. A child that is not isolated in both ways
(:func:`isolated` is False: no namespaces and no Landlock network rules, or no Landlock)
refuses requests marked untrusted, so on such a machine only the project's own saved
queries run.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import marshal
import os
import resource
import select
import signal
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_MEMORY_LIMIT", "ChildFailed", "DeadlinePassed", "NotIsolated", "Worker",
           "WorkerPool", "confine_files", "cut_network", "files_confined", "isolated",
           "network_cut", "run_with_deadline"]

_PR_SET_PDEATHSIG = 1
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_CHUNK = 1 << 16
_PR_SET_NO_NEW_PRIVS = 38
# Landlock system calls (the same numbers on every architecture that has them) and rights.
_LANDLOCK_CREATE_RULESET = 444
_LANDLOCK_RESTRICT_SELF = 446
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_FS_RIGHTS = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_LANDLOCK_NET_RIGHTS = 0b11  # bind and connect, TCP (ABI 4)
_LANDLOCK_SCOPES = 0b11  # abstract Unix sockets and signals (ABI 6)


class DeadlinePassed(Exception):
    """The child was still running at the deadline and has been killed."""


class NotIsolated(Exception):
    """An untrusted request reached a child that could not cut itself off from the network
    and the file system."""


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
        _become_child(memory_limit)
        _write_all(write_end, _answer(function))
    except BaseException:
        code = 70
    finally:
        os._exit(code)


def _become_child(memory_limit: int | None) -> None:  # pragma: no cover - child only
    """What a forked child does first: die with its parent, cap its memory, let Ctrl-C kill
    it."""
    _die_with_parent()
    cut_network()
    if memory_limit is not None:
        _limit_memory(memory_limit)  # reads /proc: before the file system is given up
    confine_files()
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _answer(function: Callable[[], Any]) -> bytes:  # pragma: no cover - child only
    """``function()``'s result, or the exception it raised, as the parent reads it."""
    try:
        message = ("ok", function())
    except Exception as error:
        message = ("error", type(error).__name__, str(error), _details(error))
    return marshal.dumps(message)


def _details(error: Exception) -> tuple[Any, ...]:
    if isinstance(error, SyntaxError):
        return (error.lineno, error.offset)
    return ()


def _die_with_parent() -> None:  # pragma: no cover - child only
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


_NETWORK_CUT = False


def cut_network() -> bool:
    """Move this process into a network namespace of its own, with no route anywhere.

    Meant for a freshly forked child (one thread: a user namespace cannot be entered by a
    threaded process). True when this process is now cut off from the network; False when
    the kernel refused (no namespaces in this container, say), and nothing changed.
    """
    global _NETWORK_CUT
    if not _NETWORK_CUT:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
        except OSError:
            return False
        _NETWORK_CUT = (libc.unshare(_CLONE_NEWNET) == 0
                        or libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0)
    return _NETWORK_CUT


def network_cut() -> bool:
    """Whether this process is cut off from the network: in a network namespace of its own
    (:func:`cut_network`), or under Landlock rules that refuse every TCP connection."""
    return _NETWORK_CUT or _LANDLOCK_NET


_FILES_CONFINED = False
_LANDLOCK_NET = False


def confine_files() -> bool:
    """Give up all access to the file system (and TCP, and outside signals) with Landlock.

    Meant for a freshly forked child, which keeps the file descriptors it already has. True
    when this process can no longer open any file; False when the kernel has no Landlock
    (before Linux 5.13, or disabled), and nothing changed. Irreversible.
    """
    global _FILES_CONFINED, _LANDLOCK_NET
    if _FILES_CONFINED:
        return True
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    libc.syscall.restype = ctypes.c_long
    abi = libc.syscall(_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                       ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION))
    if abi < 1:
        return False
    fs_rights = _LANDLOCK_FS_RIGHTS[max(k for k in _LANDLOCK_FS_RIGHTS if k <= abi)]
    fields = [fs_rights]
    if abi >= 4:
        fields.append(_LANDLOCK_NET_RIGHTS)
    if abi >= 6:
        fields.append(_LANDLOCK_SCOPES)
    attr = (ctypes.c_uint64 * len(fields))(*fields)
    ruleset = libc.syscall(_LANDLOCK_CREATE_RULESET, ctypes.byref(attr),
                           ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        return False
    try:
        # No rules are added: every right the ruleset handles is refused everywhere.
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        if libc.syscall(_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset),
                        ctypes.c_uint32(0)) != 0:
            return False
    finally:
        os.close(ruleset)
    _FILES_CONFINED, _LANDLOCK_NET = True, abi >= 4
    return True


def files_confined() -> bool:
    """Whether :func:`confine_files` has taken the file system away from this process."""
    return _FILES_CONFINED


def isolated() -> bool:
    """Whether this process can reach neither the network nor any file."""
    return network_cut() and _FILES_CONFINED


def _limit_memory(extra: int) -> None:  # pragma: no cover - child only
    with contextlib.suppress(OSError, ValueError):
        status = Path("/proc/self/status").read_text()
        size_kib = int(next(line.split()[1] for line in status.splitlines()
                            if line.startswith("VmSize:")))
        limit = size_kib * 1024 + extra
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _write_all(fd: int, data: bytes) -> None:
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


# --- persistent workers ----------------------------------------------------------------------
#
# Forking a child per query costs milliseconds, and at 10^5 case studies far more (the child
# touches a multi-gigabyte process). A persistent worker is forked once and answers many
# requests over a pipe; at a deadline it is killed and reaped, and the next request forks a
# fresh one. Every fork happens on one long-lived thread ("compact-kg-forker"), because
# PR_SET_PDEATHSIG fires when the *thread* that forked the child ends: a worker forked by a
# short-lived server thread would otherwise die with that thread.

_FORKER: Any = None
_FORKER_LOCK = threading.Lock()


def _forget_forker() -> None:  # pragma: no cover - runs in forked children
    """A forked child has no forker thread (only the forking thread survives a fork)."""
    global _FORKER, _FORKER_LOCK
    _FORKER = None
    _FORKER_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_forget_forker)


def _fork(body: Callable[[], None]) -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        body()
        os._exit(70)
    return pid


def _on_forker(task: Callable[[], Any]) -> Any:
    """``task()`` run on the long-lived forker thread (so no other fork runs meanwhile)."""
    global _FORKER
    from concurrent.futures import ThreadPoolExecutor

    with _FORKER_LOCK:
        if _FORKER is None:
            _FORKER = ThreadPoolExecutor(1, thread_name_prefix="compact-kg-forker")
        forker = _FORKER
    return forker.submit(task).result()


class Worker:
    """A forked child that answers ``handler(request)`` for each request, with a deadline.

    ``handler`` takes and returns marshal-able data; it runs in the child, which inherits
    this process's memory (an in-memory store, for one) when it is forked. Fork it before
    other threads use what it shares: a fork copies locks held by other threads.

    Requests and answers travel over two plain pipes as length-prefixed :mod:`marshal`
    messages, read and written with ``os.read``/``os.write`` (no framing layer on top).
    """

    def __init__(self, handler: Callable[[Any], Any],
                 memory_limit: int | None = DEFAULT_MEMORY_LIMIT) -> None:
        self._handler = handler
        self._memory_limit = memory_limit
        self._pid = 0
        self._send_fd = -1  # requests, to the child
        self._recv_fd = -1  # answers, from the child
        self._poller: Any = None
        self._owner = os.getpid()

    def start(self) -> None:
        """Fork the child now (it is forked on first use otherwise)."""
        if self._owner != os.getpid():
            # This process is a fork of the worker's owner: the child and the pipes belong
            # to the owner. Close our copies of its pipe ends and fork a worker of our own.
            for fd in (self._send_fd, self._recv_fd):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._pid, self._send_fd, self._recv_fd = 0, -1, -1
            self._poller, self._owner = None, os.getpid()
        if self._pid:
            return

        def spawn() -> tuple[int, int, int]:
            # On the forker thread: the pipes are made, the child forked and this process's
            # copies of the child's ends closed before any other fork, so no other worker
            # inherits them (a worker that dies is then seen at once, as end of file).
            request_read, request_write = os.pipe()
            answer_read, answer_write = os.pipe()

            def body() -> None:  # pragma: no cover - runs in the child
                os.close(request_write)
                os.close(answer_read)
                self._serve(request_read, answer_write)

            try:
                pid = _fork(body)
            except BaseException:
                for fd in (request_write, answer_read):
                    os.close(fd)
                raise
            finally:
                os.close(request_read)
                os.close(answer_write)
            return pid, request_write, answer_read

        self._pid, self._send_fd, self._recv_fd = _on_forker(spawn)
        self._poller = select.poll()
        self._poller.register(self._recv_fd, select.POLLIN)

    def _serve(self, read_fd: int, write_fd: int) -> None:  # pragma: no cover - the child
        code = 0
        try:
            _become_child(self._memory_limit)
            while True:
                payload = _read_message(read_fd)
                if payload is None:  # the parent closed the pipe: stop
                    break
                request = marshal.loads(payload)  # noqa: S302 - from our parent
                _write_message(write_fd, _answer(functools.partial(self._handler, request)))
        except BaseException:
            code = 70
        finally:
            os._exit(code)

    def call(self, request: Any, timeout: float) -> Any:
        """``handler(request)`` computed in the child; DeadlinePassed or ChildFailed."""
        self.start()
        deadline = time.monotonic() + timeout
        try:
            _write_message(self._send_fd, marshal.dumps(request))
            payload = _read_answer(self._recv_fd, self._poller, deadline)
        except (EOFError, OSError):
            self.stop()
            raise ChildFailed("", "the query worker died, perhaps out of memory") from None
        except BaseException:  # the deadline, or an interrupt: never leave the child running
            self.stop()
            raise
        message = marshal.loads(payload)  # noqa: S302 - written by our own forked child
        if message[0] == "ok":
            return message[1]
        raise ChildFailed(message[1], message[2], message[3])

    def __del__(self) -> None:
        # A worker dropped without stop(): its child must not outlive it (nothing else would
        # close its pipes, and the child would wait for requests until this process ends).
        if getattr(self, "_owner", None) == os.getpid():
            with contextlib.suppress(Exception):
                self.stop()

    def stop(self) -> None:
        """Kill and reap the child, if any."""
        if self._pid:
            _kill(self._pid)
            self._pid = 0
        for fd in (self._send_fd, self._recv_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._send_fd = self._recv_fd = -1
        self._poller = None


# A message on a worker's pipe: its length (8 bytes, little-endian), then its bytes.
_LENGTH = struct.Struct("<Q")
_ONE_WRITE = 1 << 16  # up to this size, length and bytes go in one write (one wake-up)


def _write_message(fd: int, payload: bytes) -> None:
    header = _LENGTH.pack(len(payload))
    if len(payload) <= _ONE_WRITE:
        _write_all(fd, header + payload)
    else:  # do not copy a large answer just to put eight bytes in front of it
        _write_all(fd, header)
        _write_all(fd, payload)


def _read_message(fd: int) -> bytes | bytearray | None:  # pragma: no cover - the child
    """One whole message from ``fd`` (blocking), or None at end of file before it."""
    return _read_answer(fd, None, None)


def _read_answer(fd: int, poller: Any, deadline: float | None) -> bytes | bytearray | None:
    """One whole message from ``fd``, waiting until ``deadline`` at most (DeadlinePassed);
    EOFError when the writer is gone. With no deadline (in a worker, reading its next
    request) it blocks, and returns None at end of file before the first byte."""

    def wait() -> None:
        while deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlinePassed
            if poller.poll(max(1, int(remaining * 1000 + 0.999))):
                return

    wait()
    first = os.read(fd, _CHUNK)  # a small message comes whole, in one read
    if not first:
        if deadline is None:
            return None
        raise EOFError
    while len(first) < _LENGTH.size:  # a length split across writes: rare, but possible
        wait()
        more = os.read(fd, _CHUNK)
        if not more:
            raise EOFError
        first += more
    size = _LENGTH.unpack_from(first)[0]
    if len(first) == _LENGTH.size + size:
        return first[_LENGTH.size:]
    got = len(first) - _LENGTH.size
    if got > size:  # more than one message: the other end does not speak this protocol
        raise EOFError
    body = bytearray(size)
    body[:got] = first[_LENGTH.size:]
    view = memoryview(body)
    while got < size:
        wait()
        read = os.readv(fd, [view[got:]])
        if not read:
            raise EOFError
        got += read
    return body


class WorkerPool:
    """Up to ``size`` :class:`Worker` children sharing one handler; thread-safe.

    A call takes an idle worker (forking one when fewer than ``size`` exist, waiting
    otherwise) and gives it back afterwards; a worker killed at its deadline is replaced
    by a fresh fork on a later call.
    """

    def __init__(self, handler: Callable[[Any], Any], size: int = 1,
                 memory_limit: int | None = DEFAULT_MEMORY_LIMIT) -> None:
        import queue

        self.size = max(1, size)
        # The most recently used idle worker first (it is the warmest); with one worker
        # order does not matter, and the C-implemented SimpleQueue costs less per call.
        self._idle: queue.SimpleQueue[Worker] | queue.LifoQueue[Worker] = (
            queue.SimpleQueue() if self.size == 1 else queue.LifoQueue())
        self._all = [Worker(handler, memory_limit) for _ in range(self.size)]
        for worker in self._all:
            self._idle.put(worker)

    @property
    def pids(self) -> list[int]:
        """The workers' process ids (0 for a worker not forked yet or stopped)."""
        return [worker._pid for worker in self._all]

    def start(self) -> None:
        """Fork every worker now: do this before starting threads."""
        for worker in self._all:
            worker.start()

    def call(self, request: Any, timeout: float) -> Any:
        worker = self._idle.get()
        try:
            return worker.call(request, timeout)
        finally:
            self._idle.put(worker)

    def close(self) -> None:
        """Stop every worker."""
        for worker in self._all:
            worker.stop()
