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
import struct
import time
from typing import Callable, TypeVar

T = TypeVar("T")
CHUNK = 1 << 20
OUT_OF_MEMORY = 3  # the child's exit status after a MemoryError
MORE, RESULT = b"T", b"R"  # the child's frames: more time asked for (a double), then the result
_channel: list[int] = []  # in the child: the pipe to the parent


class Exceeded(Exception):
    """The work went past a limit: `kind` is "time" (`seconds` it had), "memory" or "size" (its
    result too big)."""

    def __init__(self, kind: str, seconds: float = 0.0):
        super().__init__(kind)
        self.kind, self.seconds = kind, seconds


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


def allow(seconds: float) -> None:
    """From inside `work`: ask for `seconds` more than `run`'s (up to its `most`), for work
    known to be large but within bounds (so many cells to parse). Nothing outside a child."""
    if _channel:
        os.write(_channel[0], MORE + struct.pack("<d", seconds))


def run(work: Callable[[], T], seconds: float, memory: int, max_result: int, most: float | None = None) -> T:
    """`work()` computed in a child limited to `memory` bytes more than it started with and
    `seconds` of wall time (more if it asks with `allow`, `most` in all), its pickled result at
    most `max_result` bytes; otherwise `Exceeded`. An exception inside `work` comes back as
    itself when it pickles."""
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child: coverage and pytest never see it finish
        status = 1
        try:
            os.close(readable)
            _channel.append(writable)
            _limit(memory, most or seconds)
            try:
                payload = pickle.dumps((True, work()), pickle.HIGHEST_PROTOCOL)
            except MemoryError:
                status = OUT_OF_MEMORY
                raise
            except Exception as error:  # handed to the parent to raise
                payload = pickle.dumps((False, error), pickle.HIGHEST_PROTOCOL)
            with os.fdopen(writable, "wb") as out:
                out.write(RESULT)
                out.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(writable)
    chunks: list[bytes] = []
    size, why, head = 0, None, b""
    started = time.monotonic()
    deadline = started + seconds
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
            if not chunks:  # frames asking for time, until the result begins
                head += chunk
                while head[:1] == MORE and len(head) >= 9:
                    asked = struct.unpack("<d", head[1:9])[0]
                    deadline = started + min(seconds + max(asked, 0.0), most or seconds)
                    head = head[9:]
                if head[:1] != RESULT:
                    continue
                chunk, head = head[1:], b""
                if not chunk:
                    chunks.append(b"")
                    continue
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
        raise Exceeded(why, deadline - started)
    if status == -signal.SIGXCPU:
        raise Exceeded("time", deadline - started)
    if status != 0:  # a MemoryError, or killed on the way (an allocation refused in C code)
        raise Exceeded("memory")
    if not chunks:
        raise Exceeded("memory")  # gone without a result
    ok, value = pickle.loads(b"".join(chunks))
    if not ok:
        raise value
    return value
