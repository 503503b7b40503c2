from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import parse_report  # noqa: E402
from ingest.settings import BUNDLED_REPORT  # noqa: E402


@pytest.fixture(scope="session")
def document():
    """The bundled report, parsed (no embedding): ~0.1 s."""
    return parse_report(BUNDLED_REPORT)


@pytest.fixture(scope="session")
def real_index(tmp_path_factory):
    """The bundled report indexed with the real MiniLM model, once per test session."""
    from ingest.pipeline import ingest
    from ingest.settings import load_settings

    settings = load_settings(index_root=tmp_path_factory.mktemp("index"))
    result = ingest(BUNDLED_REPORT, settings)
    return settings, result


@pytest.fixture(scope="session")
def fake_engine(tmp_path_factory):
    """The bundled report indexed with the deterministic hashing embedder: an Engine in ~1 s, no model."""
    from ingest.pipeline import ingest
    from ingest.settings import load_settings
    from retrieval.engine import Engine
    from tests.fakes import HashingEmbedder

    settings = load_settings(index_root=tmp_path_factory.mktemp("fake-index"))
    ingest(BUNDLED_REPORT, settings, embedder=HashingEmbedder())
    return Engine.load(settings, embedder=HashingEmbedder())


@pytest.fixture(scope="session")
def real_engine(real_index):
    """The real MiniLM engine over the bundled report (slow tests)."""
    from retrieval.engine import Engine

    settings, _ = real_index
    return Engine.load(settings)


def pytest_collection_modifyitems(config, items):
    """Mark the hostile cases of issue 13 (tests/hostile_cases.py): `pytest -m hostile` runs and counts them."""
    from tests.hostile_cases import is_hostile

    for item in items:
        name = getattr(item, "originalname", None) or item.name.split("[")[0]
        if is_hostile(Path(str(item.fspath)).name, name):
            item.add_marker(pytest.mark.hostile)
