"""In a real browser, over a library of two reports: the trainers tab and the page heading follow the chat's
report picker; feedback given in the chat is an evaluator-tab dataset that runs; handout items are removed one
by one and the download holds only what is left.

The app starts on a small invented report (no practice examples); the bundled report (many) is picked.
Both are indexed with the hashing fake embedder: no model.
"""

from __future__ import annotations

import re

import pytest

from tests.test_browser import CHROMIUM, SMALL_REPORT, _library_page, _shots, ask, bot_messages

pytestmark = [pytest.mark.slow, pytest.mark.browser]

BUNDLED_TITLE = "Staffordshire and Stoke 2017"


@pytest.fixture(scope="module")
def two_report_server(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: install it with `apt-get install -y chromium` (or `make browser`)")
    from ingest.pipeline import ingest
    from ingest.settings import BUNDLED_REPORT, load_settings
    from retrieval.engine import Engine
    from tests.fakes import HashingEmbedder
    from tests.test_app_server import launch_for_tests

    root = tmp_path_factory.mktemp("browser-trainers")
    settings = load_settings(index_root=root / "index")
    small = root / "harbour-town-2022.txt"
    small.write_text(SMALL_REPORT, encoding="utf-8")
    ingest(small, settings, embedder=HashingEmbedder())
    ingest(BUNDLED_REPORT, settings, embedder=HashingEmbedder())
    engine = Engine.load(settings, report="harbour-town-2022", embedder=HashingEmbedder())
    demo, url = launch_for_tests(engine)
    yield url
    demo.close()


def _pick(page, picker: str, name) -> None:
    """Choose option `name` (text or pattern) in the Gradio dropdown with elem_id `picker`."""
    page.locator(f"#{picker} input").first.click()
    page.get_by_role("option", name=name).first.click()
    page.keyboard.press("Escape")


def test_the_trainers_tab_and_heading_follow_the_report_picker(two_report_server, tmp_path):
    from playwright.sync_api import expect

    with _library_page(two_report_server, {"width": 1400, "height": 1000}) as page:
        heading = page.locator("#rq-title")
        expect(heading).to_contain_text("Report library: 2 reports")
        expect(page).to_have_title(re.compile("Report library: 2 reports"))
        page.get_by_role("tab", name="For trainers").click()
        examples = page.locator("#rq-examples")
        expect(examples).to_contain_text("No practice example")  # the startup report has none
        page.get_by_role("tab", name="Chat").click()

        _pick(page, "rq-reports", re.compile(BUNDLED_TITLE))
        expect(heading).to_contain_text(BUNDLED_TITLE, timeout=10_000)
        expect(page).to_have_title(re.compile(BUNDLED_TITLE), timeout=5_000)
        page.get_by_role("tab", name="For trainers").click()
        expect(examples).to_contain_text("example(s)", timeout=10_000)
        expect(examples.locator("details").first).to_be_visible()
        expect(page.locator("#rq-handout")).to_contain_text(f"Handout: {BUNDLED_TITLE}")
        expect(page.locator("#rq-quiz-report input")).to_have_value(BUNDLED_TITLE)  # the quiz follows too
        page.screenshot(path=_shots(tmp_path) / "trainers-picked.png", full_page=True, animations="disabled")

        # An example of the picked report goes into the handout, its quote naming the report.
        _pick(page, "rq-example-picker", re.compile(r"^(Good|Poor)"))
        page.locator("#rq-add-example").click()
        expect(page.locator("#rq-handout")).to_contain_text(f"{BUNDLED_TITLE}, ", timeout=10_000)

        # Both picked: grouped by report, each under its title.
        page.get_by_role("tab", name="Chat").click()
        _pick(page, "rq-reports", re.compile("Inspection of harbour safety|Harbour"))
        expect(heading).to_contain_text("2 reports:", timeout=10_000)
        page.get_by_role("tab", name="For trainers").click()
        expect(examples.locator("h4")).to_have_count(2, timeout=10_000)
        expect(examples.locator("h4").first).to_contain_text(BUNDLED_TITLE)
        page.screenshot(path=_shots(tmp_path) / "trainers-two-reports.png", full_page=True,
                        animations="disabled")
    assert (_shots(tmp_path) / "trainers-two-reports.png").stat().st_size > 0


def test_chat_feedback_is_an_evaluator_dataset_that_runs(two_report_server, tmp_path):
    from playwright.sync_api import expect

    with _library_page(two_report_server, {"width": 1400, "height": 1000}) as page:
        ask(page, "Who checks the lifebuoys?")
        expect(bot_messages(page).last).to_contain_text("harbour master", timeout=20_000)
        page.locator("#rq-chat button[aria-label='Feedback']").last.click()
        page.locator("#rq-chat .extra-feedback-option", has_text="Correct").last.click()
        expect(page.locator("#rq-feedback-status")).to_contain_text("saved: correct", timeout=10_000)

        page.get_by_role("tab", name="For evaluators").click()
        _pick(page, "rq-eval-dataset", re.compile("Feedback from the chat"))
        page.locator("#rq-eval-run").click()
        status = page.locator("#rq-eval-status")
        expect(status).to_contain_text(re.compile(r"Ran \d+ question"), timeout=60_000)
        expect(page.locator("#rq-eval-overall")).to_be_visible()
        page.screenshot(path=_shots(tmp_path) / "eval-chat-feedback.png", full_page=True, animations="disabled")
    assert (_shots(tmp_path) / "eval-chat-feedback.png").stat().st_size > 0


def test_handout_items_are_removed_one_by_one_and_the_download_follows(two_report_server, tmp_path):
    from playwright.sync_api import expect

    with _library_page(two_report_server, {"width": 1400, "height": 1000}) as page:
        for question, says in [("Who checks the lifebuoys?", "harbour master"),
                               ("When do the ferries leave?", "")]:
            ask(page, question)
            expect(bot_messages(page)).to_have_count(1 if says else 2, timeout=20_000)
            if says:
                expect(bot_messages(page).last).to_contain_text(says, timeout=20_000)
            page.locator("#rq-add-answer").click()
        expect(page.get_by_text("Added to the handout (2 item(s))")).to_be_visible(timeout=10_000)

        page.get_by_role("tab", name="For trainers").click()
        entries = page.locator("#rq-handout-items")
        expect(entries.get_by_role("checkbox")).to_have_count(2, timeout=10_000)
        files = page.locator("#rq-handout-files")
        expect(files).to_contain_text(re.compile(r"handout\s*\.md"))
        entries.get_by_label("1. Who checks the lifebuoys?").check()
        page.locator("#rq-handout-remove").click()
        expect(entries.get_by_role("checkbox")).to_have_count(1, timeout=10_000)
        preview = page.locator("#rq-handout")
        expect(preview).to_contain_text("1. When do the ferries leave?")
        expect(preview).not_to_contain_text("lifebuoys")
        page.screenshot(path=_shots(tmp_path) / "handout-one-removed.png", full_page=True, animations="disabled")

        link = files.get_by_role("row", name=re.compile(r"handout\.md")).get_by_role("link")
        expect(link).to_be_visible(timeout=10_000)
        with page.expect_download() as caught:
            link.click()
        text = open(caught.value.path(), encoding="utf-8").read()

        page.locator("#rq-handout-clear").click()  # cleared: nothing left to download
        expect(entries.get_by_role("checkbox")).to_have_count(0, timeout=10_000)
        expect(files).not_to_contain_text(re.compile(r"handout\s*\.md"))
        expect(preview).to_contain_text("Nothing added yet")
    assert "When do the ferries leave?" in text
    assert "lifebuoys" not in text
