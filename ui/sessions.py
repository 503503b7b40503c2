"""Per-session state that stays the size of the app, however long a conversation runs.

Gradio 6.31 keeps, per browser session, a copy of the app's components (`SessionState.blocks_config`). When a
handler returns a component (a new table, a picker with new choices), Gradio builds a replacement under a new
id and files it under the output's id. When a later turn returns a plain value for that output, Gradio looks
the replacement up and files it again under the replacement's *own* id (blocks.py, postprocess_data:
`block = state[block._id]` ... `if block._id not in state: state[block._id] = block`). Each such pair of turns
leaves one more component, with its table or chart, in the session for as long as the session lives: ~1 of 10
chat answers shows a table, so a conversation grew without bound (the soak's +88 MB in 10 minutes).

`App` is gr.Blocks with that one step undone after every event: a session keeps only the app's own ids.
The app renders nothing dynamically (no gr.render), so an id the app does not have is always such a stray.
tests/test_sessions.py fails if a Gradio upgrade changes the layout this relies on.
"""

from __future__ import annotations

from typing import Any

import gradio as gr


def drop_strays(state: Any, known: set[int]) -> int:
    """Remove from one session's component copy every id the app does not have; how many went.
    Example: a session holding the app's 129 ids plus 3 replacements filed under their own ids -> 3."""
    config = getattr(state, "blocks_config", None)
    blocks = getattr(config, "blocks", None)
    if not isinstance(blocks, dict):
        return 0
    strays = [key for key in blocks if key not in known]
    values = getattr(state, "config_values", {})
    for key in strays:
        del blocks[key]
        values.pop(key, None)
    return len(strays)


class App(gr.Blocks):
    """gr.Blocks whose sessions do not accumulate replaced components (see the module's docstring)."""

    async def postprocess_data(self, block_fn, predictions, state):  # noqa: ANN001 (Gradio's signature)
        output = await super().postprocess_data(block_fn, predictions, state)
        if state is not None:
            drop_strays(state, self._own_ids())
        return output

    def _own_ids(self) -> set[int]:
        ids = getattr(self, "_app_ids", None)
        if ids is None or len(ids) != len(self.blocks):  # built once the layout is final
            ids = self._app_ids = set(self.blocks)
        return ids
