"""The trainers' quiz in a real browser: build a checked quiz, preview it, download it (GIFT parsed back)."""

from __future__ import annotations

import pytest

from tests.test_browser import CHROMIUM, _library_page, _shots
from tests.test_quiz import parse_gift

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def quiz_server(fake_engine):
    """The bundled report behind a real server, indexed with the hashing fake embedder (no model)."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: install it with `apt-get install -y chromium` (or `make browser`)")
    from tests.test_app_server import launch_for_tests

    demo, url = launch_for_tests(fake_engine)
    yield url
    demo.close()


def test_build_a_quiz_in_the_trainers_tab_and_download_it(quiz_server, tmp_path):
    from playwright.sync_api import expect

    with _library_page(quiz_server, {"width": 1400, "height": 1000}) as page:
        page.get_by_role("tab", name="For trainers").click()
        count = page.locator("#rq-quiz-n input")
        count.fill("5")
        page.locator("#rq-quiz-build").click()
        expect(page.locator("#rq-quiz-status")).to_contain_text("5 questions kept", timeout=30_000)
        preview = page.locator("#rq-quiz-preview")
        expect(preview).to_contain_text("Answer key")
        expect(preview).to_contain_text("HM Inspectorate of Probation")  # the report's publisher and date
        expect(preview).to_contain_text("p. ")
        for fmt in ("md", "docx", "gift", "csv"):
            expect(page.locator(f"#rq-quiz-{fmt}")).to_be_visible()
        page.locator("#rq-quiz").scroll_into_view_if_needed()
        page.screenshot(path=_shots(tmp_path) / "quiz.png", full_page=True, animations="disabled")
        with page.expect_download() as download:
            page.locator("#rq-quiz-gift").click()
        saved = tmp_path / "quiz.gift.txt"
        download.value.save_as(saved)
        assert len(parse_gift(saved.read_text(encoding="utf-8"))) == 5
        # Bad input is one line, and the app keeps serving.
        count.fill("0")
        page.locator("#rq-quiz-build").click()
        expect(page.locator("#rq-quiz-status")).to_contain_text("Could not build the quiz", timeout=10_000)
    assert (_shots(tmp_path) / "quiz.png").stat().st_size > 0
