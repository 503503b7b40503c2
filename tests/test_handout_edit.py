"""Editing the trainer's handout one item at a time (ui/handout.py, ui/trainers_tab.py): remove the ticked
items, move one up or down, clear; every change rewrites the preview and the download files, so a download
never holds a stale handout. Plain functions, no server, no model."""

from __future__ import annotations

from pathlib import Path

from ui import handout, trainers_tab


def item(heading: str) -> handout.HandoutItem:
    quote = handout.Quote(f"Quote for {heading}", "Section A", (3,), 1)
    return handout.HandoutItem(heading=heading, body=f"Answer to {heading} [1]", quotes=(quote,))


A, B, C = item("Who checks the lifebuoys?"), item("How often are drills held?"), item("What is a mooring?")


def download(view: trainers_tab.HandoutView) -> str:
    assert view.files is not None
    return Path(view.files[0]).read_text(encoding="utf-8")


def test_remove_items_by_position_ignores_stale_positions():
    assert handout.remove_items([A, B, C], [1]) == [A, C]
    assert handout.remove_items([A, B, C], [0, 2, 7]) == [B]
    assert handout.positions_of(["2", "9", "x", "0"], [A, B, C]) == [0, 2]


def test_move_item_is_clamped_at_both_ends():
    assert handout.move_item([A, B, C], 2, -1) == ([A, C, B], 1)
    assert handout.move_item([A, B, C], 0, -1) == ([A, B, C], 0)
    assert handout.move_item([A, B, C], 2, 1) == ([A, B, C], 2)
    assert trainers_tab.move_selected([A, B, C], ["0"], 1) == ([B, A, C], ["1"])
    assert trainers_tab.move_selected([A, B, C], [], 1) == ([A, B, C], [])


def test_item_choices_label_each_item_by_number_and_heading():
    long = item("word " * 40)
    choices = handout.item_choices([A, long])
    assert choices[0] == ("1. Who checks the lifebuoys?", "0")
    assert choices[1][1] == "1" and choices[1][0].endswith("…") and len(choices[1][0]) <= 82


def test_removing_one_of_two_rewrites_the_download():
    sheet = "Handout: Harbour Town 2022"
    both = trainers_tab.handout_view([A, B], sheet)
    assert [label for label, _ in both.choices] == ["1. Who checks the lifebuoys?", "2. How often are drills held?"]
    assert "lifebuoys" in download(both) and "drills" in download(both)

    kept = trainers_tab.remove_selected([A, B], ["0"])
    after = trainers_tab.handout_view(kept, sheet)
    text = download(after)
    assert text.startswith(f"# {handout.plain_md(sheet)}\n")
    assert "drills" in text and "lifebuoys" not in text
    assert "## 1. How often are drills held?" in text  # renumbered
    assert after.files != both.files  # a fresh folder: the old download is not overwritten under a reader
    assert [Path(p).suffix for p in after.files] == [".md", ".docx"]
    assert after.markdown == handout.handout_markdown(kept, sheet)
    assert after.choices == [("1. How often are drills held?", "0")] and after.selected == []


def test_an_empty_handout_has_nothing_to_download():
    view = trainers_tab.handout_view([], "Handout: X")
    assert view.files is None and view.choices == []
    assert "Nothing added yet" in view.markdown


def test_a_title_change_rewrites_the_files_under_the_new_title():
    first = trainers_tab.handout_view([A], "Handout: One")
    second = trainers_tab.handout_view([A], "Handout: Two")
    assert download(first).startswith("# Handout\\: One") and download(second).startswith("# Handout\\: Two")


def test_move_keeps_the_moved_item_ticked_in_the_view():
    moved, still = trainers_tab.move_selected([A, B, C], ["2"], -1)
    view = trainers_tab.handout_view(moved, "Handout: X", still)
    assert view.selected == ["1"] and view.choices[1][0] == "2. What is a mooring?"
    outputs = trainers_tab.handout_updates(view)
    assert outputs[0] == view.markdown and outputs[1] == view.files


def test_old_download_folders_are_deleted_beyond_the_kept_number(monkeypatch):
    from collections import deque

    from ui import downloads

    monkeypatch.setattr(downloads, "KEPT_FOLDERS", 2)
    monkeypatch.setattr(downloads, "_written", deque())
    written = [Path(handout.write_files([A])[0]).parent for _ in range(4)]
    assert [folder.exists() for folder in written] == [False, False, True, True]
    assert (written[-1] / "handout.md").read_text(encoding="utf-8").count("lifebuoys") >= 1
