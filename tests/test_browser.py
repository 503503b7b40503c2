"""A real browser against a real server: Debian's headless Chromium driven by Playwright, no download."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_app_server import FAIL_PHRASE, launch_for_tests

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
# Keep Chromium quiet offline: no sandbox in containers, no background network, no component updates.
FLAGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--disable-dev-shm-usage"]
TABLE_QUESTION = "What proportion of NPS cases with an alcohol need had sufficient intervention?"


@pytest.fixture(scope="module")
def server(real_index):
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: install it with `apt-get install -y chromium` (or `make browser`)")
    from retrieval.engine import Engine

    settings, _ = real_index
    demo, url = launch_for_tests(Engine.load(settings=settings))
    yield url
    demo.close()


@pytest.fixture
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.errors = []  # Gradio front-end crashes show only as page errors
        page.dialogs = []  # an alert() would mean a script from a question or the report ran
        page.outside = []  # requests leaving loopback
        page.on("pageerror", lambda err: page.errors.append(str(err)))
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("request", lambda req: None if req.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                else page.outside.append(req.url))
        page.goto(server)
        page.locator("#rq-question textarea").wait_for()
        yield page
        browser.close()
    assert page.errors == []
    assert page.dialogs == []
    assert page.outside == []


def ask(page, question: str) -> None:
    page.locator("#rq-question textarea").fill(question)
    page.locator("#rq-ask").click()


def bot_messages(page):
    """The assistant's answers, without the collapsed cited passages (those are "thought" messages)."""
    return page.locator("#rq-chat .message:not(.thought) > [data-testid='bot']")


def test_answer_citation_and_table_with_chart(page, tmp_path):
    from playwright.sync_api import expect

    ask(page, "What does ATR stand for?")
    expect(bot_messages(page).first).to_contain_text("Alcohol Treatment Requirement", timeout=20_000)
    title = page.locator("#rq-chat .thought-group .title").first
    expect(title).to_contain_text("[1]")
    passage = page.locator("#rq-chat .thought-group mark").first
    expect(passage).to_be_hidden()  # collapsed until clicked
    title.click()
    expect(passage).to_be_visible()
    expect(passage).to_contain_text("Alcohol Treatment Requirement")

    ask(page, TABLE_QUESTION)  # a follow-up in the same conversation
    expect(page.locator("#rq-table")).to_be_visible(timeout=20_000)
    expect(page.locator("#rq-table")).to_contain_text("Alcohol")
    expect(page.locator("#rq-table")).to_contain_text("80%")
    expect(page.locator("#rq-chart img")).to_be_visible()  # matplotlib arrives as an image
    expect(page.locator("#rq-chat [data-testid='user']")).to_have_count(2)
    page.screenshot(path=tmp_path / "chat.png", full_page=True, animations="disabled")
    assert (tmp_path / "chat.png").stat().st_size > 10_000


def test_open_cited_passage_in_the_report(page):
    from playwright.sync_api import expect

    ask(page, TABLE_QUESTION)
    expect(page.locator("#rq-table")).to_be_visible(timeout=20_000)
    page.locator("#rq-open-cited").click()
    cited = page.locator("#rq-reader #rq-cited")
    expect(cited).to_be_visible(timeout=10_000)
    expect(cited.locator("mark")).to_contain_text("80%")


def test_bad_input_is_shown_as_text_and_the_app_keeps_serving(page):
    from playwright.sync_api import expect

    page.locator("#rq-ask").click()  # empty message: nothing is sent
    page.wait_for_timeout(500)
    expect(page.locator("#rq-chat [data-testid='user']")).to_have_count(0)

    ask(page, "<script>alert('x')</script><img src=x onerror=alert('y')> What does ATR stand for?")
    user = page.locator("#rq-chat [data-testid='user']").last
    expect(user).to_contain_text("<script>alert('x')</script>", timeout=20_000)
    expect(page.locator("#rq-chat img[src='x']")).to_have_count(0)

    ask(page, f"Please {FAIL_PHRASE}.")
    expect(bot_messages(page).last).to_contain_text("Something went wrong", timeout=20_000)
    ask(page, "How many cases were in the inspection sample?")
    expect(bot_messages(page).last).to_contain_text("61 cases", timeout=20_000)
    expect(bot_messages(page).last).to_be_visible()


def test_trainer_filters_and_handout(page):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="For trainers").click()
    page.get_by_label("Keyword").fill("alcohol")
    page.get_by_label("Keyword").press("Enter")
    expect(page.locator("#rq-examples")).to_contain_text("example(s)")
    expect(page.locator("#rq-examples details").first).to_be_visible()
    page.get_by_role("tab", name="Chat").click()
    ask(page, "What does ATR stand for?")
    expect(bot_messages(page).first).to_contain_text("Alcohol Treatment Requirement", timeout=20_000)
    page.locator("#rq-add-answer").click()
    page.get_by_role("tab", name="For trainers").click()
    expect(page.locator("#rq-handout")).to_contain_text("Appendix 4: Glossary, p. 61")


HOSTILE = "![x](http://127.0.0.1:9/p.png) [link](http://x) <b>html</b> **b** What does ATR stand for?"


def test_markdown_in_a_question_is_plain_text_and_fetches_nothing(page):
    from playwright.sync_api import expect

    fetched = []
    page.on("request", lambda req: fetched.append(req.url) if "p.png" in req.url else None)
    ask(page, HOSTILE)
    expect(bot_messages(page).first).to_contain_text("Alcohol Treatment Requirement", timeout=20_000)
    user = page.locator("#rq-chat [data-testid='user']").last
    expect(user).to_contain_text("![x](http://127.0.0.1:9/p.png) [link](http://x) <b>html</b> **b**")
    assert user.locator("img, a, b, strong").count() == 0
    assert fetched == []


def test_a_marker_of_an_earlier_answer_opens_its_passage(page):
    from playwright.sync_api import expect

    ask(page, "What does ATR stand for?")
    expect(bot_messages(page).first).to_contain_text("Alcohol Treatment Requirement", timeout=20_000)
    ask(page, TABLE_QUESTION)
    expect(page.locator("#rq-table")).to_be_visible(timeout=20_000)
    page.locator("#rq-chat a[href='#rq-cite-0-1']").click()  # [1] of the first answer, not the latest
    cited = page.locator("#rq-reader #rq-cited")
    expect(cited).to_be_visible(timeout=10_000)
    expect(cited.locator("mark")).to_contain_text("Alcohol Treatment Requirement")
    expect(page.locator("#rq-reader")).to_contain_text("Glossary")


def test_feedback_on_an_answer_is_stored_with_the_expected_answer(page, real_index):
    from playwright.sync_api import expect

    from ui.feedback import FeedbackStore

    store = FeedbackStore.at(real_index[0].index_root)
    before = len(store.records())
    ask(page, "How many cases were in the inspection sample?")
    expect(bot_messages(page).last).to_contain_text("61 cases", timeout=20_000)
    page.locator("#rq-chat button[aria-label='Feedback']").last.click()
    page.locator("#rq-chat .extra-feedback-option", has_text="Wrong evidence").last.click()
    status = page.locator("#rq-feedback-status")
    expect(status).to_contain_text("saved: wrong evidence", timeout=10_000)
    page.locator("#rq-fb-expected textarea").fill("61 cases")
    page.locator("#rq-fb-save").click()
    expect(status).to_contain_text("Details added", timeout=10_000)
    records = store.records()
    assert len(records) == before + 1
    assert (records[-1].question, records[-1].verdict, records[-1].expected) == (
        "How many cases were in the inspection sample?", "wrong_evidence", "61 cases")


def test_copy_gives_plain_text_with_citations(page):
    from playwright.sync_api import expect

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    ask(page, "<b>x</b> > What does ATR stand for?")
    expect(bot_messages(page).first).to_contain_text("Alcohol Treatment Requirement", timeout=20_000)
    page.locator("#rq-chat button[aria-label='Copy conversation']").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "<b>x</b> > What does ATR stand for?" in copied
    assert "&gt;" not in copied and "&#" not in copied and "rq-cite" not in copied
    assert "Sources: [1] ATR · Appendix 4: Glossary · p. 61" in copied


def test_the_conversation_survives_a_reload_until_cleared(page):
    from playwright.sync_api import expect

    ask(page, "What does ATR stand for?")
    expect(bot_messages(page).first).to_contain_text("Alcohol Treatment Requirement", timeout=20_000)
    page.wait_for_timeout(1_000)  # the save runs after the answer
    page.reload()
    page.locator("#rq-question textarea").wait_for()
    expect(bot_messages(page).first).to_contain_text("Alcohol Treatment Requirement", timeout=10_000)
    page.locator("#rq-chat a[href='#rq-cite-0-1']").click()  # the restored answer's [1] still opens
    expect(page.locator("#rq-reader #rq-cited")).to_be_visible(timeout=10_000)
    page.get_by_role("tab", name="Chat").click()
    page.locator("#rq-save-chat").click()  # the restored conversation downloads, with its citations
    expect(page.locator("#rq-chat-file a")).to_have_attribute("href", re.compile(r"conversation\.md$"),
                                                       timeout=10_000)
    page.get_by_role("button", name="Clear conversation").click()
    expect(page.locator("#rq-chat [data-testid='user']")).to_have_count(0)
    page.wait_for_timeout(1_000)
    page.reload()
    page.locator("#rq-question textarea").wait_for()
    page.wait_for_timeout(1_500)
    expect(page.locator("#rq-chat [data-testid='user']")).to_have_count(0)


# ---------- the library: upload a report, ask it; the phone layout ----------

SMALL_REPORT = """Harbour Town Council

Inspection of harbour safety
Report published: 4 April 2022

Summary

The harbour master checks the lifebuoys every morning before the ferries leave.
"""

UPLOADED_REPORT = """Lantern Valley Council

Inspection of library services
Report published: 3 March 2021

Summary

The Lantern Valley mobile library visits seventeen villages every fortnight. Volunteers run the \
reading clubs for children in the summer holidays.
"""


@pytest.fixture(scope="module")
def library_server(tmp_path_factory):
    """A fresh library (one small report, the hashing fake embedder: no model) behind a real server."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: install it with `apt-get install -y chromium` (or `make browser`)")
    from tests.fakes import engine_over_text
    from tests.test_app_server import free_port
    from ui.app import build_app, launch_app

    engine = engine_over_text(tmp_path_factory.mktemp("browser-library"), SMALL_REPORT)
    demo = build_app(engine, eval_summary=tmp_path_factory.mktemp("no-eval") / "summary.json")
    _, url, _ = launch_app(demo, "127.0.0.1", free_port(), prevent_thread_lock=True, quiet=True)
    yield url.rstrip("/")
    demo.close()


def _shots(tmp_path: Path) -> Path:
    """Where screenshots go: the test's tmp_path, or $REPORT_QA_SCREENSHOTS (keep them out of the repo)."""
    import os

    folder = Path(os.environ.get("REPORT_QA_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _library_page(url: str, viewport: dict):
    """A context manager: a page on the library server that fails the test on a front-end error."""
    from contextlib import contextmanager

    from playwright.sync_api import sync_playwright

    @contextmanager
    def opened():
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            page = browser.new_page(viewport=viewport)
            errors: list[str] = []
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.goto(url)
            page.locator("#rq-question textarea").wait_for()
            yield page
            browser.close()
        assert errors == []

    return opened()


def test_upload_a_report_then_ask_it_and_the_citation_names_it(library_server, tmp_path):
    from playwright.sync_api import expect

    report = tmp_path / "Lantern Valley 2021.txt"
    report.write_text(UPLOADED_REPORT, encoding="utf-8")
    with _library_page(library_server, {"width": 1400, "height": 1000}) as page:
        page.locator("#rq-upload-box").get_by_text("Add a report").click()
        page.locator("#rq-upload input[type=file]").set_input_files(str(report))
        page.locator("#rq-upload-add").click()
        expect(page.locator("#rq-upload-status")).to_contain_text("Added", timeout=30_000)
        # The picker now holds the new report, chosen.
        expect(page.locator("#rq-reports")).to_contain_text("Lantern Valley", timeout=5_000)
        page.screenshot(path=_shots(tmp_path) / "uploaded.png", full_page=True, animations="disabled")
        ask(page, "Who runs the reading clubs for children?")
        answer = bot_messages(page).first
        expect(answer).to_contain_text("reading clubs", timeout=20_000)
        expect(answer).to_contain_text("Sources:")
        expect(answer).to_contain_text("Lantern Valley")  # the sources line names the report
        title = page.locator("#rq-chat .thought-group .title").first
        expect(title).to_be_visible()
        expect(title).to_contain_text("Lantern Valley")
        page.screenshot(path=_shots(tmp_path) / "upload-answer.png", full_page=True, animations="disabled")
        # A bad upload says why and adds nothing.
        bad = tmp_path / "fake.pdf"
        bad.write_text("not a pdf at all", encoding="utf-8")
        page.locator("#rq-upload input[type=file]").set_input_files(str(bad))
        page.locator("#rq-upload-add").click()
        expect(page.locator("#rq-upload-status")).to_contain_text("not a PDF", timeout=10_000)
    assert (_shots(tmp_path) / "upload-answer.png").stat().st_size > 0


def _in_view(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 844 and box["x"] + box["width"] <= 390


def test_phone_layout_keeps_ask_and_every_tab_reachable(library_server, tmp_path):
    from playwright.sync_api import expect

    with _library_page(library_server, {"width": 390, "height": 844}) as page:
        page.screenshot(path=_shots(tmp_path) / "phone-start.png", animations="disabled")
        assert _in_view(page, "#rq-question textarea"), "the question box is off screen at 390x844"
        assert _in_view(page, "#rq-ask"), "the Ask button is off screen at 390x844"
        ask(page, "Who checks the lifebuoys?")
        expect(bot_messages(page).first).to_contain_text("harbour master", timeout=20_000)
        assert _in_view(page, "#rq-ask"), "the Ask button left the screen after an answer"
        for name in ("Read the report", "For trainers", "For evaluators", "Chat"):
            tab = page.get_by_role("tab", name=name)
            expect(tab).to_be_visible()
            tab.click()
            expect(tab).to_have_attribute("aria-selected", "true")
        page.screenshot(path=_shots(tmp_path) / "phone-answer.png", animations="disabled")
