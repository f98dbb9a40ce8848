"""Isolated workers: each file is read in a child process that can fail alone.

A hostile file may crash a native reader (an abort, a segmentation fault), exhaust memory or
loop. A ``ProcessPoolExecutor`` breaks for good when one worker dies, and cannot time out one
task; here each worker takes one file at a time over its own pipe, so the parent always knows
which file a dead or late worker held, records a reason for it, and starts a fresh worker.

Each worker: limits its address space (RLIMIT_AS) to ``Limits.worker_mb`` beyond what it inherited; asks the kernel to
kill it when the parent dies (PR_SET_PDEATHSIG on Linux) and also watches its parent (other
systems); runs in its own process group, so killing it takes anything it started.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from multiprocessing.connection import wait
from pathlib import Path
from typing import Callable

from perfeval_xl.book.package import Limits


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    def watch() -> None:  # the portable fallback, and the race where the parent died first
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(1)

    threading.Thread(target=watch, daemon=True).start()


def _address_space() -> int:
    """This process's address space in bytes (Linux), 0 where it cannot be told."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


def _limit_memory(mb: int) -> None:
    """What one file may add: ``mb`` beyond the address space the worker inherited from its
    parent (a command's parent holds its libraries, ~250 MB; a test process holds far more), never
    above a limit already set on the process."""
    try:
        import resource

        limit = _address_space() + mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # Windows has no RLIMIT_AS: the time-out still holds
        pass


def _worker(conn, parent: int, mb: int, func: Callable, args: tuple) -> None:
    import faulthandler

    faulthandler.disable()  # a crash is the parent's to report, as one skipped file
    try:
        os.setpgid(0, 0)
    except (AttributeError, OSError):
        pass
    _die_with_parent(parent)
    _limit_memory(mb)
    while True:
        try:
            path = conn.recv()
        except EOFError:
            return
        if path is None:
            return
        conn.send(func(path, *args))


class _Slot:
    def __init__(self, ctx, func, args, lim: Limits):
        parent_end, child_end = ctx.Pipe()
        self.conn = parent_end
        self.proc = ctx.Process(target=_worker, args=(child_end, os.getpid(), lim.worker_mb, func, args), daemon=True)
        self.proc.start()
        child_end.close()
        self.task: tuple[int, Path] | None = None
        self.started = 0.0

    def give(self, index: int, path: Path) -> None:
        self.task, self.started = (index, path), time.monotonic()
        self.conn.send(path)

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (AttributeError, OSError):
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


def _death_reason(proc) -> str:
    code = proc.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f"读取此文件时读取进程异常终止（{name}，可能是内存超出限制或文件被恶意构造）"
    return "读取此文件时读取进程异常退出"


def run_isolated(files: list[Path], func: Callable, args: tuple, fallback: Callable[[Path, str], object],
                 workers: int, lim: Limits, progress: Callable[[int, int], None]) -> list:
    """``func(path, *args)`` for every file in worker processes; results in file order. A file
    whose worker died or ran past ``lim.file_seconds`` gets ``fallback(path, reason)``."""
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    results: list = [None] * len(files)
    todo = list(enumerate(files))[::-1]
    slots = [_Slot(ctx, func, args, lim) for _ in range(max(1, min(workers, len(files))))]
    done = 0
    try:
        while done < len(files):
            for i, slot in enumerate(slots):
                if slot.task is None and todo:
                    if not slot.proc.is_alive():
                        slot = slots[i] = _Slot(ctx, func, args, lim)
                    slot.give(*todo.pop())
            busy = [s for s in slots if s.task is not None]
            ready = wait([s.conn for s in busy], timeout=0.2)
            now = time.monotonic()
            for i, slot in enumerate(slots):
                if slot.task is None:
                    continue
                index, path = slot.task
                if slot.conn in ready:
                    try:
                        results[index] = slot.conn.recv()
                        slot.task = None
                    except (EOFError, OSError):
                        slot.proc.join(5)
                        results[index] = fallback(path, _death_reason(slot.proc))
                        slot.kill()
                        slots[i] = _Slot(ctx, func, args, lim)
                elif now - slot.started > lim.file_seconds:
                    results[index] = fallback(path, f"读取超时（超过{lim.file_seconds:g}秒）")
                    slot.kill()
                    slots[i] = _Slot(ctx, func, args, lim)
                else:
                    continue
                done += 1
                progress(done, len(files))
    finally:
        for slot in slots:
            try:
                slot.conn.send(None)
            except OSError:
                pass
            slot.proc.join(1)
            if slot.proc.is_alive():
                slot.kill()
    return results
