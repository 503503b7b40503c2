"""The REST API beside the Gradio app, and the guards a shared deployment needs.

    service = ApiService(Library(settings, embedder=engine.embedder), settings)
    app = create_app(service, ServeSecurity.from_env("127.0.0.1"))      # a FastAPI app (tests, uvicorn)
    demo = harden(build_app(engine), service, security)                 # or: the same routes inside Gradio's app

Routes (documented at /docs): POST /api/ask, GET /api/reports, POST /api/reports (multipart, one file),
DELETE /api/reports/{id}, POST /api/feedback. Every error is JSON `{"error": "one line"}` with a 4xx status;
bad input is never a 500. Answering runs behind a bounded gate: when it is full the reply is 429 with
Retry-After.

Guards (GuardMiddleware, on every route, Gradio's included): a Host header that is not this server's is
refused (DNS rebinding); request bodies are size-limited before they are read; with REPORT_QA_API_TOKEN set,
/api/* needs `Authorization: Bearer <token>`. `serve` refuses a non-loopback address unless both
REPORT_QA_API_TOKEN and REPORT_QA_AUTH (user:password for the Gradio app) are set.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, File, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from ingest.catalog import ReportEntry, list_reports, remove_report
from ingest.clean import MAX_REPORT_BYTES
from ingest.errors import IndexProblem, ReportQAError
from ingest.metadata import report_id
from ingest.settings import Settings
from retrieval.library import Library, Selection
from ui import feedback

log = logging.getLogger(__name__)

TOKEN_ENV = "REPORT_QA_API_TOKEN"
AUTH_ENV = "REPORT_QA_AUTH"
HOSTS_ENV = "REPORT_QA_ALLOWED_HOSTS"
MIN_TOKEN = 16
MAX_JSON_BYTES = 1_000_000  # /api/* JSON bodies: a question, or an answer object sent back with feedback
MAX_UPLOAD_BYTES = MAX_REPORT_BYTES  # the file itself: the ingest limit
UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and headers around the file
MAX_OTHER_BODY = 4_000_000  # Gradio's routes: a chat turn with its history; the app has no upload control
GRADIO_MAX_FILE = "4mb"
MAX_K = 50
UPLOAD_FIELD = File(description=".pdf, .txt or .md, up to 50 MB; the type is read from the content")
MAX_NAME = 200
UPLOAD_SUFFIXES = (".pdf", ".txt", ".md", ".markdown")
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
CONCURRENCY = 4  # answers computed at once (two cores)
MAX_WAITING = 16  # answers waiting for a slot; beyond that, 429
WAIT_SECONDS = 30.0
RETRY_AFTER = 2  # seconds, in the 429's Retry-After


# ---------- errors ----------


class ApiError(Exception):
    """An error the client can fix (or wait out): its status, one line, and optional headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _overloaded(what: str = "answering") -> ApiError:
    return ApiError(429, f"the server is busy {what}; retry in {RETRY_AFTER} s.", {"Retry-After": str(RETRY_AFTER)})


def _validation_message(err: RequestValidationError) -> str:
    """FastAPI's list of errors as one line. Example: "field 'question': Input should be a valid string"."""
    problems = err.errors()
    if not problems:
        return "the request is not valid."
    first = problems[0]
    kind = first.get("type", "")
    if kind == "json_invalid":
        reason = first.get("ctx", {}).get("error", "cannot be parsed")
        return f"the body is not valid JSON ({reason}); send a JSON object."
    where = [str(part) for part in first.get("loc", ()) if part != "body"]
    if kind == "missing":
        return f"field {'.'.join(where)!r} is missing." if where else "the request has no body; send a JSON object."
    if kind == "extra_forbidden":
        return f"unknown field {'.'.join(where)!r}."
    message = str(first.get("msg", "is not valid"))
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return (f"field {'.'.join(where)!r}: {message}" if where else f"the body: {message}") + more


class JsonErrorRoute(APIRoute):
    """Every failure of an /api route as `{"error": ...}`: bad JSON and wrong types are 400, never a 500."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as err:
                return error_response(err.status, err.message, err.headers)
            except RequestValidationError as err:
                return error_response(400, _validation_message(err))
            except HTTPException as err:  # FastAPI's own (and Starlette's): body parsing, a missing form
                if isinstance(err.__cause__, _TooLarge):
                    return error_response(413, f"the request body is over the "
                                          f"{body_limit(request.method, request.url.path):,}-byte limit.")
                detail = err.detail if isinstance(err.detail, str) else json.dumps(err.detail, default=str)
                if "parsing the body" in detail:
                    detail = "the body could not be read (not UTF-8 JSON, or a broken multipart form)."
                return error_response(err.status_code, detail, dict(err.headers or {}))
            except IndexProblem as err:  # the server's index, not the request: still one clear line
                return error_response(503, str(err))
            except ReportQAError as err:
                return error_response(400, str(err))
            except Exception as err:  # a bug: logged with its traceback, the client gets one line
                log.exception("internal error on %s %s", request.method, request.url.path)
                return error_response(500, f"internal error ({type(err).__name__}); the server is still running.")

        return guarded


def _text(value: str | None, name: str, limit: int | None = None) -> str | None:
    """Text from a JSON body, refused when it holds a lone surrogate or control characters."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ApiError(400, f"{name} is not valid text (a lone surrogate at character {err.start + 1}); "
                            "send UTF-8 text.") from None
    if limit is not None and len(value) > limit:
        raise ApiError(400, f"{name} is {len(value):,} characters long; keep it under {limit:,}.")
    return value


# ---------- overload ----------


class AnswerGate:
    """At most `concurrency` answers at once and `waiting` more queued; anyone beyond is told to retry (429)."""

    def __init__(self, concurrency: int = CONCURRENCY, waiting: int = MAX_WAITING,
                 wait_seconds: float = WAIT_SECONDS) -> None:
        if concurrency < 1 or waiting < 0:
            raise ReportQAError(f"the answer gate needs concurrency >= 1 and waiting >= 0, not {concurrency}, "
                                f"{waiting}.")
        self.capacity = concurrency + waiting
        self.wait_seconds = wait_seconds
        self._slots = threading.BoundedSemaphore(concurrency)
        self._lock = threading.Lock()
        self.pending = 0

    def enter(self) -> None:
        """Take a place (answering or waiting), or raise a 429."""
        with self._lock:
            if self.pending >= self.capacity:
                raise _overloaded()
            self.pending += 1

    def leave(self) -> None:
        with self._lock:
            self.pending -= 1

    def run(self, work: Callable[[], Any]) -> Any:
        """In a worker thread: wait for a slot (bounded), then work."""
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise _overloaded()
        try:
            return work()
        finally:
            self._slots.release()

    async def call(self, work: Callable[[], Any]) -> Any:
        self.enter()
        try:
            return await run_in_threadpool(self.run, work)
        finally:
            self.leave()


# ---------- the service behind the routes ----------


@dataclass
class ApiService:
    """The library, the feedback store and the gate the routes share."""

    library: Library
    settings: Settings
    gate: AnswerGate = field(default_factory=AnswerGate)
    _ingesting: threading.Lock = field(default_factory=threading.Lock)
    _library_lock: threading.RLock = field(default_factory=threading.RLock)
    _store: feedback.FeedbackStore | None = None

    @classmethod
    def for_engine(cls, engine, concurrency: int = CONCURRENCY) -> ApiService:
        """The library under the engine's index root, sharing its (already loaded) embedding model."""
        settings = engine.settings
        library = Library(settings, embedder=engine.embedder, strategy=getattr(engine, "strategy", "fused"))
        name = getattr(getattr(engine, "document", None), "name", None)
        if any(e.id == name for e in library.entries):  # the report the chat serves: loaded once, not twice
            library.adopt(engine)
        return cls(library, settings, AnswerGate(concurrency))

    def entries(self) -> list[ReportEntry]:
        """The reports on disk now (a CLI ingest while serving shows up), kept in the library."""
        with self._library_lock:
            self.library.entries = list_reports(self.settings.index_root)
            return list(self.library.entries)

    def known(self, report: str) -> ReportEntry:
        entries = self.entries()
        for entry in entries:
            if entry.id == report:
                return entry
        known = ", ".join(e.id for e in entries) or "none yet (POST /api/reports adds one)"
        raise ApiError(404, f"no report {report!r}; known reports: {known}.")

    def ask(self, question: str, reports: list[str], k: int | None) -> dict[str, Any]:
        selection = Selection(reports=tuple(reports))
        return self.library.ask(question, k=k, selection=selection).to_json()

    def embedder(self):
        embedder = self.library.embedder
        return getattr(embedder, "inner", embedder)  # ingest need not fill the question cache

    def store(self) -> feedback.FeedbackStore:
        if self._store is None:
            self._store = feedback.FeedbackStore.at(self.settings.index_root)
        return self._store

    def add_upload(self, name: str, upload) -> ReportEntry:
        """Check, save and ingest one uploaded file; the library is unchanged if anything fails."""
        from ingest.pipeline import ingest

        name = safe_upload_name(name)
        try:
            new_id = report_id(Path(name).stem)
        except ReportQAError as err:
            raise ApiError(400, str(err)) from None
        if any(e.id == new_id for e in self.entries()):
            raise ApiError(409, f"report {new_id!r} is already in the library; DELETE /api/reports/{new_id} "
                                "first, or rename the file to add it beside it.")
        if not self._ingesting.acquire(blocking=False):
            raise _overloaded("ingesting another upload")
        folder = Path(tempfile.mkdtemp(prefix="report-qa-upload-"))
        try:
            path = folder / name
            size = _save(upload, path)
            sniff_upload(path, size)
            Path(self.settings.index_root).mkdir(parents=True, exist_ok=True)
            try:
                result = ingest(path, self.settings, embedder=self.embedder())
            except ReportQAError as err:
                raise ApiError(400, str(err).replace(str(path), name).replace(str(folder), "the upload")) from None
            with self._library_lock:
                self.library.forget(result.report_name)  # a stale engine, if any
            return self.known(result.report_name)
        finally:
            self._ingesting.release()
            shutil.rmtree(folder, ignore_errors=True)

    def remove(self, report: str) -> None:
        self.known(report)
        with self._library_lock:
            remove_report(self.settings.index_root, report)
            self.library.forget(report)
        self.entries()


def safe_upload_name(name: str | None) -> str:
    """The uploaded file's name if it is a plain file name with a report suffix; else a 400 saying why."""
    if not name or not name.strip():
        raise ApiError(400, "the uploaded file has no name; send it as multipart field 'file' with a file name.")
    shown = name.encode("utf-8", "backslashreplace").decode("utf-8")[:80]
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in name):
        raise ApiError(400, f"the file name {shown!r} holds control characters or invalid text; rename the file.")
    if "/" in name or "\\" in name or name.startswith("~") or (len(name) > 1 and name[1] == ":"):
        raise ApiError(400, f"the file name {shown!r} is a path; send a plain file name (no folders, no "
                            "absolute paths).")
    if ".." in name or name.startswith("."):
        raise ApiError(400, f"the file name {shown!r} has '..' or starts with '.'; rename the file.")
    if len(name) > MAX_NAME:
        raise ApiError(400, f"the file name is {len(name)} characters long; keep it under {MAX_NAME}.")
    if Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
        raise ApiError(400, f"the file name {shown!r} does not end in {', '.join(UPLOAD_SUFFIXES)}; upload a "
                            "PDF, text or Markdown report.")
    return name


def _save(upload, path: Path) -> int:
    """Copy the upload to `path`, stopping (400) once it passes the size limit."""
    size = 0
    with open(path, "wb") as out:
        while chunk := upload.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise ApiError(413, f"the file is over the {MAX_UPLOAD_BYTES:,}-byte limit; split the report.")
            out.write(chunk)
    if size == 0:
        raise ApiError(400, f"{path.name} is empty; upload a report with text in it.")
    return size


def sniff_upload(path: Path, size: int) -> None:
    """The content decides what the file is; a name that says otherwise is refused (400)."""
    with open(path, "rb") as handle:
        head = handle.read(8192)
    is_pdf = head[:1024].lstrip().startswith(b"%PDF-")
    named_pdf = path.suffix.lower() == ".pdf"
    if named_pdf and not is_pdf:
        start = head[:40].decode("latin-1").strip()
        raise ApiError(400, f"{path.name} is named .pdf but is not a PDF (it starts {start!r}); upload the real "
                            "PDF.")
    if is_pdf and not named_pdf:
        raise ApiError(400, f"{path.name} is a PDF named {path.suffix}; rename it to .pdf.")
    if not is_pdf:
        if b"\x00" in head:
            raise ApiError(400, f"{path.name} is binary, not text (it has NUL bytes); upload a PDF, .txt or .md.")
        try:
            path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise ApiError(400, f"{path.name} is not UTF-8 text (bad byte at offset {err.start}); convert it "
                                "to UTF-8 first.") from None


# ---------- request bodies ----------


class AskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: StrictStr = Field(description="the question, in English", examples=["What does ATR stand for?"])
    reports: list[StrictStr] | None = Field(None, description="report ids to ask (default: the whole library)")
    k: StrictInt | None = Field(None, description=f"passages to draw on, 1..{MAX_K} (default: the top_k setting)")


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: StrictStr
    answer: dict[str, Any] | StrictStr = Field(description="the answer object /api/ask returned (or its text)")
    verdict: StrictStr = Field(description=" | ".join(feedback.VERDICTS))
    note: StrictStr | None = None
    expected: StrictStr | None = Field(None, description="the right answer, when the verdict is wrong_answer")


# ---------- routes ----------


def build_router(service: ApiService) -> APIRouter:
    router = APIRouter(prefix="/api", route_class=JsonErrorRoute, tags=["report-qa"])
    errors = {status: {"description": "`{\"error\": \"one line\"}`"} for status in (400, 401, 404, 413, 429)}

    @router.post("/ask", summary="Answer a question from the library", responses=errors)
    async def ask(body: AskBody) -> dict[str, Any]:
        """The answer object (as `report-qa ask --json`); each citation and passage names its report."""
        question = _text(body.question, "question")
        reports = [_text(r, "report id") for r in body.reports or []]
        if body.k is not None and not 1 <= body.k <= MAX_K:
            raise ApiError(400, f"k must be between 1 and {MAX_K}, not {body.k}.")
        for report in reports:
            service.known(report)
        return await service.gate.call(lambda: service.ask(question, reports, body.k))

    @router.get("/reports", summary="List the reports in the library")
    async def reports() -> list[dict[str, Any]]:
        """id, title, publisher, date, place, kind, pages, chunks, source file of every report."""
        return [e.to_json() for e in await run_in_threadpool(service.entries)]

    @router.post("/reports", status_code=201, summary="Add one report (multipart upload)", responses=errors)
    async def upload(request: Request, file: UploadFile = UPLOAD_FIELD):
        """The new report's entry. The type is read from the content; the library is unchanged on failure."""
        form = await request.form()
        if len([v for _, v in form.multi_items() if not isinstance(v, str)]) != 1:
            raise ApiError(400, "upload exactly one file, as multipart field 'file'.")
        entry = await run_in_threadpool(service.add_upload, file.filename, file.file)
        return JSONResponse(entry.to_json(), status_code=201)

    @router.delete("/reports/{report}", status_code=204, summary="Remove a report", responses=errors)
    async def delete(report: str) -> Response:
        """The other reports are not touched."""
        await run_in_threadpool(service.remove, _text(report, "report id"))
        return Response(status_code=204)

    @router.post("/feedback", status_code=201, summary="Record a verdict on an answer", responses=errors)
    async def give_feedback(body: FeedbackBody) -> dict[str, int]:
        """Stored in <index_root>/feedback.sqlite, as the chat's feedback menu stores it."""
        answer = body.answer if isinstance(body.answer, dict) else {"answer": _text(body.answer, "answer")}
        reports = [c.get("report", {}).get("id") for c in answer.get("citations") or []
                   if isinstance(c, dict) and isinstance(c.get("report"), dict)]
        record = await run_in_threadpool(
            service.store().add, _text(body.question, "question"), answer, body.verdict,
            report=reports[0] if reports else None, settings=service.settings,
            note=_text(body.note, "note"), expected=_text(body.expected, "expected"))
        return JSONResponse({"id": record}, status_code=201)

    return router


# ---------- deployment guards ----------


def is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServeSecurity:
    token: str | None = None
    accounts: tuple[tuple[str, str], ...] = ()
    allowed_hosts: frozenset[str] = LOOPBACK_NAMES

    @classmethod
    def from_env(cls, host: str, environ: dict[str, str] | None = None) -> ServeSecurity:
        env = os.environ if environ is None else environ
        token = env.get(TOKEN_ENV, "").strip() or None
        if token is not None and len(token) < MIN_TOKEN:
            raise ReportQAError(f"{TOKEN_ENV} is {len(token)} characters long; use at least {MIN_TOKEN} random "
                                "characters, e.g. `python -c 'import secrets; print(secrets.token_urlsafe())'`.")
        accounts = []
        for item in filter(None, (part.strip() for part in env.get(AUTH_ENV, "").split(","))):
            user, sep, password = item.partition(":")
            if not sep or not user or not password:
                raise ReportQAError(f"{AUTH_ENV} must be user:password (several separated by commas), not "
                                    f"{user or item!r}…; e.g. {AUTH_ENV}='alice:a-long-password'.")
            accounts.append((user, password))
        hosts = set(LOOPBACK_NAMES)
        hosts.update(h.strip().strip("[]").lower() for h in env.get(HOSTS_ENV, "").split(",") if h.strip())
        name = host.strip("[]").lower()
        if name in ("0.0.0.0", "::", ""):  # every interface: this machine's names and addresses
            hosts.update(_machine_names())
        else:
            hosts.add(name)
        return cls(token, tuple(accounts), frozenset(hosts))

    def check_bind(self, host: str) -> None:
        """Loopback is always allowed; any other address only with both kinds of authentication."""
        if is_loopback(host):
            return
        missing = [what for what, ok in ((f"{TOKEN_ENV} (bearer token for /api/*)", self.token),
                                         (f"{AUTH_ENV} (user:password for the chat app)", self.accounts)) if not ok]
        if missing:
            raise ReportQAError(
                f"refusing to listen on {host}, which other machines can reach, without authentication: set "
                f"{' and '.join(missing)}, e.g. `{TOKEN_ENV}=$(python -c 'import secrets; "
                f"print(secrets.token_urlsafe())') {AUTH_ENV}=alice:a-long-password report-qa serve --host {host}`"
                "; or serve on 127.0.0.1.")


def _machine_names() -> set[str]:
    names = set()
    try:
        for name in (socket.gethostname(), socket.getfqdn()):
            names.add(name.lower())
            for info in socket.getaddrinfo(name, None):
                names.add(str(info[4][0]).lower())
    except OSError:
        pass
    return names


def _host_name(header: str) -> str:
    """Example: "[::1]:7860" -> "::1"; "Localhost:7860" -> "localhost"."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def body_limit(method: str, path: str) -> int:
    if path.startswith("/api/"):
        if method == "POST" and path.rstrip("/") == "/api/reports":
            return MAX_UPLOAD_BYTES + UPLOAD_OVERHEAD
        return MAX_JSON_BYTES
    return MAX_OTHER_BODY


class _TooLarge(Exception):
    pass


class GuardMiddleware:
    """Pure ASGI: Host check, body-size limit, bearer token on /api/*; errors as JSON without reading the body."""

    def __init__(self, app, security: ServeSecurity) -> None:
        self.app = app
        self.security = security

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = _host_name(headers.get("host", ""))
        if host not in self.security.allowed_hosts:
            return await _send_error(send, scope, 400, f"this server does not answer to Host {host[:60]!r}; "
                                     f"use http://127.0.0.1 or set {HOSTS_ENV} to the name clients use.")
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope.get("path", ""), scope.get("method", "GET")
        if self.security.token and path.startswith("/api/") and not _bearer_ok(headers, self.security.token):
            return await _send_error(send, scope, 401, "this API needs `Authorization: Bearer <token>` (the "
                                     f"server's {TOKEN_ENV}).", {"WWW-Authenticate": "Bearer"})
        limit = body_limit(method, path)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return await _send_error(send, scope, 413, f"the request body is {int(declared):,} bytes, over the "
                                     f"{limit:,}-byte limit for {path[:60]}.")
        received, started = 0, False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_error(send, scope, 413, f"the request body is over the {limit:,}-byte limit for "
                                  f"{path[:60]}.")


def _bearer_ok(headers: dict[str, str], token: str) -> bool:
    scheme, _, given = headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


async def _send_error(send, scope, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = json.dumps({"error": message}).encode()
    extra = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *extra]})
    await send({"type": "http.response.body", "body": body})


# ---------- assembling ----------

TITLE = "report-qa REST API"
DESCRIPTION = ("Ask a library of reports questions and get answers with checked citations; list, add and "
               "remove reports; record feedback. Errors are `{\"error\": \"one line\"}` with a 4xx status.")


def _api_openapi(app: FastAPI) -> Callable[[], dict]:
    """/docs shows the /api routes only, not Gradio's internals."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            routes = [r for r in app.routes if getattr(r, "path", "").startswith("/api/")]
            app.openapi_schema = get_openapi(title=TITLE, version="1", description=DESCRIPTION, routes=routes)
        return app.openapi_schema

    return openapi


def create_app(service: ApiService, security: ServeSecurity | None = None) -> FastAPI:
    """The API on its own (tests, or `uvicorn` behind a proxy): routes, guards, docs at /docs."""
    app = FastAPI(title=TITLE, description=DESCRIPTION, routes=build_router(service).routes,
                  middleware=[Middleware(GuardMiddleware, security=security or ServeSecurity())])
    app.openapi = _api_openapi(app)
    return app


def harden(demo, service: ApiService, security: ServeSecurity):
    """The Gradio app with the API mounted and the guards on: direct /gradio_api/run/* closed (queue only),
    uploads size-limited, `auth` when configured. Works through `demo.launch`, so launch_app is unchanged."""
    demo.api_open = False  # queue() keeps it unless told otherwise: direct POSTs must join the queue
    launch = demo.launch

    def guarded_launch(*args, **kwargs):
        app_kwargs = dict(kwargs.pop("app_kwargs", None) or {})
        app_kwargs["routes"] = [*build_router(service).routes, *app_kwargs.get("routes", [])]
        app_kwargs["middleware"] = [Middleware(GuardMiddleware, security=security), *app_kwargs.get("middleware", [])]
        app_kwargs.setdefault("docs_url", "/docs")
        kwargs.setdefault("max_file_size", GRADIO_MAX_FILE)
        if security.accounts:
            kwargs.setdefault("auth", list(security.accounts))
        result = launch(*args, app_kwargs=app_kwargs, **kwargs)
        demo.app.openapi = _api_openapi(demo.app)
        return result

    demo.launch = guarded_launch
    return demo
