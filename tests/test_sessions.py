"""A browser session's copy of the app stays the app's size however many turns it takes (ui/sessions.py)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import gradio as gr
import pytest
from gradio.state_holder import SessionState

from ui.sessions import App, drop_strays


def alternating_app(blocks_class) -> tuple[gr.Blocks, list[int]]:
    """An app whose handler returns a new component on odd turns and a plain value on even ones: the pattern
    of the chat's table (a table answer, then answers without one)."""
    turn = [0]

    def handler(text):
        turn[0] += 1
        if turn[0] % 2:
            return gr.Dropdown(choices=[text, f"{text}!"], value=text, visible=True)
        return None

    with blocks_class() as demo:
        box = gr.Textbox()
        picker = gr.Dropdown(choices=[], visible=False)
        box.submit(handler, box, picker)
    return demo, turn


def run_turns(demo: gr.Blocks, turns: int) -> SessionState:
    state = SessionState(demo)

    async def ask_all():
        for i in range(turns):
            await demo.process_api(block_fn=0, inputs=[f"q{i}"], state=state)

    asyncio.run(ask_all())
    return state


def test_plain_gradio_files_each_replaced_component_again_so_the_guard_is_needed():
    # If a Gradio upgrade fixes this, App's step is a no-op and this test says so: then App can go.
    demo, _ = alternating_app(gr.Blocks)
    state = run_turns(demo, 20)
    assert len(state.blocks_config.blocks) > len(demo.blocks) + 5


def test_the_app_session_keeps_only_the_apps_own_components():
    demo, turns = alternating_app(App)
    state = run_turns(demo, 20)
    assert turns[0] == 20
    assert set(state.blocks_config.blocks) == set(demo.blocks)
    assert set(state.config_values) <= set(demo.blocks)


def test_the_app_session_still_shows_the_latest_component_returned():
    demo, _ = alternating_app(App)
    state = run_turns(demo, 3)  # the third turn returned a new picker
    picker_id = demo.fns[0].outputs[0]._id
    assert state.blocks_config.blocks[picker_id].choices == [("q2", "q2"), ("q2!", "q2!")]


def test_drop_strays_removes_unknown_ids_and_their_config():
    state = SimpleNamespace(blocks_config=SimpleNamespace(blocks={1: "a", 2: "b", 9: "stray"}),
                            config_values={1: {}, 9: {}})
    assert drop_strays(state, {1, 2}) == 1
    assert state.blocks_config.blocks == {1: "a", 2: "b"}
    assert state.config_values == {1: {}}


@pytest.mark.parametrize("state", [None, object(), SimpleNamespace(blocks_config=None)])
def test_drop_strays_leaves_a_state_of_another_shape_alone(state):
    assert drop_strays(state, {1}) == 0
