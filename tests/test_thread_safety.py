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
