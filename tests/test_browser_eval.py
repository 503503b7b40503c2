"""The evaluator tab in a real browser: run a small evaluation and see its numbers, failures and report."""

from __future__ import annotations

import pytest

from tests.test_browser import CHROMIUM, _library_page, _shots

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _served(engine, tmp_path_factory, gate=None):
    """The app over `engine` on a free port: yields its URL, closes it after."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: install it with `apt-get install -y chromium` (or `make browser`)")
    from tests.test_app_server import free_port
    from ui.app import build_app, launch_app

    demo = build_app(engine, eval_summary=tmp_path_factory.mktemp("no-eval") / "summary.json",
                     feedback_store=None, library=None, gate=gate)
    _, url, _ = launch_app(demo, "127.0.0.1", free_port(), prevent_thread_lock=True, quiet=True)
    yield url.rstrip("/")
    demo.close()


@pytest.fixture(scope="module")
def eval_server(fake_engine, tmp_path_factory):
    """The app over the bundled report indexed with the hashing fake (no model): a run takes seconds."""
    yield from _served(fake_engine, tmp_path_factory)


def test_run_a_small_evaluation_in_the_evaluator_tab(eval_server, tmp_path):
    from playwright.sync_api import expect

    with _library_page(eval_server, {"width": 1400, "height": 1000}) as page:
        page.get_by_role("tab", name="For evaluators").click()
        expect(page.locator("#rq-eval-run")).to_be_visible()
        limit = page.locator("#rq-eval-limit input")
        limit.fill("6")
        limit.press("Enter")
        page.locator("#rq-eval-run").click()
        status = page.locator("#rq-eval-status")
        expect(status).to_contain_text("Ran 6 questions", timeout=60_000)
        overall = page.locator("#rq-eval-overall")
        expect(overall).to_be_visible()
        expect(overall).to_contain_text("answer accuracy")
        expect(page.locator("#rq-eval-categories")).to_be_visible()
        expect(page.locator("#rq-eval-groups")).to_be_visible()
        expect(page.locator("#rq-eval-failures")).to_be_visible()
        report = page.locator("#rq-eval-report")
        expect(report).to_be_visible()
        expect(report).to_contain_text("report")
        href = report.get_by_role("link").first.get_attribute("href")
        assert href.endswith("/report.html")
        assert "<h1>Evaluation" in page.request.get(href).text()  # the link serves the HTML report
        page.screenshot(path=str(_shots(tmp_path) / "eval-tab.png"), full_page=True, animations="disabled")


@pytest.fixture(scope="module")
def slow_eval_server(fake_engine, tmp_path_factory):
    """The same app over an engine slowed to ~0.2 s an answer, so a run lasts long enough to cancel."""
    from tests.test_load_chat import Slow

    yield from _served(Slow(fake_engine, 0.2), tmp_path_factory)


def test_a_running_evaluation_shows_progress_and_cancels(slow_eval_server, tmp_path):
    from playwright.sync_api import expect

    with _library_page(slow_eval_server, {"width": 1400, "height": 1000}) as page:
        page.get_by_role("tab", name="For evaluators").click()
        page.locator("#rq-eval-run").click()
        expect(page.get_by_text("fused: ").first).to_be_visible(timeout=20_000)  # the progress bar's label
        page.screenshot(path=str(_shots(tmp_path) / "eval-tab-running.png"), animations="disabled")
        page.locator("#rq-eval-cancel").click()
        expect(page.locator("#rq-eval-status")).to_contain_text("Cancelled after", timeout=20_000)
        expect(page.locator("#rq-eval-overall")).to_be_hidden()


@pytest.fixture(scope="module")
def busy_server(fake_engine, tmp_path_factory):
    """One answer slot and no waiting place, answers slowed to 3 s: a second asker finds the chat busy."""
    from tests.test_load_chat import Slow
    from ui.api import AnswerGate

    yield from _served(Slow(fake_engine, 3.0), tmp_path_factory, gate=AnswerGate(concurrency=1, waiting=0))


def test_a_busy_chat_says_try_again_in_n_seconds(busy_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from tests.test_browser import FLAGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        first, second = (browser.new_context().new_page() for _ in range(2))  # two people, two sessions
        errors: list[str] = []
        for page in (first, second):
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.goto(busy_server)
            page.locator("#rq-question textarea").wait_for()
        first.locator("#rq-question textarea").fill("How are cases allocated to officers?")
        first.locator("#rq-ask").click()
        first.wait_for_timeout(800)  # the first question holds the only slot
        second.locator("#rq-question textarea").fill("What does the report say about caseloads?")
        second.locator("#rq-ask").click()
        expect(second.locator("#rq-chat")).to_contain_text("try again in 2 s", timeout=10_000)
        expect(second.locator("#rq-chat")).to_contain_text("What does the report say about caseloads?")
        expect(second.get_by_text("try again in 2 s").first).to_be_visible()
        second.locator("#rq-chat").screenshot(path=str(_shots(tmp_path) / "chat-busy.png"), animations="disabled")
        expect(first.locator("#rq-chat")).not_to_contain_text("try again in", timeout=10_000)
        browser.close()
    assert errors == []
