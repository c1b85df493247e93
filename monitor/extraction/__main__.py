"""``python -m monitor.extraction FILE... [--url URL] [--explain]``: one JSON object per file."""
from __future__ import annotations

import argparse
import json
import sys

from monitor.extraction import article_record, extract_article


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m monitor.extraction",
                                 description="Extract notice body and metadata from saved pages (JSON Lines).")
    ap.add_argument("files", nargs="+", help="HTML files as saved (raw bytes)")
    ap.add_argument("--url", help="the page's address, to make attachment links absolute")
    ap.add_argument("--explain", action="store_true", help="keep the explanation of how the body was chosen")
    ap.add_argument("--selector", help="CSS selector of the body element, when known")
    args = ap.parse_args(argv)
    failed = 0
    for path in args.files:
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
            record = article_record(extract_article(raw, args.url, content_selector=args.selector), path)
        except OSError as exc:
            failed += 1
            record = {"file": path, "error": str(exc), "text": ""}
        if not args.explain:
            record.pop("explanation", None)
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
