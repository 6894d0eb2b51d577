"""`llambo-replay cassettes verify|stats|scan|prune|migrate|copy`: look after a cassette folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from llambo_replay.cli.flags import DEFAULT_STORE, Parser
from llambo_replay.errors import CassetteCorrupt, CheckFailed, LlamboReplayError, UsageError


def cmd_verify(args: argparse.Namespace) -> int:
    from llambo_replay.replay import CassetteStore
    from llambo_replay.replay.storage.verify import verify_store

    store = CassetteStore(args.cassettes).check_usable(writes=False)
    problems = verify_store(store)
    count = sum(1 for _ in store.iter_entries())
    for leftover in store.leftovers():
        print(
            f"note: {leftover} is a temporary file of an interrupted write (a pack rewrite); it is never read, "
            "and the next recording into this folder removes it"
        )
    return _report(
        problems,
        CassetteCorrupt(f"{len(problems)} problem(s) in {count} cassette entries under {args.cassettes}"),
        f"ok: {count} cassette entries under {args.cassettes} verify",
    )


def _report(findings: list[str], failure: LlamboReplayError, success: str) -> int:
    """Print one line per finding; any finding raises `failure`, none is a one-line ok."""
    for line in findings:
        print(line)
    if findings:
        raise failure
    print(success)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from llambo_replay.replay import CassetteStore
    from llambo_replay.replay.storage.report import NamespaceStats, stats

    table = stats(CassetteStore(args.cassettes).check_usable(writes=False))
    total = NamespaceStats()
    columns = [
        ("entries", 8),
        ("responses", 9),
        ("prompt_tokens", 12),
        ("cached_prompt_tokens", 10),
        ("completion_tokens", 10),
        ("cost_usd", 9),
        ("bytes", 7),
    ]

    def cells(row: NamespaceStats) -> str:
        values = {**vars(row), "cost_usd": f"{row.cost_usd:.4f}", "bytes": f"{row.bytes / 1e6:.2f}"}
        return " ".join(f"{values[name]:>{width}}" for name, width in columns)

    print(
        f"{'namespace':60} {'entries':>8} {'responses':>9} {'prompt tok':>12} {'cached':>10} {'compl tok':>10} "
        f"{'cost $':>9} {'MB':>7}"
    )
    for namespace, row in table.items():
        print(f"{namespace:60} {cells(row)}")
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    print(f"{'total':60} {cells(total)}")
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    from llambo_replay.replay import CassetteStore
    from llambo_replay.replay.storage.journal import incomplete
    from llambo_replay.replay.storage.report import newest_manifest_time, recorded_after, referenced_keys, unreferenced

    store = CassetteStore(args.cassettes).check_usable(writes=False)
    keep = referenced_keys(args.manifests)  # refuses folders without manifests and malformed manifests
    drop = unreferenced(store, keep)
    owners = {} if args.include_incomplete else incomplete(store.root)
    if owners:
        kept = [ref for ref in drop if ref.namespace in owners]
        drop = [ref for ref in drop if ref.namespace not in owners]
        if kept:
            print(
                f"kept {len(kept)} unreferenced entr{'y' if len(kept) == 1 else 'ies'} of recordings that have not "
                f"completed (e.g. {owners[kept[0].namespace]}): resume them, or add --include-incomplete"
            )
    recent = [] if args.include_recent else recorded_after(store, drop, newest_manifest_time(args.manifests))
    if recent:
        raise UsageError(
            f"{len(recent)} of the unreferenced entries were recorded after the newest manifest under "
            f"{' '.join(map(str, args.manifests))} (e.g. {recent[0].namespace}): a recording that has not "
            "written its manifest yet would lose them; finish or resume it first, or add --include-recent"
        )
    if args.delete:
        store.check_usable(writes=True)
    for ref in drop:
        print(f"{'dropped' if args.delete else 'would drop'} {ref.namespace} {ref.key}")
    if args.delete:
        store.remove_many(drop)
    noun = f"{len(drop)} unreferenced entr{'y' if len(drop) == 1 else 'ies'}"
    print(f"{noun} removed" if args.delete else f"{noun} found (nothing removed; add --delete to remove them)")
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from llambo_replay.replay import CassetteStore
    from llambo_replay.replay.secrets import known_keys, scan_tree

    hits = scan_tree(CassetteStore(args.cassettes).check_usable(writes=False).root, known_keys())
    return _report(
        hits,
        CheckFailed(f"{len(hits)} file(s) under {args.cassettes} look like they hold a secret"),
        f"ok: no secrets found under {args.cassettes}",
    )


def cmd_migrate(args: argparse.Namespace) -> int:
    from llambo_replay.progress import progress_bar
    from llambo_replay.replay.storage.layout import legacy_entry_files
    from llambo_replay.replay.storage.migration import migrate

    total = sum(1 for _ in legacy_entry_files(args.cassettes)) if args.cassettes.is_dir() else 0
    with progress_bar(total=total, desc="migrate", unit="entry") as bar:
        done = migrate(args.cassettes, progress=bar.update)
    print(
        f"ok: {done.entries} entries ({done.responses} responses) of {args.cassettes} converted to store format 2: "
        f"{done.files_before} files, {done.bytes_before / 1e6:.1f} MB -> {done.files_after} files, "
        f"{done.bytes_after / 1e6:.1f} MB; every entry read back byte-identical before the old files were removed"
    )
    return 0


def cmd_copy(args: argparse.Namespace) -> int:
    from llambo_replay.progress import progress_bar
    from llambo_replay.replay import CassetteStore
    from llambo_replay.replay.storage.migration import copy_entries

    dest = CassetteStore(args.cassettes).check_usable(writes=True)
    with progress_bar(desc="copy", unit="entry") as bar:
        done = copy_entries(args.source, dest, progress=bar.update)
    summary = f"{done.entries} entries of {args.source} read, {done.added} responses added to {args.cassettes}"
    return _report(
        [
            f"{conflict}: {args.source} holds another response; {args.cassettes} keeps its own"
            for conflict in done.conflicts
        ],
        CheckFailed(f"{summary}; {len(done.conflicts)} slot(s) recorded differently in the two folders"),
        f"ok: {summary}",
    )


LISTING = {
    "cassettes": "verify, summarise, prune, scan, migrate or copy a cassette folder",
}

EXAMPLES = {
    "cassettes": (
        "llambo-replay cassettes verify",
        "llambo-replay cassettes stats",
        "llambo-replay cassettes prune --manifests results",
    ),
}


def register(sub: argparse._SubParsersAction) -> None:
    cassettes = sub.add_parser(
        "cassettes",
        help=LISTING["cassettes"],
        description="Look after a cassette folder: verify every entry against its hashes, "
        "summarise tokens and cost, scan for credentials, list or remove "
        "entries no manifest uses, convert an older folder's format, and copy "
        "one folder's recordings into another.",
    )
    csub = cassettes.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=Parser)
    for name, func, text in (
        ("verify", cmd_verify, "check every entry against its key and sha256; non-zero exit on damage"),
        ("stats", cmd_stats, "entries, responses, tokens, recorded cost and size per namespace"),
        ("scan", cmd_scan, "look for API keys and auth headers; non-zero exit if any"),
        (
            "prune",
            cmd_prune,
            "list (or, with --delete, remove) entries that no manifest "
            "references; refuses when no manifest references anything",
        ),
        (
            "migrate",
            cmd_migrate,
            "convert a one-file-per-key folder (store format 1) to packs "
            "(format 2) in place, checking every entry reads back "
            "byte-identical before the old files are removed",
        ),
        (
            "copy",
            cmd_copy,
            "add every response of another cassette folder (either format) "
            "that this one lacks; a slot both hold keeps this folder's "
            "response, and a differing one is listed",
        ),
    ):
        p = csub.add_parser(name, help=text, description=text)
        p.add_argument("--cassettes", type=Path, default=DEFAULT_STORE, help="cassette folder")
        if name == "copy":
            p.add_argument("--from", dest="source", type=Path, required=True, help="the folder to copy from")
        if name == "prune":
            p.add_argument(
                "--manifests", type=Path, nargs="+", required=True, help="folders searched for *.manifest.json"
            )
            p.add_argument(
                "--delete",
                action="store_true",
                help="remove the unreferenced entries (without it, prune only lists them)",
            )
            p.add_argument(
                "--include-recent",
                action="store_true",
                help="also remove entries recorded after the newest manifest (refused by default: a "
                "recording still running, or stopped before its manifest, owns them)",
            )
            p.add_argument(
                "--include-incomplete",
                action="store_true",
                help="also remove entries in the namespaces of recordings that never completed (kept by "
                "default: a run stopped by its budget, Ctrl-C or a crash resumes from them)",
            )
        p.set_defaults(func=func)
