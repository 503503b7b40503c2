"""The fixed train/test split: each item's split is a hash of its id, written into the dataset file once.

    python -m evals.split evals/dataset.jsonl evals/ofsted-*.jsonl    # adds "split" where it is missing

`split_of(id)` is sha256(id) mod 10 < 3 -> "test", else "train" (about 30 % test). An item that already has
a split keeps it: the test split is frozen, and re-running the script only fills in new items. Lines are
edited in place (the `"split"` key appended), so the rest of each line stays byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

TEST_BUCKETS = 3  # of 10


def split_of(item_id: str) -> str:
    """Example: the same id always gets the same split, on any machine and Python version."""
    bucket = int(hashlib.sha256(item_id.encode("utf-8")).hexdigest(), 16) % 10
    return "test" if bucket < TEST_BUCKETS else "train"


def assign_line(line: str) -> str:
    """One JSONL line with `"split"` appended when it has none; blank lines and split items unchanged."""
    if not line.strip():
        return line
    data = json.loads(line)
    if "split" in data:
        return line
    body = line.rstrip()
    if not body.endswith("}"):
        raise ValueError(f"not a one-line JSON object: {body[:60]!r}")
    return body[:-1] + f', "split": "{split_of(data["id"])}"}}'


def assign_file(path: Path) -> int:
    """Fill in missing splits in one file; returns how many lines changed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    new = [assign_line(line) for line in lines]
    changed = sum(a != b for a, b in zip(lines, new, strict=True))
    if changed:
        path.write_text("\n".join(new) + "\n", encoding="utf-8")
    return changed


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m evals.split FILE.jsonl ...", file=sys.stderr)
        return 2
    for name in argv:
        print(f"{name}: {assign_file(Path(name))} item(s) given a split")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
