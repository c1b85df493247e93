"""evidence: one change packaged for someone who must be shown it happened."""
from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import UsageError, archive_option, cli, config_option, emit_json, load, open_archive
from monitor.evidence import EvidenceError, build_evidence, verify_evidence


@cli.command()
@click.argument("change_id", type=int, required=False)
@config_option()
@archive_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.zip",
              help="The zip to write.")
@click.option("--verify", "verify_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              metavar="FILE.zip", help="Check a package instead: re-hash every file its manifest lists.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest (or the check's result) as JSON.")
def evidence(change_id, config_path, archive_path, output, verify_path, as_json):
    """Package change CHANGE_ID (see `portalwatch changes`) as evidence: one zip with both raw
    captures as WARC records (a revisit with the response it stands for), both extracted
    texts, the diff as text and HTML, the attachment files involved, and manifest.json with
    the SHA-256 of every file, capture times in UTC and +08:00, URLs, HTTP status and the
    portalwatch version.

    `--verify FILE.zip` re-checks every hash (and the WARC records' payload digests) and
    exits 1 naming each file that does not match.

    \b
    Examples:
      portalwatch evidence 42 -o change-42.zip
      portalwatch evidence --verify change-42.zip
    """
    if verify_path is not None:
        if change_id is not None or output is not None:
            raise UsageError("--verify takes only the zip to check")
        result = verify_evidence(verify_path)
        if as_json:
            emit_json({"ok": result.ok, "checked": result.checked,
                       "problems": [{"path": p.path, "reason": p.reason} for p in result.problems]})
        elif result.ok:
            change = result.manifest.get("change", {})
            click.echo(f"ok: {result.checked} files match the manifest (change #{change.get('id')},"
                       f" {result.manifest.get('url')})")
        else:
            for problem in result.problems:
                click.echo(f"{verify_path}: {problem}", err=True)
        raise SystemExit(0 if result.ok else 1)
    if change_id is None:
        raise UsageError("give a CHANGE_ID (see `portalwatch changes`) and -o FILE.zip, or --verify FILE.zip")
    if output is None:
        raise UsageError("-o FILE.zip is needed: where to write the package")
    config = load(config_path, archive_path)
    with open_archive(config) as archive:
        try:
            package = build_evidence(archive, change_id, output)
        except EvidenceError as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        emit_json(package.manifest)
        return
    change = package.change
    click.echo(f"change #{change.id} ({change.kind}) of {change.url}: {len(package.files) + 1} files"
               f" written to {output}")
