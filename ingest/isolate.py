"""Parsing in child processes, each held to a time budget and a memory cap, several files at once.

A crafted or pathological report must not hang a batch: every file is parsed in a child forked for it. The
child's address space is capped (setting parse_max_mb, past what it already maps) and the parent kills it when
its parse runs past the budget (setting parse_timeout, seconds). Either way that file gets one clear error and
the rest of the batch goes on. The child sends back the parsed report as JSON (never pickle) through a pipe.

    pool = ParsePool(workers=2, budget=120, max_mb=2048)
    future = pool.submit(path, max_words=170)      # starts when a worker slot is free
    parsed = future.result()                        # ingest.pipeline.Parsed, or raises the file's error
    pool.close()                                    # kills what is still running

Where os.fork is missing (Windows) files are parsed in this process, with no budget (logged once).
"""

from __future__ import annotations

import builtins
import json
import logging
import os
import resource
import select
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingest.errors import InputError, ReportQAError
from ingest.records import Chunk, Document, Section

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
CAN_FORK = hasattr(os, "fork")


class ParseBudgetExceeded(InputError):
    """A file took longer to parse than the budget allows; the file is skipped."""


class ParseCrashed(InputError):
    """The child parsing a file died (memory cap, a crash in a native library) before answering."""


@dataclass
class _Job:
    path: Path
    max_words: int
    future: Future
    pid: int = 0
    fd: int = -1
    started: float = 0.0
    data: list[bytes] = field(default_factory=list)


def default_parser(path: Path, max_words: int):
    from ingest.pipeline import parse_stages  # looked up at each call: a test's stand-in reaches the child

    return parse_stages(path, max_words)


class ParsePool:
    """At most `workers` children parsing at once, one per file; a supervisor thread reads their answers."""

    def __init__(self, workers: int, budget: float, max_mb: int,
                 parser: Callable[[Path, int], object] | None = None) -> None:
        self.workers = max(1, workers)
        self.budget = budget
        self.max_mb = max_mb
        self.parser = parser or default_parser  # (path, max_words) -> ingest.pipeline.Parsed
        self._pending: deque[_Job] = deque()
        self._running: dict[int, _Job] = {}  # fd -> job
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe() if CAN_FORK else (-1, -1)
        self._closed = False
        self._thread: threading.Thread | None = None

    def submit(self, path: Path, max_words: int) -> Future:
        job = _Job(Path(path), max_words, Future())
        if not CAN_FORK:
            _run_here(job, self.parser)
            return job.future
        with self._lock:
            if self._closed:
                raise RuntimeError("the parse pool is closed")
            self._pending.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._supervise, name="parse-pool", daemon=True)
                self._thread.start()
        os.write(self._wake_w, b"x")
        return job.future

    def close(self) -> None:
        """Kill children still parsing, fail what never started; safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if CAN_FORK:
            os.write(self._wake_w, b"x")
            if self._thread is not None:
                self._thread.join()
            for fd in (self._wake_r, self._wake_w):
                os.close(fd)

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the supervisor thread ------------------------------------------------------------------------------

    def _supervise(self) -> None:
        try:
            self._loop()
        except BaseException as err:  # noqa: BLE001 - never leave a caller waiting on a future nobody will set
            log.error("parse pool stopped: %s: %s", type(err).__name__, err)
            self._stop_all(err)

    def _loop(self) -> None:
        while True:
            with self._lock:
                closed = self._closed
                while not closed and self._pending and len(self._running) < self.workers:
                    job = self._pending.popleft()
                    if job.future.set_running_or_notify_cancel():
                        self._start_or_fail(job)
            if closed:
                self._stop_all()
                return
            ready, _, _ = select.select([self._wake_r, *self._running], [], [], POLL_SECONDS)
            for fd in ready:
                if fd == self._wake_r:
                    os.read(self._wake_r, 4096)
                else:
                    self._read(self._running[fd])
            self._enforce_budget()

    def _start_or_fail(self, job: _Job) -> None:
        try:
            self._start(job)
        except OSError as err:  # no more processes or pipes: this file fails, the next ones may still start
            job.future.set_exception(ParseCrashed(f"{job.path}: could not start a process to parse it ({err}); "
                                                  "try again with fewer --workers."))

    def _start(self, job: _Job) -> None:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: parse, answer, leave without running the parent's cleanup
            os.close(read_fd)
            _child(job, write_fd, self.parser, self.budget, self.max_mb)
        os.close(write_fd)
        job.pid, job.fd, job.started = pid, read_fd, time.monotonic()
        self._running[read_fd] = job

    def _read(self, job: _Job) -> None:
        chunk = os.read(job.fd, 1 << 20)
        if chunk:
            job.data.append(chunk)
            return
        status = self._reap(job)
        try:
            job.future.set_result(_decode(b"".join(job.data), job, status, self.max_mb))
        except BaseException as err:  # noqa: BLE001 - the file's own error, handed to whoever waits on it
            job.future.set_exception(err)

    def _enforce_budget(self) -> None:
        now = time.monotonic()
        for job in [j for j in self._running.values() if now - j.started > self.budget]:
            os.kill(job.pid, signal.SIGKILL)
            self._reap(job)
            job.future.set_exception(ParseBudgetExceeded(
                f"{job.path}: parsing took longer than the {_seconds(self.budget)} budget and was stopped; the file "
                f"was skipped. Check the file, or raise the budget (REPORT_QA_PARSE_TIMEOUT or --parse-timeout)."))

    def _reap(self, job: _Job) -> int:
        del self._running[job.fd]
        os.close(job.fd)
        _, status = os.waitpid(job.pid, 0)
        return status

    def _stop_all(self, cause: BaseException | None = None) -> None:
        for job in list(self._running.values()):
            try:
                os.kill(job.pid, signal.SIGKILL)
                self._reap(job)
            except OSError:
                pass  # already gone
            if not job.future.done():
                job.future.set_exception(RuntimeError(f"{job.path}: parsing stopped, the ingest was cancelled"
                                                      + (f" ({cause})" if cause else "")))
        with self._lock:
            self._closed = True
            for job in self._pending:
                job.future.cancel()
            self._pending.clear()


def parse_bounded(path: Path, settings, parser: Callable[[Path, int], object] | None = None):
    """Parse one file in a child held to the settings' budget and memory cap (see ParsePool)."""
    with ParsePool(1, settings.parse_timeout, settings.parse_max_mb, parser) as pool:
        return pool.submit(path, settings.max_words).result()


# -- the child ------------------------------------------------------------------------------------------------


def _child(job: _Job, write_fd: int, parser, budget: float, max_mb: int) -> None:
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it kills us
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(int(budget) + 10)  # an orphan (parent killed) still ends
        _cap_memory(max_mb)
        try:
            parsed = parser(job.path, job.max_words)
            answer = {"ok": True, "document": document_to_json(parsed.document), "stages": parsed.stages}
        except MemoryError:
            answer = {"ok": False, "memory": True}
        except BaseException as err:  # noqa: BLE001 - every failure goes back to the parent as data
            answer = {"ok": False, "type": type(err).__name__, "module": type(err).__module__,
                      "message": str(err), "traceback": traceback.format_exc()}
        payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        view = memoryview(payload)
        while view:
            view = view[os.write(write_fd, view):]
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        code = 1
    finally:
        os._exit(code)


def _cap_memory(max_mb: int) -> None:
    """Cap the address space at what the child maps now (inherited from the parent) plus `max_mb`."""
    try:
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return  # not Linux: no cap, the budget still holds
    limit = mapped + max_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


# -- the answer -------------------------------------------------------------------------------------------------


def _decode(payload: bytes, job: _Job, status: int, max_mb: int):
    from ingest.pipeline import Parsed

    try:
        answer = json.loads(payload.decode("utf-8")) if payload else None
    except (UnicodeDecodeError, ValueError):
        answer = None
    if answer is None:
        how = (f"signal {signal.Signals(os.WTERMSIG(status)).name}" if os.WIFSIGNALED(status)
               else f"exit code {os.waitstatus_to_exitcode(status)}")
        raise ParseCrashed(f"{job.path}: the parser stopped ({how}) before finishing, perhaps at the "
                           f"{max_mb} MB memory cap (REPORT_QA_PARSE_MAX_MB); the file was skipped.")
    if answer.get("memory"):
        raise ParseCrashed(f"{job.path}: parsing needed more than the {max_mb} MB memory cap and was stopped; the "
                           "file was skipped. Check the file, or raise REPORT_QA_PARSE_MAX_MB.")
    if not answer["ok"]:
        raise _error_from(answer)
    return Parsed(document_from_json(answer["document"]), answer["stages"])


def _error_from(answer: dict) -> BaseException:
    """The child's exception again: our own errors and builtins by type, anything else as a RuntimeError."""
    kind, message = answer["type"], answer["message"]
    module = sys.modules.get(answer["module"])  # only classes this process has too
    own = getattr(module, kind, None) if module is not None else None
    if isinstance(own, type) and issubclass(own, ReportQAError):
        return own(message)
    builtin = getattr(builtins, kind, None)
    if isinstance(builtin, type) and issubclass(builtin, Exception):
        try:
            return builtin(message)
        except TypeError:
            pass
    err = RuntimeError(f"{kind}: {message}")
    err.child_traceback = answer.get("traceback", "")  # type: ignore[attr-defined]
    return err


def _run_here(job: _Job, parser) -> None:
    if not getattr(_run_here, "warned", False):
        log.warning("os.fork is not available: reports are parsed in this process, with no time budget")
        _run_here.warned = True  # type: ignore[attr-defined]
    try:
        job.future.set_result(parser(job.path, job.max_words))
    except Exception as err:  # noqa: BLE001 - the file's own error
        job.future.set_exception(err)


def _seconds(budget: float) -> str:
    return f"{budget:g} s"


def document_to_json(document: Document) -> dict:
    return {"name": document.name, "text": document.text, "page_starts": document.page_starts,
            "sections": [asdict(s) for s in document.sections], "chunks": [c.to_json() for c in document.chunks],
            "pdf_page_starts": document.pdf_page_starts}


def document_from_json(data: dict) -> Document:
    """The inverse of document_to_json. Example: document_from_json(document_to_json(doc)) == doc."""
    return Document(data["name"], data["text"], [tuple(p) for p in data["page_starts"]],
                    [Section(**s) for s in data["sections"]], [Chunk.from_json(c) for c in data["chunks"]],
                    [tuple(p) for p in data["pdf_page_starts"]])
