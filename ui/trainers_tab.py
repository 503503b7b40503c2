"""The trainers tab's practice examples and handout, following the chat's report picker: the examples of the
picked report(s) (grouped by report, under its title, when several are picked), filters over them, and a
handout titled after the picked report(s).

    trainer = build(engine, library, items, own_title, chat_picker)  # inside ui.app.build_app

Handlers are module functions over `picked.PickedReport`s (no Gradio state), so tests call them without a
server.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import gradio as gr

from ingest.records import Chunk
from ui import handout, render
from ui.picked import PickedReport, picked_ids, picked_reports

SEPARATOR = "::"  # an example's dropdown value: "<report id>::<chunk id>" (chunk ids repeat across reports)


@dataclass(frozen=True)
class ExampleGroup:
    report: PickedReport
    examples: list[Chunk]


# ---------- handlers ----------


def example_groups(reports: list[PickedReport]) -> list[ExampleGroup]:
    return [ExampleGroup(r, render.practice_examples(r.document)) for r in reports]


def filtered(groups: list[ExampleGroup], polarity: str = render.ALL, organisation: str = render.ALL,
             domain: str = render.ALL, keyword: str = "") -> list[ExampleGroup]:
    return [ExampleGroup(g.report, render.filter_examples(g.examples, polarity, organisation, domain,
                                                          keyword or "")) for g in groups]


def groups_html(groups: list[ExampleGroup]) -> str:
    """One report: its examples as before; several: a heading per report (its title) over its examples."""
    if len(groups) == 1:
        return render.examples_html(groups[0].examples)
    parts = []
    for group in groups:
        body = render.examples_html(group.examples) if group.examples else \
            "<p class='rq-muted'>No practice example here (or none matches these filters).</p>"
        parts.append(f"<section class='rq-example-report'><h4>{render.escape(group.report.title)}</h4>"
                     f"{body}</section>")
    return "".join(parts)


def example_choices(groups: list[ExampleGroup]) -> list[tuple[str, str]]:
    """(label, "<report>::<chunk>") per example; labels name the report when several are picked."""
    several = len(groups) > 1
    return [((f"{g.report.title} · " if several else "") + render.example_title(c),
             f"{g.report.id}{SEPARATOR}{c.id}") for g in groups for c in g.examples]


def organisations_of(groups: list[ExampleGroup]) -> list[str]:
    """Example: examples of "CRC", "NPS" and "CRC and NPS" -> ["CRC", "NPS"]."""
    return sorted({o for g in groups for c in g.examples for o in (c.organisation or "").split(" and ") if o})


def domains_of(groups: list[ExampleGroup]) -> list[str]:
    return render.domains_of([c for g in groups for c in g.examples])


def find_example(groups: list[ExampleGroup], value: str | None) -> tuple[PickedReport, Chunk] | None:
    report, _, chunk_id = (value or "").partition(SEPARATOR)
    for group in groups:
        if group.report.id == report:
            chunk = next((c for c in group.examples if c.id == chunk_id), None)
            return (group.report, chunk) if chunk else None
    return None


def example_item(report: PickedReport, chunk: Chunk, named: bool) -> handout.HandoutItem:
    """A practice example for the handout; `named` (a library): its quote names the report."""
    item = handout.item_from_example(chunk)
    if not named:
        return item
    return replace(item, quotes=tuple(replace(q, report=report.title) for q in item.quotes))


def sheet_title(reports: list[PickedReport], kind: str = "Handout") -> str:
    """The handout's title: one report's title, publisher and date; several: their titles.

    Example: two picked -> "Handout: Birmingham … ; Stoke …".
    """
    if len(reports) == 1:
        return handout.sheet_title(reports[0].title, reports[0].about, kind)
    return f"{kind}: " + "; ".join(r.title for r in reports)


def view(engine, library, chosen: list[str] | None, own_title: str) -> tuple[list[ExampleGroup], str]:
    """The picked reports' example groups and the handout's title."""
    reports = picked_reports(engine, library, chosen, own_title)
    return example_groups(reports), sheet_title(reports)


@dataclass(frozen=True)
class HandoutView:
    """What the page shows of a handout after any change: its preview, its download files (None when
    empty: nothing stale to download) and its items for the checkbox list."""
    markdown: str
    files: list[str] | None
    choices: list[tuple[str, str]]
    selected: list[str]


def handout_view(items: list[handout.HandoutItem], sheet: str, selected: list[str] | None = None) -> HandoutView:
    """The preview and freshly written files for `items` under the title `sheet`: called on every change
    (add, remove, move, clear, title), so a download always holds the handout shown."""
    files = handout.write_files(items, sheet) if items else None
    return HandoutView(handout.handout_markdown(items, sheet), files, handout.item_choices(items),
                       [str(p) for p in handout.positions_of(selected, items)])


def handout_updates(view_: HandoutView) -> tuple:
    """A HandoutView as Gradio outputs: (preview, files, item list)."""
    return view_.markdown, view_.files, gr.CheckboxGroup(choices=view_.choices, value=view_.selected)


def remove_selected(items: list[handout.HandoutItem], selected: list[str] | None) -> list[handout.HandoutItem]:
    """The handout without the ticked items (checkbox values are positions)."""
    return handout.remove_items(items, handout.positions_of(selected, items))


def move_selected(items: list[handout.HandoutItem], selected: list[str] | None,
                  step: int) -> tuple[list[handout.HandoutItem], list[str]]:
    """The first ticked item moved `step` places (-1 up, +1 down); it stays ticked at its new place.
    Nothing ticked: unchanged."""
    positions = handout.positions_of(selected, items)
    if not positions:
        return list(items), []
    moved, position = handout.move_item(items, positions[0], step)
    return moved, [str(position)]


# ---------- the area ----------


def build(engine, library, items: gr.State, own_title: str, picker=None) -> dict:
    """Practice examples and the handout; with the chat's report `picker`, both follow it."""
    groups, sheet_text = view(engine, library, [], own_title)
    picked = gr.State(picked_ids(engine, library, []))  # report ids shown here
    sheet = gr.State(sheet_text)
    with gr.Row():
        with gr.Column(scale=3):
            gr.Markdown("### Practice examples")
            with gr.Row():
                polarity = gr.Radio([render.ALL, "good", "poor"], value=render.ALL, label="Practice")
                organisation = gr.Dropdown([render.ALL, *organisations_of(groups)], value=render.ALL,
                                           label="Organisation")
                domain = gr.Dropdown([render.ALL, *domains_of(groups)], value=render.ALL, label="Domain")
                keyword = gr.Textbox(label="Keyword", placeholder="e.g. alcohol")
            listing = gr.HTML(groups_html(groups), elem_id="rq-examples")
            with gr.Row():
                chosen = gr.Dropdown(label="Example", choices=example_choices(groups), scale=3,
                                     elem_id="rq-example-picker")
                add = gr.Button("Add example to handout", scale=1, elem_id="rq-add-example")
        with gr.Column(scale=2):
            # The controls above the preview: they stay in reach however long the handout grows.
            entries = gr.CheckboxGroup([], label="Handout items (tick to remove or move)",
                                       elem_id="rq-handout-items")
            with gr.Row():
                remove = gr.Button("Remove selected", elem_id="rq-handout-remove", size="sm")
                up = gr.Button("Move up", elem_id="rq-handout-up", size="sm")
                down = gr.Button("Move down", elem_id="rq-handout-down", size="sm")
                clear = gr.Button("Clear handout", elem_id="rq-handout-clear", size="sm")
            files = gr.File(label="Download (Markdown and .docx, always the handout shown)",
                            file_count="multiple", interactive=False, elem_id="rq-handout-files")
            preview = gr.Markdown(handout.handout_markdown([], sheet_text), elem_id="rq-handout")
    shown = [preview, files, entries]  # rewritten on every change: handout_view

    def current_groups(ids):
        return view(engine, library, ids, own_title)[0]

    def refilter(ids, polarity_, organisation_, domain_, keyword_):
        kept = filtered(current_groups(ids), polarity_, organisation_, domain_, keyword_)
        return groups_html(kept), gr.Dropdown(choices=example_choices(kept), value=None)

    filters = [polarity, organisation, domain, keyword]
    for control in filters:
        control.input(refilter, [picked, *filters], [listing, chosen], api_visibility="private")

    def add_example(ids, value, current, sheet_):
        found = find_example(current_groups(ids), value)
        if found is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        new = handout.add_item(current, example_item(*found, named=library is not None and
                                                     len(library.entries) > 1))
        return new, *handout_updates(handout_view(new, sheet_))

    add.click(add_example, [picked, chosen, items, sheet], [items, *shown], api_visibility="private")

    def removed(current, ticked, sheet_):
        new = remove_selected(current, ticked)
        return new, *handout_updates(handout_view(new, sheet_))

    def moved(step):
        def handler(current, ticked, sheet_):
            new, still = move_selected(current, ticked, step)
            return new, *handout_updates(handout_view(new, sheet_, still))
        return handler

    remove.click(removed, [items, entries, sheet], [items, *shown], api_visibility="private")
    up.click(moved(-1), [items, entries, sheet], [items, *shown], api_visibility="private")
    down.click(moved(1), [items, entries, sheet], [items, *shown], api_visibility="private")
    clear.click(lambda sheet_: ([], *handout_updates(handout_view([], sheet_))), sheet, [items, *shown],
                api_visibility="private")

    if picker is not None:
        def follow(chosen_reports, current):
            groups_, sheet_ = view(engine, library, chosen_reports, own_title)
            return (picked_ids(engine, library, chosen_reports), sheet_, groups_html(groups_),
                    gr.Dropdown(choices=example_choices(groups_), value=None), render.ALL,
                    gr.Dropdown(choices=[render.ALL, *organisations_of(groups_)], value=render.ALL),
                    gr.Dropdown(choices=[render.ALL, *domains_of(groups_)], value=render.ALL), "",
                    *handout_updates(handout_view(current, sheet_)))  # a new title: new files

        picker.change(follow, [picker, items],
                      [picked, sheet, listing, chosen, polarity, organisation, domain, keyword, *shown],
                      api_visibility="private")
    # "handout": the outputs of handout_updates, for events elsewhere that change the handout
    return {"preview": preview, "sheet": sheet, "listing": listing, "chosen": chosen, "handout": shown}
