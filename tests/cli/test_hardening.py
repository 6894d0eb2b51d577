"""Trying to break it as a hostile user would: every mistake is one `error:` line with its documented
exit code, nothing recorded is lost, no secret is printed. Real processes and a real loopback
server wherever they matter; permission faults are injected (the suite may run as root, for whom
mode bits do not bind)."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC
from pathlib import Path

import pytest
from cassette_helpers import demo_cassettes, entry_keys, only_entry
from cli_helpers import OFFLINE, main_in_process, record_cli
from cli_helpers import run_cli as cli

from llambo_replay.errors import EXIT_CODES, EndpointError, UsageError
from llambo_replay.llambo import Engine
from llambo_replay.llambo.engine import Sampling
from llambo_replay.replay import CassetteStore, RecordMode, RetryPolicy, make_transport, open_async_client
from llambo_replay.replay.loopback import Fault, LoopbackServer
from llambo_replay.replay.secrets import scan_text, scan_tree
from llambo_replay.replay.storage.packs import render_line
from llambo_replay.replay.storage.verify import verify_store

REPO = Path(__file__).resolve().parents[2]
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02)
DEMO_NAMESPACE = "smollm2-135m-instruct/discriminative-json/iris/SVM/seed0"


def one_line_error(result: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: ")
    for fragment in fragments:
        assert fragment in first, first
    return first


# -- damaged entries ------------------------------------------------------------------------
@pytest.mark.slow
def test_an_entry_whose_response_lacks_meta_is_named_by_verify_and_refused_by_replay(tmp_path):
    cassettes = demo_cassettes(tmp_path)
    victim = sorted((cassettes / DEMO_NAMESPACE).rglob("*.jsonl"))[0]
    first, *rest = victim.read_bytes().splitlines(keepends=True)
    line = json.loads(first)
    del line["meta"]
    victim.write_bytes(b"".join([render_line(line.pop("ns"), line.pop("key"), line.pop("slot"), line), *rest]))
    verify = cli("cassettes", "verify", "--cassettes", str(cassettes))
    assert verify.returncode == 4 and "Traceback" not in verify.stderr
    assert f"{victim} (line at byte 0" in verify.stdout and "is corrupt: it lacks meta" in verify.stdout
    replay = cli("run", "--cassettes", str(cassettes), "--out", str(tmp_path / "o"), "--base-url", OFFLINE)
    assert replay.returncode in (3, 4) and "Traceback" not in replay.stderr


def test_an_http_200_error_body_is_an_endpoint_failure_and_is_never_stored(tmp_path):
    error = {"error": {"message": "model overloaded", "type": "server_error"}}
    with LoopbackServer(faults={0: Fault(body=error)}) as server:
        transport = make_transport(
            CassetteStore(tmp_path / "c"), "ns", RecordMode.RECORD, server.base_url, retry=FAST_RETRY
        )
        engine = Engine(open_async_client(transport), "m")
        with pytest.raises(EndpointError, match="answered HTTP 200 with an error: .*model overloaded"):
            engine.chat(["hello"], 1, Sampling(0.7, 0.95, 8))
        engine.close()
    assert list(CassetteStore(tmp_path / "c").iter_entries()) == []
    assert verify_store(CassetteStore(tmp_path / "c")) == []


# -- unusable cassette folders, before anything is paid for ---------------------------------------
@pytest.mark.parametrize("mode", ["record", "auto"])
@pytest.mark.parametrize("where", ["file", "file/sub"])
def test_a_cassette_folder_that_is_a_file_fails_before_any_request(tmp_path, mode, where):
    (tmp_path / "file").write_text("not a folder")
    with LoopbackServer() as server:
        result = cli(
            "run",
            "--mode",
            mode,
            "--cassettes",
            str(tmp_path / where),
            "--base-url",
            server.base_url,
            "--out",
            str(tmp_path / "o"),
            "--no-memo",
        )
        assert server.received == []
    one_line_error(result, 2, "cassette folder")


def test_replay_from_a_file_says_it_is_a_file(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    one_line_error(
        cli("run", "--cassettes", str(tmp_path / "file"), "--out", str(tmp_path / "o")), 2, "is a file, not a folder"
    )


@pytest.mark.parametrize(
    "mode, fragment",
    [(RecordMode.REPLAY, "is not readable"), (RecordMode.RECORD, "cannot record into the cassette folder")],
)
def test_an_unreadable_or_read_only_store_fails_before_any_request(tmp_path, monkeypatch, mode, fragment):
    store = CassetteStore(tmp_path / "c")
    (tmp_path / "c").mkdir()
    monkeypatch.setattr(os, "access", lambda path, how: False)  # injected: mode 000 / a read-only folder
    with LoopbackServer() as server:
        with pytest.raises(UsageError, match=fragment):
            make_transport(store, "ns", mode, server.base_url)
        assert server.received == []


def test_verify_stats_and_scan_refuse_an_unreadable_store(tmp_path, monkeypatch):
    from llambo_replay import cli as cli_module

    (tmp_path / "c").mkdir()
    monkeypatch.setattr(os, "access", lambda path, how: False)
    for action in ("verify", "stats", "scan"):
        assert cli_module.main(["cassettes", action, "--cassettes", str(tmp_path / "c")]) == 2


# -- manifests that are not manifests --------------------------------------------------------------
@pytest.mark.parametrize(
    "content, fragment",
    [
        ('{"format": 2, "history', "not readable JSON"),
        ('{"format": 2, "method": "random"}', "no history_sha256"),
        ("[1, 2]", "not a manifest (not a JSON object)"),
    ],
    ids=["truncated", "no-sha", "list"],
)
def test_check_names_a_broken_manifest_in_one_line(tmp_path, content, fragment):
    (tmp_path / "iris/SVM").mkdir(parents=True)
    (tmp_path / "iris/SVM/0.manifest.json").write_text(content)
    one_line_error(main_in_process("check", "--results", str(tmp_path)), 2, fragment)


# -- prune never empties a store by accident --------------------------------------------------------
@pytest.mark.slow
def test_prune_refuses_without_manifests_lists_by_default_and_deletes_only_when_asked(tmp_path):
    cassettes = demo_cassettes(tmp_path)
    before = entry_keys(cassettes)
    (tmp_path / "empty").mkdir()
    one_line_error(
        cli("cassettes", "prune", "--cassettes", str(cassettes), "--manifests", str(tmp_path / "empty")),
        2,
        "no *.manifest.json",
    )
    manifests = tmp_path / "m"
    shutil.copytree(REPO / "results/recorded/demo", manifests)
    broken = json.loads((manifests / "iris/SVM/0.manifest.json").read_text())
    (manifests / "iris/SVM/0.manifest.json").write_text(
        json.dumps({k: v for k, v in broken.items() if k != "cassettes"})
    )
    one_line_error(
        cli("cassettes", "prune", "--cassettes", str(cassettes), "--manifests", str(manifests)),
        2,
        "not a manifest with a cassettes block",
    )
    (manifests / "iris/SVM/0.manifest.json").write_text(json.dumps(broken))
    listed = cli("cassettes", "prune", "--cassettes", str(cassettes), "--manifests", str(manifests))
    assert listed.returncode == 0 and "nothing removed; add --delete" in listed.stdout
    assert entry_keys(cassettes) == before
    deleted = cli("cassettes", "prune", "--cassettes", str(cassettes), "--manifests", str(manifests), "--delete")
    removed = int(re.search(r"(\d+) unreferenced entr\w+ removed", deleted.stdout).group(1))
    assert removed > 0 and len(entry_keys(cassettes)) == len(before) - removed
    assert (
        cli("run", "--cassettes", str(cassettes), "--out", str(tmp_path / "o"), "--base-url", OFFLINE).returncode == 0
    )


# -- an interrupted write leaves a temporary file: harmless, and cleaned up -----------------------------
def test_a_stale_temporary_file_is_noted_by_verify_and_removed_by_the_next_recording(tmp_path):
    store = CassetteStore(tmp_path / "c")
    with LoopbackServer() as server:
        engine = Engine(open_async_client(make_transport(store, "ns", RecordMode.RECORD, server.base_url)), "m")
        engine.chat(["a"], 1, Sampling(0.7, 0.95, 8))
        engine.close()
        entry = next(store.iter_entries()).path
        stale = entry.parent / f".{entry.name}.abc123.tmp"  # what a kill -9 between write and rename leaves
        stale.write_text('{"half": ')
        verify = cli("cassettes", "verify", "--cassettes", str(tmp_path / "c"))
        assert verify.returncode == 0 and "note: " in verify.stdout and "interrupted write" in verify.stdout
        make_transport(CassetteStore(tmp_path / "c"), "ns", RecordMode.AUTO, server.base_url)
    assert not stale.exists() and entry.exists()


# -- secrets ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_messages_never_show_a_key_given_in_the_url(tmp_path):
    query = record_cli("run", "http://127.0.0.1:1/v1?api-key=XYZSECRET123", tmp_path / "c", tmp_path / "o")
    one_line_error(query, 2, "has a query string", "api-key=***")
    password = record_cli("run", "http://user:XYZSECRET123@127.0.0.1:1/v1", tmp_path / "c", tmp_path / "o")
    one_line_error(password, 2, "base URL http://***@127.0.0.1:1/v1 has user info", "OPENAI_API_KEY")
    assert "XYZSECRET123" not in query.stderr + query.stdout + password.stderr + password.stdout


HEX_KEY = "3f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c"  # an Azure-style key


@pytest.mark.parametrize(
    "flags, what",
    [
        (["--llm-model", "sk-abcdefghijklmnop1234"], "the model name"),
        (["--llm-model", HEX_KEY], "the model name"),
        (["--sm", "generative", "--generative-model", HEX_KEY], "the model name"),
        (["--base-url", f"http://127.0.0.1:1/{HEX_KEY}/v1"], "the base URL's path"),
        (["--base-url", "http://127.0.0.1:1/deployments/sk-abcdefghijklmnop1234/v1"], "the base URL's path"),
    ],
)
def test_a_key_given_as_a_model_name_or_in_the_url_path_is_refused_unprinted(tmp_path, flags, what):
    """A key given as the model name reaches no folder name, request body, manifest or error line."""
    result = cli(
        "run",
        "--mode",
        "record",
        *flags,
        "--cassettes",
        str(tmp_path / "c"),
        "--out",
        str(tmp_path / "o"),
        cwd=REPO,
        env={**os.environ, "OPENAI_API_KEY": HEX_KEY},
        timeout=600,
    )
    one_line_error(result, 2, f"{what} looks like it holds a credential")
    assert HEX_KEY not in result.stderr + result.stdout and "abcdefghijklmnop" not in result.stderr
    assert HEX_KEY[:6] not in result.stderr
    assert not (tmp_path / "c").exists() and not (tmp_path / "o").exists()


def test_an_overlong_model_name_is_refused_before_it_names_a_folder(tmp_path):
    one_line_error(cli("run", "--llm-model", "m" * 300, "--out", str(tmp_path / "o")), 2, "1-100 characters")
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_a_namespace_reached_through_a_symlink_is_verified_counted_and_scanned(tmp_path):
    """`verify`, `stats` and `scan` read folders reached through a symlink, as recording writes through them
    (a cassette folder on another disk)."""
    cassettes = demo_cassettes(tmp_path)
    counted = sum(1 for _ in CassetteStore(cassettes).iter_entries())
    elsewhere = tmp_path / "other-disk" / "smollm2-135m-instruct"
    elsewhere.parent.mkdir()
    shutil.move(cassettes / "smollm2-135m-instruct", elsewhere)
    (cassettes / "smollm2-135m-instruct").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "loop").symlink_to(elsewhere, target_is_directory=True)  # a cycle ends, it does not hang
    assert sum(1 for _ in CassetteStore(cassettes).iter_entries()) == counted  # each entry once, cycle or not
    stats = cli("cassettes", "stats", "--cassettes", str(cassettes))
    assert stats.returncode == 0 and "smollm2-135m-instruct/discriminative-json" in stats.stdout, stats.stderr
    victim = sorted((elsewhere / "discriminative-json").rglob("*.jsonl"))[0]
    victim.write_bytes(victim.read_bytes() + b'{"note": "sk-abcdefghijklmnopqrstuv"}\n')
    scan = cli("cassettes", "scan", "--cassettes", str(cassettes))
    assert scan.returncode == 6 and "OpenAI-style API key" in scan.stdout, scan.stdout + scan.stderr
    verify = cli("cassettes", "verify", "--cassettes", str(cassettes))
    assert verify.returncode == 4 and victim.name in verify.stdout, verify.stdout


def test_the_scanner_finds_keys_in_any_serialisation_and_refuses_unreadable_files(tmp_path, monkeypatch):
    assert scan_text("api-key: 0123456789abcdef0123456789abcdef")
    assert scan_text('"path": "/chat/completions?api-key=tok3nvalu3"')
    assert scan_text("x-api-key: abcdefgh-12345678")
    assert scan_text('"prompt_tokens": 1234, "max_tokens": 500') == []
    (tmp_path / "entry.json").write_text("{}")
    original = Path.read_text
    monkeypatch.setattr(
        Path,
        "read_text",
        lambda self, *a, **k: (
            (_ for _ in ()).throw(PermissionError(13, "denied"))
            if self.name == "entry.json"
            else original(self, *a, **k)
        ),
    )
    assert scan_tree(tmp_path) == [f"{tmp_path / 'entry.json'}: cannot be read (denied), so it was not checked"]


# -- sizes and time -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "flag, value",
    [
        ("--init", "1000000"),
        ("--trials", "100000"),
        ("--alpha", "nan"),
        ("--alpha", "-1"),
        ("--top-pct", "2"),
        ("--n-gens", "0"),
    ],
)
def test_impossible_sizes_are_refused_before_anything_runs(tmp_path, flag, value):
    one_line_error(main_in_process("run", flag, value, "--out", str(tmp_path)), 2, flag)


def test_a_hanging_endpoint_fails_with_the_timeout_named(tmp_path):
    with LoopbackServer(faults={i: Fault(delay_s=2.0) for i in range(3)}) as server:
        transport = make_transport(
            CassetteStore(tmp_path / "c"), "ns", RecordMode.RECORD, server.base_url, retry=FAST_RETRY, timeout_s=0.2
        )
        engine = Engine(open_async_client(transport), "m")
        started = time.monotonic()
        with pytest.raises(EndpointError, match=r"failed after 3 attempts \(last: timed out after 0.2 s"):
            engine.chat(["hello"], 1, Sampling(0.7, 0.95, 8))
        assert time.monotonic() - started < 5
        engine.close()


def _record_once(tmp_path: Path, fault: Fault, timeout_s: float = 5.0) -> tuple[LoopbackServer, BaseException]:
    """One recorded chat request answered by `fault` (every attempt): the error it ends in."""
    with LoopbackServer(faults={i: fault for i in range(3)}) as server:
        transport = make_transport(
            CassetteStore(tmp_path / "c"),
            "ns",
            RecordMode.RECORD,
            server.base_url,
            retry=FAST_RETRY,
            timeout_s=timeout_s,
        )
        engine = Engine(open_async_client(transport), "m")
        with pytest.raises(EndpointError) as failure:
            engine.chat(["hello"], 1, Sampling(0.7, 0.95, 8))
        engine.close()
    assert list(CassetteStore(tmp_path / "c").iter_entries()) == []
    return server, failure.value


def test_an_answer_trickled_a_byte_at_a_time_is_cut_at_the_attempt_timeout(tmp_path):
    """The timeout bounds a whole answer, not each byte of it: a trickled answer times out in time."""
    started = time.monotonic()
    server, failure = _record_once(tmp_path, Fault(trickle_s=0.05), timeout_s=0.5)
    assert "failed after 3 attempts (last: timed out after 0.5 s (the answer was still arriving))" in str(failure)
    assert time.monotonic() - started < 6 and len(server.received) == 3


def test_a_compressed_bomb_is_refused_at_the_size_cap_without_a_retry(tmp_path):
    """An answer over the size cap (after decoding) is refused and nothing is stored."""
    content = b'{"choices": [{"message": {"content": "' + b"a" * (80 * 2**20) + b'"}}]}'
    bomb = Fault(raw=gzip.compress(content, 1), headers={"content-encoding": "gzip"})
    server, failure = _record_once(tmp_path, bomb)
    assert "sent an answer larger than 64 MB (decoded); nothing was stored" in str(failure)
    assert len(server.received) == 1


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_refused_naming_its_target_and_never_stored(tmp_path, status):
    """A redirect is one error naming where it points; the request is sent once and nothing is stored."""
    completion = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "moved"}}]}
    redirect = Fault(status=status, body=completion, headers={"location": "http://elsewhere.example/v1/x"})
    server, failure = _record_once(tmp_path, redirect)
    assert f"redirected the request (HTTP {status}) to elsewhere.example" in str(failure)
    assert len(server.received) == 1


def test_after_a_fatal_error_no_further_request_is_sent(tmp_path):
    with LoopbackServer(faults={0: Fault(status=400)}) as server:
        transport = make_transport(CassetteStore(tmp_path / "c"), "ns", RecordMode.RECORD, server.base_url)
        engine = Engine(open_async_client(transport), "m", max_concurrency=1)
        with pytest.raises(EndpointError, match="HTTP 400"):
            engine.chat(["a", "b", "c", "d"], 1, Sampling(0.7, 0.95, 8))
        engine.close()
        time.sleep(0.2)
        assert len(server.received) == 1


# -- one table of exit codes (docs/commands.md) ----------------------------------------------------------------
def test_the_docs_show_the_one_table_of_exit_codes():
    readme = (REPO / "docs/commands.md").read_text()
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} | {meaning} |" in readme, code


def test_every_error_of_the_package_exits_with_a_documented_code():
    import pkgutil

    import llambo_replay
    from llambo_replay.errors import LlamboReplayError

    for module in pkgutil.walk_packages(llambo_replay.__path__, "llambo_replay."):
        if module.name.endswith("__main__") or ".workers." in module.name or "paper_data" in module.name:
            continue
        try:
            __import__(module.name)  # every error class defined anywhere is now known
        except ImportError:  # an optional extra (SMAC's ConfigSpace, llama.cpp) is not installed
            continue
    errors, seen = [LlamboReplayError], []
    while errors:
        error = errors.pop()
        seen.append(error)
        errors += error.__subclasses__()
    assert {e.__name__: e.exit_code for e in seen if e.exit_code not in EXIT_CODES} == {}
    assert len(seen) >= 9


@pytest.mark.slow
def test_each_command_exits_with_the_documented_code(tmp_path):
    cassettes = demo_cassettes(tmp_path)
    miss = cli(
        "grid",
        "--methods",
        "llambo",
        "--seeds",
        "7",
        "--cassettes",
        str(cassettes),
        "--out",
        str(tmp_path / "g"),
        "--no-memo",
    )
    assert miss.returncode == 3 and "replay miss" in miss.stdout
    (cassettes / "leak.json").write_text('{"authorization": "Bearer abcdefghijklmnopqrstuvwx"}')
    assert cli("cassettes", "scan", "--cassettes", str(cassettes)).returncode == 6
    results = tmp_path / "results"
    shutil.copytree(REPO / "results/recorded/demo", results)
    history = results / "iris/SVM/0.csv"
    manifest = json.loads((results / "iris/SVM/0.manifest.json").read_text())
    history.write_text(history.read_text().replace("0.95,", "0.96,", 1))
    import hashlib

    (results / "iris/SVM/0.manifest.json").write_text(
        json.dumps({**manifest, "history_sha256": hashlib.sha256(history.read_bytes()).hexdigest()})
    )
    check = cli("check", "--results", str(results))
    assert check.returncode == 6 and "DIFF replayed" in check.stdout


# -- check binds what is committed, not only the history's hash ---------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(
    "tamper, fragment",
    [
        ("edit-history", "the committed 0.csv is not what the replay writes"),
        ("delete-history", "the committed 0.csv is missing"),
        ("edit-trials", "the committed 0.trials.csv is not what the replay writes"),
        ("drop-a-key", "manifest field cassettes."),
        ("edit-cost", "manifest field llm.cost_usd"),
        ("edit-command", "manifest field replay_command"),
    ],
)
def test_check_fails_on_a_committed_file_or_manifest_field_the_replay_does_not_give(tmp_path, tamper, fragment):
    """`check` fails, naming what differs, where a committed history, trials file or manifest field is not
    what the replay gives."""
    results = tmp_path / "results"
    shutil.copytree(REPO / "results/recorded/demo", results)
    folder = results / "iris/SVM"
    manifest = json.loads((folder / "0.manifest.json").read_text())
    if tamper == "edit-history":
        (folder / "0.csv").write_text((folder / "0.csv").read_text().replace("\n", "\n ", 1))
    elif tamper == "delete-history":
        (folder / "0.csv").unlink()
    elif tamper == "edit-trials":
        lines = (folder / "0.trials.csv").read_text().splitlines(keepends=True)
        (folder / "0.trials.csv").write_text("".join([lines[0], lines[1].replace(",0,", ",7,", 1), *lines[2:]]))
    elif tamper == "drop-a-key":
        namespace = next(ns for ns in manifest["cassettes"] if ns.startswith("smollm2"))
        manifest["cassettes"][namespace].pop(sorted(manifest["cassettes"][namespace])[0])
    elif tamper == "edit-command":
        manifest["replay_command"] = "llambo-replay run --seed 3"
    else:
        manifest["llm"] = {**manifest["llm"], "cost_usd": 12.5}
    (folder / "0.manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    check = main_in_process("check", "--results", str(results))
    assert check.returncode == 6 and "DIFF replayed" in check.stdout and fragment in check.stdout, check.stdout


# -- a malformed completion is never stored ------------------------------------------------------------
MALFORMED = {
    "choice-without-message": Fault(body={"id": "x", "choices": [{"index": 0}]}),
    "numeric-content": Fault(body={"id": "x", "choices": [{"message": {"role": "assistant", "content": 7}}]}),
    "choices-of-numbers": Fault(body={"id": "x", "choices": [1, 2, 3]}),
    "usage-as-string": Fault(body={"choices": [{"message": {"content": "hi"}}], "usage": "lots"}),
    "usage-as-list": Fault(body={"choices": [{"message": {"content": "hi"}}], "usage": [1]}),
    "nan": Fault(raw=b'{"choices": [{"message": {"content": "hi"}}], "x": NaN}'),
    "huge-number": Fault(raw=b'{"choices": [{"message": {"content": "hi"}}], "x": 1e999}'),
    "lone-surrogate": Fault(raw=b'{"choices": [{"message": {"content": "\\ud800"}}]}'),
    "deep-nesting": Fault(
        raw=b'{"choices": [{"message": {"content": "hi"}}], "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    ),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_a_malformed_completion_is_retried_and_never_stored(tmp_path, name):
    """A malformed completion is retried, never stored."""
    with LoopbackServer(faults={0: MALFORMED[name]}) as server:
        transport = make_transport(
            CassetteStore(tmp_path / "c"), "ns", RecordMode.RECORD, server.base_url, retry=FAST_RETRY
        )
        engine = Engine(open_async_client(transport), "m")
        answers = engine.chat(["hello"], 1, Sampling(0.7, 0.95, 8))
        engine.close()
        assert len(server.received) == 2 and answers[0][0].startswith("reply")
    stored = only_entry(tmp_path / "c")
    assert [s["slot"] for s in stored["responses"]] == [0] and stored["responses"][0]["meta"]["attempts"] == 2
    assert verify_store(CassetteStore(tmp_path / "c")) == []


@pytest.mark.slow
def test_prune_refuses_entries_recorded_after_the_newest_manifest(tmp_path):
    """`prune --delete` keeps entries recorded after the newest manifest (a live or stopped recording owns them)."""
    from datetime import datetime

    cassettes = demo_cassettes(tmp_path)
    manifests = tmp_path / "m"
    shutil.copytree(REPO / "results/recorded/demo", manifests)
    for path in manifests.rglob("*.manifest.json"):
        os.utime(path)  # as in a fresh clone: the manifests are newer than every committed recording
    now = datetime.now(UTC).replace(year=datetime.now(UTC).year + 1).isoformat(timespec="seconds")
    CassetteStore(cassettes).put(
        "in-progress/run", "ab" * 32, 0, {"function": "f", "arguments": {}}, {"x": 1}, {"recorded_at": now}
    )
    refused = cli("cassettes", "prune", "--cassettes", str(cassettes), "--manifests", str(manifests), "--delete")
    one_line_error(refused, 2, "recorded after the newest manifest", "in-progress/run", "--include-recent")
    assert ("in-progress/run", "ab" * 32) in entry_keys(cassettes)
    forced = cli(
        "cassettes",
        "prune",
        "--cassettes",
        str(cassettes),
        "--manifests",
        str(manifests),
        "--delete",
        "--include-recent",
    )
    assert forced.returncode == 0 and ("in-progress/run", "ab" * 32) not in entry_keys(cassettes)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["grid", "--tasks", ",", "--dry-run"], "expected a comma-separated list"),
        (["grid", "--seeds", " , ", "--dry-run"], "expected a comma-separated list"),
        (["grid", "--jobs", "99999999999999999999", "--dry-run"], "must be 256 or less"),
    ],
)
def test_an_empty_list_or_an_absurd_worker_count_is_refused_not_defaulted(args, fragment):
    """An empty task list or an absurd --jobs is refused in one line."""
    one_line_error(main_in_process(*args), 2, fragment)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["grid", "--methods", "random", "--scheduler", "x"], "is not a Dask scheduler address"),
        (["grid", "--methods", "random", "--scheduler", "tcp://"], "is not a Dask scheduler address"),
        (["components", "--n-observed", "0,0,0"], "observed-set sizes must be 2–10000"),
        (["components", "--dry-run", "--n-test", "99999999999999999999"], "must be 10000 or less"),
        (["warmstart", "--seeds", "99999999999999999999"], "seeds must be 0–4294967295"),
        (["run", "--base-url", "http://[::1"], "is not an http(s) URL"),
        (["cassettes", "verify", "--cassettes", "/"], "refusing to search the whole file system"),
        (["cassettes", "scan", "--cassettes", "/"], "refusing to search the whole file system"),
        (["tables", "--results", "/"], "refusing to search the whole file system"),
        (["check", "--results", "/"], "refusing to search the whole file system"),
        (["check", "--results", "/tmp/" + "x" * 300], "File name too long"),
        (["cassettes", "verify", "--cassettes", "/tmp/" + "x" * 300], "File name too long"),
    ],
)
def test_inputs_that_tracebacked_or_hung_are_one_line_errors(tmp_path, args, fragment):
    """Each of these is one line and an exit code: no traceback, no hang, no walk of the whole file system."""
    one_line_error(
        main_in_process(*args, "--out", str(tmp_path / "o"))
        if args[0] in ("grid", "components", "warmstart", "run", "tables")
        else main_in_process(*args),
        2,
        fragment,
    )
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_an_unreachable_dask_scheduler_is_one_line_within_its_timeout(tmp_path):
    pytest.importorskip("distributed")
    started = time.monotonic()
    one_line_error(
        cli("grid", "--methods", "random", "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path)),
        2,
        "cannot reach the Dask scheduler tcp://127.0.0.1:1",
    )
    assert time.monotonic() - started < 60


@pytest.mark.parametrize(
    "field, value",
    [("seed", "1e400"), ("seed", "0.5"), ("seed", '"2"'), ("seed", "true"), ("format", '"2"'), ("method", "7")],
)
def test_a_manifest_field_of_the_wrong_type_is_named_in_one_line(tmp_path, field, value):
    results = tmp_path / "demo"
    shutil.copytree(REPO / "results/recorded/demo", results)
    manifest = results / "iris/SVM/0.manifest.json"
    manifest.write_text(re.sub(rf'"{field}": [^,\n]+', f'"{field}": {value}', manifest.read_text(), count=1))
    one_line_error(main_in_process("check", "--results", str(results)), 2, f"{manifest}: {field} is ")


@pytest.mark.slow
def test_files_are_created_as_the_umask_says_not_0600(tmp_path):
    """Entries, histories and manifests are created with the mode the umask gives."""
    result = subprocess.run(
        [
            "sh",
            "-c",
            f"umask 022 && exec {sys.executable} -m llambo_replay.cli run "
            f"--out {tmp_path / 'o'} --cassettes {tmp_path / 'c'} --mode auto --base-url {OFFLINE}",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    # replaying the demo from an empty store misses at once; the store's marker and the run's folder exist
    assert "Traceback" not in result.stderr
    written = [p for p in (tmp_path / "c").rglob("*") if p.is_file()]
    assert written and all(p.stat().st_mode & 0o777 == 0o644 for p in written), [oct(p.stat().st_mode) for p in written]


def test_fidelity_finds_an_unwritable_output_folder_before_any_compute(tmp_path):
    (tmp_path / "file").write_text("")
    one_line_error(
        cli(
            "fidelity",
            "--datasets",
            "iris",
            "--models",
            "SVM",
            "--seeds",
            "0",
            "--out",
            str(tmp_path / "file" / "out"),
            "--no-memo",
        ),
        2,
        "cannot write to the output folder",
    )


@pytest.mark.slow
def test_ctrl_c_during_check_is_one_line_with_no_event_loop_noise():
    """Ctrl-C during `check` is one line, with no "Event loop is closed" noise."""
    import signal

    # Unbuffered, so the first line arrives when it is printed, not at exit; the grid's 72 results take
    # far longer than the 0.3 s, so the interrupt lands while LLM calls are replayed, however loaded the machine.
    # A shell that starts the tests in the background (`cmd &`) has them ignore SIGINT, and Python then
    # installs no KeyboardInterrupt handler in the child: give the child the default disposition, as a
    # terminal's foreground process has it.
    check = subprocess.Popen(
        [
            sys.executable,
            "-u",
            "-m",
            "llambo_replay.cli",
            "check",
            "--results",
            "results/recorded/ablations",
            "results/recorded/grid",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    check.stdout.readline()  # the first result is checked: the next one is replaying its LLM calls
    time.sleep(0.3)
    check.send_signal(signal.SIGINT)
    out, err = check.communicate(timeout=120)
    assert check.returncode == 130, err
    assert "committed results reproduce" not in out
    assert err.splitlines() == ["interrupted (Ctrl-C)"], err  # check records nothing, so it says nothing is kept


@pytest.mark.slow
def test_json_nested_beyond_reason_or_from_a_device_is_one_line(tmp_path):
    """A manifest of 100,000 nested arrays, and --initial-points from /dev/zero or nested as deep: one line each
    (a RecursionError, or a read that never ends, before)."""
    deep = "[" * 100_000 + "]" * 100_000
    manifest = tmp_path / "r" / "iris" / "SVM" / "0.manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(deep)
    one_line_error(cli("check", "--results", str(manifest)), 2, "not readable JSON (RecursionError)")
    one_line_error(cli("run", "--initial-points", "/dev/zero", "--dry-run"), 2, "/dev/zero is not a regular file")
    deep_arg = "[" * 60_000 + "]" * 60_000  # as deep as an argument may be long
    one_line_error(cli("run", "--initial-points", deep_arg, "--dry-run"), 2, "not a JSON list (RecursionError)")


@pytest.mark.slow
def test_an_answer_edited_with_its_hash_made_right_again_fails_check_by_the_manifests_digest(tmp_path):
    """A stored answer changed where the run's history cannot show it (a trailing space in the model's
    text), its sha256 recomputed so that `verify` passes: the manifest's `answers_sha256` still tells."""
    from llambo_replay.replay.storage.store import slot_hash
    from llambo_replay.replay.storage.verify import verify_store

    cassettes = demo_cassettes(tmp_path)
    results = tmp_path / "demo"
    shutil.copytree(REPO / "results/recorded/demo", results)
    manifest = json.loads((results / "iris/SVM/0.manifest.json").read_text())
    namespace = next(ns for ns in manifest["cassettes"] if not ns.startswith("evaluations/"))
    key = sorted(manifest["cassettes"][namespace])[0]
    (pack,) = [p for p in (cassettes / namespace).glob("*.jsonl") if f'"key":"{key}"' in p.read_text()]
    lines = pack.read_text().splitlines()
    for i, line in enumerate(lines):
        stored = json.loads(line)
        if stored["key"] == key and stored["slot"] == 0:
            stored["response"]["choices"][0]["message"]["content"] += " "
            stored["sha256"] = slot_hash(stored)
            lines[i] = json.dumps(stored, separators=(",", ":"), ensure_ascii=False)
    pack.write_text("\n".join(lines) + "\n")
    assert verify_store(CassetteStore(cassettes)) == []
    checked = cli("check", "--results", str(results), "--cassettes", str(cassettes), timeout=600)
    assert checked.returncode == 6, checked.stdout + checked.stderr
    assert "manifest field answers_sha256 is not what the replay gives" in checked.stdout, checked.stdout


def test_a_manifest_restructured_with_dotted_keys_is_not_the_same_manifest():
    from llambo_replay.experiments.results.check import _flat

    nested = {"llm": {"requests": 3}, "engine": {"endpoint_host": None}}
    dotted = {"llm.requests": 3, "engine": {"endpoint_host": None}}
    assert _flat(nested) != _flat(dotted)
