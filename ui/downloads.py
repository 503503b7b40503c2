"""Fresh temporary folders for files the app offers for download (handout, quiz, conversation).

Every edit writes fresh files, so a download never holds a stale copy; the oldest folders beyond KEPT_FOLDERS
are deleted so a long-running server does not fill its temporary folder. Gradio serves its own cached copy of a
returned file, so deleting an old source folder never breaks a download already offered.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections import deque
from pathlib import Path

KEPT_FOLDERS = 64
_written: deque[Path] = deque()
_lock = threading.Lock()


def fresh_folder(prefix: str) -> Path:
    """A new empty folder named report-qa-<prefix>-…; the oldest beyond KEPT_FOLDERS are removed."""
    folder = Path(tempfile.mkdtemp(prefix=f"report-qa-{prefix}-"))
    with _lock:
        _written.append(folder)
        old = [_written.popleft() for _ in range(max(0, len(_written) - KEPT_FOLDERS))]
    for path in old:
        shutil.rmtree(path, ignore_errors=True)
    return folder
