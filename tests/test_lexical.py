"""Lexical matching: acronyms and the names they stand for find each other."""

from retrieval.lexical import LexicalIndex, glossary_acronyms, matched_text


def test_the_glossary_gives_the_acronyms(document):
    acronyms = glossary_acronyms(document.chunks)
    assert acronyms["NOMS"] == "National Offender Management Service"
    assert acronyms["RAR"] == "Rehabilitation Activity Requirement"
    assert "Desistance" not in acronyms  # a word, not an acronym


def test_a_passage_spelling_out_a_name_matches_its_acronym(document):
    recommendation = next(c for c in document.chunks if c.label == "Recommendation 8")
    text = matched_text(recommendation, glossary_acronyms(document.chunks))
    assert text.endswith("NOMS") or " NOMS" in text


def test_bm25_finds_the_spelled_out_passage_for_the_acronym(document):
    index = LexicalIndex(document.chunks)
    scores = index.scores("What was NOMS asked to do about accreditation?")
    best = document.chunks[int(scores.argmax())]
    assert best.label == "Recommendation 8"


def test_bm25_scores_are_rank_bm25s_to_the_bit(document):
    """Scored from postings, yet the same numbers as BM25Okapi.get_scores (repeated and unknown words too)."""
    import numpy as np

    from retrieval.questions import content_terms

    index = LexicalIndex(document.chunks)
    for question in ("How were the cases of women supervised and supervised again?", "zyzzyva quokka",
                     "What did the report recommend about accommodation for offenders?"):
        expected = np.asarray(index.bm25.get_scores(content_terms(question)), dtype=np.float32)
        assert np.array_equal(index.scores(question), expected)
