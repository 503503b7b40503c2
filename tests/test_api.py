"""The REST API (ui/api.py) with FastAPI's TestClient over a small library indexed with the fake embedder."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from ingest.errors import ReportQAError
from ingest.pipeline import ingest
from ingest.settings import BUNDLED_REPORT, load_settings
from retrieval.library import Library
from tests.fakes import HashingEmbedder
from ui import api

SMALL_MD = (b"# Inspection of Exampleton\n\nThe inspectors looked at 120 cases in Exampleton in 2016. "
            b"Caseloads of officers were too high.\n")
PDF_BYTES = (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


@pytest.fixture(scope="module")
def index_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("api") / "index"
    ingest(BUNDLED_REPORT, load_settings(index_root=root), embedder=HashingEmbedder())
    return root


@pytest.fixture
def service(index_root):
    settings = load_settings(index_root=index_root)
    return api.ApiService(Library(settings, embedder=HashingEmbedder()), settings,
                          api.AnswerGate(concurrency=1, waiting=0, wait_seconds=1.0))


@pytest.fixture
def client(service):
    return TestClient(api.create_app(service), base_url="http://127.0.0.1")


def _ids(client) -> list[str]:
    return [r["id"] for r in client.get("/api/reports").json()]


# -- each endpoint --------------------------------------------------------------------------------------------


def test_ask_returns_the_answer_object_naming_its_report(client):
    reply = client.post("/api/ask", json={"question": "What does ATR stand for?", "k": 3})
    assert reply.status_code == 200
    answer = reply.json()
    assert "Alcohol Treatment Requirement" in answer["answer"] and not answer["abstained"]
    assert answer["citations"] and all(c["report"]["id"] == "staffordshire-and-stoke-2017"
                                       for c in [*answer["citations"], *answer["passages"]])
    assert len(answer["passages"]) <= 3


def test_reports_lists_the_library(client):
    reports = client.get("/api/reports").json()
    assert [r["id"] for r in reports] == ["staffordshire-and-stoke-2017"]
    assert {"title", "publisher", "date", "pages", "chunks"} <= set(reports[0])


def test_upload_ask_and_delete_a_report(client, index_root):
    reply = client.post("/api/reports", files={"file": ("Exampleton 2016.md", SMALL_MD, "text/markdown")})
    assert reply.status_code == 201, reply.text
    assert reply.json()["id"] == "exampleton-2016" and reply.json()["chunks"] >= 1
    assert "exampleton-2016" in _ids(client)
    answer = client.post("/api/ask", json={"question": "How many cases did the inspectors look at?",
                                           "reports": ["exampleton-2016"]}).json()
    assert "120" in answer["answer"] and answer["citations"][0]["report"]["id"] == "exampleton-2016"

    again = client.post("/api/reports", files={"file": ("exampleton-2016.txt", b"Other text about things.")})
    assert again.status_code == 409 and "DELETE /api/reports/exampleton-2016" in again.json()["error"]

    assert client.delete("/api/reports/exampleton-2016").status_code == 204
    assert not (index_root / "exampleton-2016").exists()
    assert _ids(client) == ["staffordshire-and-stoke-2017"]
    missing = client.delete("/api/reports/exampleton-2016")
    assert missing.status_code == 404 and "staffordshire-and-stoke-2017" in missing.json()["error"]


def test_feedback_is_stored(client, index_root):
    answer = client.post("/api/ask", json={"question": "What does ATR stand for?"}).json()
    reply = client.post("/api/feedback", json={"question": "What does ATR stand for?", "answer": answer,
                                               "verdict": "wrong_answer", "expected": "Alcohol Treatment"})
    assert reply.status_code == 201
    from ui.feedback import FeedbackStore

    record = [r for r in FeedbackStore.at(index_root).records() if r.id == reply.json()["id"]][0]
    assert (record.verdict, record.report, record.expected) == ("wrong_answer", "staffordshire-and-stoke-2017",
                                                                "Alcohol Treatment")
    bad = client.post("/api/feedback", json={"question": "q?", "answer": "x", "verdict": "meh"})
    assert bad.status_code == 400 and "correct, wrong_answer, wrong_evidence" in bad.json()["error"]


def test_docs_document_the_api(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/reports", "/api/reports/{report}", "/api/feedback"} <= set(paths)


# -- bad input: one clear JSON line, 4xx, never a 500 -------------------------------------------------------


@pytest.mark.parametrize(("body", "content_type", "says"), [
    (b"{", "application/json", "not valid JSON"),
    (b"\xff\xfe\xc3(", "application/json", "JSON"),
    (b'"just a string"', "application/json", "body"),
    (b"[1, 2]", "application/json", "body"),
    (b'{"question": 5}', "application/json", "question"),
    (b'{"question": null}', "application/json", "question"),
    (b'{}', "application/json", "'question' is missing"),
    (b'{"question": "What is ATR?", "k": "5"}', "application/json", "'k'"),
    (b'{"question": "What is ATR?", "k": 100000}', "application/json", "k must be between 1 and 50"),
    (b'{"question": "What is ATR?", "reports": "nope"}', "application/json", "reports"),
    (b'{"question": "What is ATR?", "colour": "red"}', "application/json", "unknown field 'colour'"),
    (b'{"question": "What is ATR? \\ud800"}', "application/json", "lone surrogate"),
    (b'{"question": ""}', "application/json", "empty"),
    (b"question=What", "application/x-www-form-urlencoded", "body"),
    (b"", "application/json", "body"),
])
def test_bad_ask_bodies_are_clear_400s(client, body, content_type, says):
    reply = client.post("/api/ask", content=body, headers={"content-type": content_type})
    assert reply.status_code == 400, reply.text
    assert set(reply.json()) == {"error"} and says in reply.json()["error"]
    assert "\n" not in reply.json()["error"]


def test_unknown_report_in_ask_names_the_known_ones(client):
    reply = client.post("/api/ask", json={"question": "What does ATR stand for?", "reports": ["nope"]})
    assert reply.status_code == 404 and "staffordshire-and-stoke-2017" in reply.json()["error"]


def test_a_10_mb_body_is_refused_before_it_is_read(client):
    for path in ("/api/ask", "/api/feedback"):
        reply = client.post(path, content=b"{" * 10_000_000, headers={"content-type": "application/json"})
        assert reply.status_code == 413 and "limit" in reply.json()["error"]


def test_a_body_without_content_length_is_still_limited(client):
    def chunks():
        for _ in range(12):
            yield b"x" * 100_000

    reply = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert reply.status_code == 413


# -- uploads ------------------------------------------------------------------------------------------------


def _raw_upload(client, name: str, data: bytes):
    """A multipart body built by hand, so the server sees the file name exactly as sent."""
    body = (b'--BOUNDARY\r\nContent-Disposition: form-data; name="file"; filename="' + name.encode("utf-8")
            + b'"\r\nContent-Type: text/plain\r\n\r\n' + data + b"\r\n--BOUNDARY--\r\n")
    return client.post("/api/reports", content=body,
                       headers={"content-type": "multipart/form-data; boundary=BOUNDARY"})


# ("C:\\x.txt" never arrives as such: the multipart parser keeps only "x.txt".)
@pytest.mark.parametrize("name", ["../evil.txt", "../../etc/passwd.txt", "/etc/passwd.txt", "a/b.txt",
                                  "..\\evil.txt", "..\\..\\windows.txt", "..txt", ".hidden.txt",
                                  "x\x00.txt", "~/x.txt", "%2e%2e/x.txt"])
def test_path_traversal_file_names_are_refused(client, index_root, name):
    before = sorted(p.name for p in index_root.iterdir())
    reply = _raw_upload(client, name, b"Some report text about caseloads.")
    assert reply.status_code == 400, reply.text
    assert "file name" in reply.json()["error"]
    assert sorted(p.name for p in index_root.iterdir()) == before


@pytest.mark.parametrize(("name", "data", "says"), [
    ("page.pdf", b"<!DOCTYPE html><html>saved web page</html>", "not a PDF"),
    ("report.txt", PDF_BYTES, "rename it to .pdf"),
    ("report.txt", b"\x00\x01\x02binary", "binary"),
    ("report.txt", "caf\u00e9 r\u00e9sum\u00e9".encode("latin-1"), "not UTF-8"),
    ("report.docx", b"some text", "does not end in"),
    ("empty.txt", b"", "empty"),
    ("---.txt", b"Text about caseloads.", "no letters or digits"),
    ("broken.pdf", PDF_BYTES, "broken.pdf"),  # a PDF header and nothing readable
])
def test_bad_uploads_leave_the_library_unchanged(client, index_root, name, data, says):
    before = sorted(p.name for p in index_root.iterdir())
    reply = client.post("/api/reports", files={"file": (name, data)})
    assert reply.status_code == 400, reply.text
    assert says in reply.json()["error"] and "report-qa-upload-" not in reply.json()["error"]
    assert sorted(p.name for p in index_root.iterdir()) == before
    assert _ids(client) == ["staffordshire-and-stoke-2017"]


def test_upload_needs_exactly_one_file(client):
    none = client.post("/api/reports", data={"x": "y"})
    assert none.status_code == 400 and "file" in none.json()["error"]
    two = client.post("/api/reports", files=[("file", ("a.txt", b"Text one.")), ("file", ("b.txt", b"Two."))])
    assert two.status_code == 400 and "exactly one file" in two.json()["error"]


def test_an_upload_over_the_limit_is_413(client, monkeypatch):
    monkeypatch.setattr(api, "MAX_UPLOAD_BYTES", 1000)
    reply = client.post("/api/reports", files={"file": ("big.txt", b"word " * 10_000)})
    assert reply.status_code == 413


# -- overload -----------------------------------------------------------------------------------------------


def test_a_full_gate_answers_429_with_retry_after(client, service):
    service.gate.enter()  # the only place (concurrency 1, 0 waiting) is taken
    try:
        reply = client.post("/api/ask", json={"question": "What does ATR stand for?"})
    finally:
        service.gate.leave()
    assert reply.status_code == 429 and reply.headers["retry-after"] == "2"
    assert "busy" in reply.json()["error"]
    assert client.post("/api/ask", json={"question": "What does ATR stand for?"}).status_code == 200


def test_a_waiter_that_never_gets_a_slot_is_told_to_retry(service):
    gate = api.AnswerGate(concurrency=1, waiting=1, wait_seconds=0.2)
    release = threading.Event()
    worker = threading.Thread(target=gate.run, args=(release.wait,))
    worker.start()
    try:
        with pytest.raises(api.ApiError) as caught:
            gate.run(lambda: None)
        assert caught.value.status == 429 and caught.value.headers["Retry-After"]
    finally:
        release.set()
        worker.join()
    assert gate.run(lambda: 7) == 7


# -- shared deployment --------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:7860", "127.0.0.1.evil.example", "10.0.0.5"])
def test_a_foreign_host_header_is_refused(client, host):
    reply = client.get("/api/reports", headers={"host": host})
    assert reply.status_code == 400 and "Host" in reply.json()["error"]


@pytest.mark.parametrize("host", ["127.0.0.1:7860", "localhost:7860", "[::1]:7860", "LOCALHOST"])
def test_loopback_host_headers_are_served(client, host):
    assert client.get("/api/reports", headers={"host": host}).status_code == 200


def test_the_configured_host_and_allowed_hosts_are_served(service):
    security = api.ServeSecurity.from_env("10.0.0.5", {api.HOSTS_ENV: "reports.example.org"})
    client = TestClient(api.create_app(service, security), base_url="http://10.0.0.5")
    assert client.get("/api/reports").status_code == 200
    assert client.get("/api/reports", headers={"host": "reports.example.org"}).status_code == 200
    assert client.get("/api/reports", headers={"host": "evil.example"}).status_code == 400


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.org"])
def test_a_non_loopback_address_is_refused_without_auth(host):
    with pytest.raises(ReportQAError, match="REPORT_QA_API_TOKEN.*REPORT_QA_AUTH"):
        api.ServeSecurity.from_env(host, {}).check_bind(host)
    with pytest.raises(ReportQAError, match="REPORT_QA_AUTH"):  # a token alone is not enough
        api.ServeSecurity.from_env(host, {api.TOKEN_ENV: "t" * 32}).check_bind(host)
    api.ServeSecurity.from_env(host, {api.TOKEN_ENV: "t" * 32, api.AUTH_ENV: "alice:pw-long"}).check_bind(host)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_auth(host):
    api.ServeSecurity.from_env(host, {}).check_bind(host)


@pytest.mark.parametrize(("env", "says"), [({api.TOKEN_ENV: "short"}, "at least 16"),
                                           ({api.AUTH_ENV: "alice"}, "user:password")])
def test_weak_or_malformed_auth_settings_are_refused(env, says):
    with pytest.raises(ReportQAError, match=says):
        api.ServeSecurity.from_env("0.0.0.0", env)


def test_serve_refuses_a_public_address_before_loading_anything(monkeypatch, capsys):
    from ui.cli import main

    monkeypatch.delenv(api.TOKEN_ENV, raising=False)
    monkeypatch.delenv(api.AUTH_ENV, raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "7999"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: refusing to listen on 0.0.0.0") and "REPORT_QA_API_TOKEN" in err


def test_the_bearer_token_guards_the_api(service):
    token = "s3cret-token-0123456789"
    client = TestClient(api.create_app(service, api.ServeSecurity(token=token)), base_url="http://127.0.0.1")
    refused = client.get("/api/reports")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/reports", headers={"authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/reports", headers={"authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/docs").status_code == 200  # the documentation is not secret


# -- inside the Gradio app ----------------------------------------------------------------------------------


def test_harden_mounts_the_api_and_closes_direct_gradio_routes(fake_engine, service):
    import httpx

    from ui.app import build_app, launch_app

    demo = api.harden(build_app(fake_engine, feedback_store=None), service, api.ServeSecurity())
    _, url, _ = launch_app(demo, "127.0.0.1", None, prevent_thread_lock=True, quiet=True)
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            answer = http.post("/api/ask", json={"question": "What does ATR stand for?"})
            assert answer.status_code == 200 and answer.json()["citations"][0]["report"]
            assert http.post("/gradio_api/run/ask", json={"data": ["What does ATR stand for?"]}).status_code == 404
            assert http.post("/gradio_api/call/ask", json={"data": ["What does ATR stand for?"]}).status_code == 200
            assert http.get("/", headers={"host": "evil.example"}).status_code == 400
            big = http.post("/gradio_api/upload", files={"files": ("a.bin", b"0" * 5_000_000)})
            assert big.status_code == 413
            assert set(http.get("/openapi.json").json()["paths"]) == {
                "/api/ask", "/api/reports", "/api/reports/{report}", "/api/feedback"}
    finally:
        demo.close()


def test_harden_with_accounts_puts_the_chat_behind_a_login_and_the_api_behind_the_token(fake_engine, service):
    import httpx

    from ui.app import build_app, launch_app

    token = "t0ken-for-the-api-0123"
    security = api.ServeSecurity.from_env("127.0.0.1", {api.TOKEN_ENV: token, api.AUTH_ENV: "alice:pw-long"})
    demo = api.harden(build_app(fake_engine, feedback_store=None), service, security)
    _, url, _ = launch_app(demo, "127.0.0.1", None, prevent_thread_lock=True, quiet=True)
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            assert http.post("/gradio_api/call/ask", json={"data": ["What does ATR stand for?"]}).status_code == 401
            assert http.get("/api/reports").status_code == 401
            assert http.get("/api/reports", headers={"authorization": f"Bearer {token}"}).status_code == 200
            assert http.post("/login", data={"username": "alice", "password": "pw-long"}).status_code == 200
    finally:
        demo.close()


def test_the_engine_the_chat_serves_is_shared_with_the_api(fake_engine):
    service = api.ApiService.for_engine(fake_engine)
    assert service.library.engine(fake_engine.document.name) is fake_engine


@pytest.mark.slow
def test_the_real_server_answers_over_the_api_and_refuses_overload(real_engine):
    """`serve`'s wiring with the real model: answers, 429 once the gate is full, the library unchanged."""
    import httpx

    from ui.app import build_app, launch_app

    service = api.ApiService.for_engine(real_engine, concurrency=1)
    service.gate = api.AnswerGate(concurrency=1, waiting=0)
    demo = api.harden(build_app(real_engine, feedback_store=None), service, api.ServeSecurity())
    _, url, _ = launch_app(demo, "127.0.0.1", None, prevent_thread_lock=True, quiet=True)
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            answer = http.post("/api/ask", json={"question": "What does ATR stand for?"}).json()
            assert "Alcohol Treatment Requirement" in answer["answer"]
            assert answer["citations"][0]["report"]["id"] == "staffordshire-and-stoke-2017"
            service.gate.enter()
            try:
                busy = http.post("/api/ask", json={"question": "What does ATR stand for?"})
            finally:
                service.gate.leave()
            assert busy.status_code == 429 and busy.headers["retry-after"]
            assert [r["id"] for r in http.get("/api/reports").json()] == ["staffordshire-and-stoke-2017"]
    finally:
        demo.close()
