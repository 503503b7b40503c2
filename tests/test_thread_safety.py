"""Answering runs in several threads at once (chat workers, the REST API): shared helpers must not mix them up."""

from __future__ import annotations

import random
import threading

from retrieval.questions import stem


def test_stemming_from_many_threads_gives_the_serial_stems():
    rng = random.Random(3)
    letters = "abcdefghiklmnoprstuvwy"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(3, 14))) + rng.choice(["ing", "ed", "ness", "s"])
             for _ in range(3000)]
    raw = stem.__wrapped__  # past the cache: every call reaches the shared Snowball stemmer
    expected = [raw(w) for w in words]
    errors, results = [], {}

    def work(index: int) -> None:
        try:
            results[index] = [raw(w) for w in words]
        except Exception as err:  # an IndexError deep in the stemmer when two threads share it
            errors.append(repr(err))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(result == expected for result in results.values())


def test_questions_arriving_together_load_a_report_once(monkeypatch, tmp_path):
    """Many first questions at once (a server just started): each report's index is read once, not per thread."""
    import time

    from retrieval import library as library_module
    from tests.fakes import engine_over_text

    engine = engine_over_text(tmp_path, "Caseloads\n\nOfficers hold forty cases each on average.\n")
    loads = []

    def slow_load(settings, report=None, embedder=None, strategy="fused"):
        loads.append(report)
        time.sleep(0.2)  # reading a real index takes a while: long enough for the others to arrive
        return engine

    monkeypatch.setattr(library_module.Engine, "load", staticmethod(slow_load))
    library = library_module.Library(engine.settings, embedder=engine.embedder)
    got = []
    threads = [threading.Thread(target=lambda: got.append(library.engine("small-report"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == ["small-report"] and len(got) == 8 and all(g is engine for g in got)
