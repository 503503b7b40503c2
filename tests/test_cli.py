"""The command line: one clear line and exit code 2 for anything the user can fix, never a traceback."""

import json

import pytest

from ui.cli import main


@pytest.fixture
def index_root(fake_engine, monkeypatch):
    """Point the CLI at the fake-embedder index; the engine it loads uses the same fake model."""
    from tests.fakes import HashingEmbedder

    monkeypatch.setattr("ingest.embed.SentenceTransformerEmbedder",
                        lambda *args, **kwargs: HashingEmbedder())
    monkeypatch.setattr("retrieval.engine.make_embedder",
                        lambda *args, **kwargs: HashingEmbedder())
    return str(fake_engine.settings.index_root)


def test_ask_prints_answer_citations_and_passages(index_root, capsys):
    assert main(["ask", "--index-root", index_root, "What does ATR stand for?"]) == 0
    out = capsys.readouterr().out
    assert "Alcohol Treatment Requirement" in out
    assert "[1] " in out and "p. 61" in out and "Passages retrieved:" in out


def test_ask_json_prints_the_answer_object(index_root, capsys):
    assert main(["ask", "--index-root", index_root, "--json", "-k", "3", "What does ATR stand for?"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["question"] == "What does ATR stand for?" and len(data["passages"]) == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ask", ""], "empty"),  # empty question
        (["ask", "x" * 100_000], "characters long"),  # huge question
        (["ask", "what\x07 is this"], "control characters"),  # control character
        (["ask", "¿Cuál es la tasa de reincidencia en Stoke?"], "English"),  # another language
        (["ask"], "give one question"),  # nothing to ask
        (["ask", "--kind", "poem", "What is RAR?"], "unknown --kind"),  # bad filter
        (["ask", "-k", "0", "What is RAR?"], "at least 1"),  # bad k
    ],
)
def test_bad_input_is_one_line_and_exit_2(index_root, capsys, argv, message):
    assert main([argv[0], "--index-root", index_root, *argv[1:]]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_missing_index_is_exit_2(tmp_path, capsys):
    assert main(["ask", "--index-root", str(tmp_path), "What is RAR?"]) == 2
    assert "run `report-qa ingest`" in capsys.readouterr().err


def test_batch_answers_every_good_line_and_reports_bad_ones_by_number(index_root, tmp_path, capsys):
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        '{"id": "a", "question": "What does ATR stand for?"}\n'
        "not json\n"
        '{"id": "c", "question": ""}\n'
        '{"id": "d", "question": "What is a PSR?"}\n', encoding="utf-8")
    out = tmp_path / "answers.jsonl"
    assert main(["ask", "--index-root", index_root, "--batch", str(questions), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "line 2:" in err and "line 3:" in err
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r.get("id") for r in records] == ["a", None, "c", "d"]
    assert "Alcohol Treatment Requirement" in records[0]["answer"]
    assert records[1]["line"] == 2 and "error" in records[1]
    assert records[3]["answer"]


def test_ingest_bad_path_is_exit_2(tmp_path, capsys):
    assert main(["ingest", "--index-root", str(tmp_path), str(tmp_path / "missing.txt")]) == 2
    assert "report not found" in capsys.readouterr().err


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("ingest", "ask", "serve", "eval"):
        assert command in out
