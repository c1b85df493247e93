"""extract: body and metadata of saved HTML files, one JSON object per file."""
from __future__ import annotations

import json
import sys

import click

from monitor.cli import cli
from monitor.extraction import article_record, extract_article


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--url", help="The pages' address, to resolve relative attachment links.")
@click.option("--selector", help="CSS selector of the body element, when known.")
@click.option("--explain", is_flag=True, help="Add `extractor` and `explanation`: which path produced the body and why.")
def extract(files, url, selector, explain):
    """Extract notice body and metadata from saved HTML FILES (raw bytes, any Chinese encoding).

    Prints JSON Lines: file, url, title, published, source, editor, author, doc_number,
    index_number, issuer, attachments, text. A file that cannot be read gives an object with
    `error` and the run goes on (exit code 1 at the end).
    """
    failed = 0
    for path in files:
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            failed += 1
            record = {"file": path, "error": str(exc), "text": ""}
        else:
            record = article_record(extract_article(raw, url, content_selector=selector), path)
            if not explain:
                record.pop("explanation", None)
                record.pop("extractor", None)
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    if failed:
        raise SystemExit(1)
