"""Run a piece of work in a forked child with its own limits on memory, CPU and wall time, and
get its (pickled) result back: what an uploaded file makes a parser do then cannot grow the web
worker or hold it past the deadline. The child inherits everything by fork (the upload's bytes
too) and must touch no database connection nor any lock another thread may hold: it only
computes and writes its result to a pipe, then leaves with `os._exit` (no atexit, no finalisers
on inherited connections)."""
from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import time
from typing import Callable, TypeVar

T = TypeVar("T")
CHUNK = 1 << 20
OUT_OF_MEMORY = 3  # the child's exit status after a MemoryError


class Exceeded(Exception):
    """The work went past a limit: `kind` is "time", "memory" or "size" (its result too big)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def _virtual_size() -> int:
    """This process's address space now (bytes): the child's memory limit is set on top of it,
    since a fork starts with all of the parent's mappings (thread stacks, arenas) counted."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmSize")


def _limit(memory: int, seconds: float) -> None:
    try:
        ceiling = _virtual_size() + memory
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, resource.getrlimit(resource.RLIMIT_AS)[1]))
    except (OSError, ValueError):  # not Linux, or a hard limit already lower: the deadline still holds
        pass
    cpu = int(seconds) + 1
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    except (OSError, ValueError):
        pass


def run(work: Callable[[], T], seconds: float, memory: int, max_result: int) -> T:
    """`work()` computed in a child limited to `memory` bytes more than it started with and
    `seconds` of wall time, its pickled result at most `max_result` bytes; otherwise `Exceeded`.
    An exception inside `work` comes back as itself when it pickles."""
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child: coverage and pytest never see it finish
        status = 1
        try:
            os.close(readable)
            _limit(memory, seconds)
            try:
                payload = pickle.dumps((True, work()), pickle.HIGHEST_PROTOCOL)
            except MemoryError:
                status = OUT_OF_MEMORY
                raise
            except Exception as error:  # handed to the parent to raise
                payload = pickle.dumps((False, error), pickle.HIGHEST_PROTOCOL)
            with os.fdopen(writable, "wb") as out:
                out.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(writable)
    chunks: list[bytes] = []
    size, why = 0, None
    deadline = time.monotonic() + seconds
    poll = select.poll()
    poll.register(readable, select.POLLIN | select.POLLHUP)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not poll.poll(left * 1000):
                why = "time"
                break
            chunk = os.read(readable, CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > max_result:
                why = "size"
                break
            chunks.append(chunk)
    finally:
        os.close(readable)
        if why:  # still ours to kill: not reaped yet
            os.kill(pid, signal.SIGKILL)
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if why:
        raise Exceeded(why)
    if status == -signal.SIGXCPU:
        raise Exceeded("time")
    if status != 0:  # a MemoryError, or killed on the way (an allocation refused in C code)
        raise Exceeded("memory")
    ok, value = pickle.loads(b"".join(chunks))
    if not ok:
        raise value
    return value
