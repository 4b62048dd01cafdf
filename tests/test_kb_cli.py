"""`dandong kb` end to end as real processes: propose, review, answer, export; usage errors;
and SIGKILL at each step of the way, after which nothing is lost or applied twice."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser
from knowledge.curation import CurationStore
from knowledge.store import KnowledgeStore

URL = "https://example.org/news/2026/11/20/visit"
VISIT = ["kb", "propose", "--kind", "visit", "--date", "2026-11-20", "--end-date", "2026-11-22",
         "--who", "Li Testperson, Vice Premier", "--what", "Talks on border trade in Pyongyang",
         "--url", URL, "--direction", "CN->KP"]
FACT = ["kb", "propose", "--kind", "fact", "--date", "2026-11-15", "--what",
        "The New Yalu River Bridge opened to lorries carrying test cargo.", "--url",
        "https://example.org/bridge", "--quote", "opened to lorries"]


@pytest.fixture
def env(tmp_path, kb_path, data_copy) -> dict[str, str]:
    """A private knowledge base (approvals rebuild it), data folder and curation database."""
    shutil.copy(kb_path, tmp_path / "kb.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DANDONG_"))}
    env.update(DANDONG_DB=str(tmp_path / "kb.db"), DANDONG_DATA_DIR=str(data_copy),
               DANDONG_CURATION_DB=str(tmp_path / "team" / "curation.db"),
               DANDONG_STATE_DB=str(tmp_path / "state.db"), HOME=str(tmp_path))
    return env


def run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def ok(args, env) -> str:
    p = run(args, env)
    assert p.returncode == 0, p.stderr
    return p.stdout


def refused(args, env) -> str:
    p = run(args, env)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "Traceback" not in p.stderr and p.stdout == ""
    return p.stderr


def curation(env) -> CurationStore:
    return CurationStore(Path(env["DANDONG_CURATION_DB"]))


def team_source(env, question: str) -> dict | None:
    answer = json.loads(ok(["ask", "--json", question], env))
    return next((s for s in answer["sources"] if s["id"].startswith("team_")), None)


def test_propose_review_answer_export(env, data_copy):
    assert "proposal #1 recorded, pending review" in ok([*VISIT, "--as", "alice"], env)
    assert "#1  visit 2026-11-20 to 2026-11-22: Li Testperson" in ok(["kb", "pending"], env)
    assert team_source(env, "Li Testperson") is None  # pending never reaches answers

    assert "You proposed #1; another reviewer has to approve it" in refused(
        ["kb", "approve", "1", "--as", "Alice"], env)  # names are compared case-blind
    out = ok(["kb", "approve", "1", "--as", "carol"], env)
    assert "approved #1 as team_visit_1" in out and "rebuilt" in out
    assert "already approved by carol" in refused(["kb", "approve", "1", "--as", "dave"], env)
    src = team_source(env, "Li Testperson")
    assert src["id"] == "team_visit_1" and src["url"] == URL
    assert src["provenance"]["text"].endswith(f"(approved by carol), source {URL}")
    text = ok(["ask", "Li Testperson"], env)
    assert "[team_visit_1] added by the team on " in text

    ok([*FACT, "--as", "bob"], env)
    assert "rejected #2: Not an official source" in ok(
        ["kb", "reject", "2", "--reason", "Not an official source", "--as", "carol"], env)
    assert ok(["kb", "pending"], env) == "No proposals are waiting for review.\n"
    history = ok(["kb", "history"], env).splitlines()
    assert [line.split("  ", 1)[1].split(" #")[0] for line in history] == [
        "alice proposed", "carol approved", "bob proposed", "carol rejected"]
    assert history[-1].endswith("(pending -> rejected): Not an official source")
    assert len(json.loads(ok(["kb", "history", "1", "--json"], env))) == 2

    out = ok(["kb", "export", "--as", "carol"], env)
    assert "exported 1 row(s)" in out and "visits.csv 1" in out
    with open(data_copy / "visits.csv", encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["id"] == "team_visit_1"]
    assert len(rows) == 1 and rows[0]["visitor"] == "Li Testperson"
    assert rows[0]["source_url"] == URL and rows[0]["confidence"] == "verified"
    assert "Nothing to export" in ok(["kb", "export", "--as", "carol"], env)
    assert team_source(env, "Li Testperson")["provenance"]["approved_by"] == "carol"


@pytest.mark.parametrize(("args", "message"), [
    ([*VISIT[:5], "2026-02-30", *VISIT[6:], "--as", "a"], "date: '2026-02-30' is not a real date"),
    ([*VISIT[:13], "ftp://example.org/x", *VISIT[14:], "--as", "a"],
     "source URL: 'ftp://example.org/x' is not an http(s) URL"),
    ([*VISIT[:13], "example.org/x", *VISIT[14:], "--as", "a"], "is not an http(s) URL"),
    ([*VISIT[:-2], "--as", "a"], "direction: say who travelled"),
    ([*VISIT[:12], "--as", "a"], "the following arguments are required: --url"),
    (VISIT, "the following arguments are required: --as"),
    ([*VISIT, "--as", "  "], "say who you are with --as NAME"),
    (["kb", "propose", "--kind", "rumour"], "invalid choice: 'rumour'"),
    (["kb", "approve", "7", "--as", "carol"], "There is no proposal #7"),
    (["kb", "approve", "seven", "--as", "carol"], "invalid int value: 'seven'"),
    (["kb", "reject", "1", "--reason", "", "--as", "carol"], "a reason is required"),
    (["kb", "reject", "1", "--reason", "dup", "--as", "carol"], "There is no proposal #1"),
    (["kb", "history", "3"], "There is no proposal #3"),
    (["kb"], "say what to do: propose, pending, approve"),
])
def test_usage_errors_exit_2_with_one_clear_message(env, args, message):
    assert message in refused(args, env)


def test_every_kb_action_has_help():
    kb = build_parser()._subparsers._group_actions[0].choices["kb"]
    actions = next(a for a in kb._actions if a.dest == "kb_command").choices
    assert set(actions) == {"propose", "pending", "approve", "reject", "history", "export"}
    for name, sub in actions.items():
        assert sub.description, name
        assert all(a.help for a in sub._actions if a.dest not in ("help", "db")), name


# -- crashes -----------------------------------------------------------------------------------
def killed_at(step: str, args, env) -> None:
    """Run `dandong ARGS` until it reaches `step`, then SIGKILL it."""
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", *args], text=True,
                            env={**env, "DANDONG_TEST_PAUSE_AT": step},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = []
    try:
        for line in proc.stderr:
            seen.append(line)
            if line.startswith(f"paused at {step}"):
                break
        else:
            raise AssertionError(f"never reached {step}: {''.join(seen)}")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def actions(env) -> list[str]:
    store = curation(env)
    try:
        return [e.action for e in store.history()]
    finally:
        store.close()


def statuses(env) -> list[str]:
    store = curation(env)
    try:
        return [p.status for p in store._select()]
    finally:
        store.close()


def test_killed_before_the_proposal_commits_leaves_nothing_and_a_retry_records_it(env):
    killed_at("propose:before-commit", [*VISIT, "--as", "alice"], env)
    assert statuses(env) == [] and actions(env) == []  # the hot journal was rolled back
    ok([*VISIT, "--as", "alice"], env)
    assert statuses(env) == ["pending"] and actions(env) == ["propose"]


def test_killed_after_the_proposal_commits_keeps_it_once(env):
    killed_at("propose:committed", [*VISIT, "--as", "alice", "--nonce", "form-1"], env)
    assert statuses(env) == ["pending"]
    assert "already recorded with this nonce" in ok(
        [*VISIT, "--as", "alice", "--nonce", "form-1"], env)
    assert "already has this visit" in refused([*VISIT, "--as", "alice"], env)
    assert statuses(env) == ["pending"] and actions(env) == ["propose"]


def test_killed_before_the_approval_commits_it_can_be_approved_once(env):
    ok([*VISIT, "--as", "alice"], env)
    killed_at("approve:before-commit", ["kb", "approve", "1", "--as", "carol"], env)
    assert statuses(env) == ["pending"] and actions(env) == ["propose"]
    assert team_source(env, "Li Testperson") is None
    ok(["kb", "approve", "1", "--as", "carol"], env)
    assert actions(env) == ["propose", "approve"]
    assert team_source(env, "Li Testperson")["id"] == "team_visit_1"


def test_killed_between_approval_and_rebuild_the_next_run_rebuilds(env):
    ok([*VISIT, "--as", "alice"], env)
    killed_at("approve:committed", ["kb", "approve", "1", "--as", "carol"], env)
    assert statuses(env) == ["approved"]
    assert KnowledgeStore(env["DANDONG_DB"]).visit("team_visit_1") is None  # not rebuilt
    assert "already approved" in refused(["kb", "approve", "1", "--as", "carol"], env)
    # the next command to open the knowledge base finds it stale and rebuilds it
    assert team_source(env, "Li Testperson")["provenance"]["approved_by"] == "carol"
    assert actions(env) == ["propose", "approve"]


def test_killed_mid_export_the_rerun_writes_each_row_once(env, data_copy):
    ok([*VISIT, "--as", "alice"], env)
    ok([*FACT, "--as", "alice"], env)
    ok(["kb", "approve", "1", "--as", "carol"], env)
    ok(["kb", "approve", "2", "--as", "carol"], env)
    killed_at("export:written", ["kb", "export", "--as", "carol"], env)  # facts.csv written
    assert statuses(env) == ["approved", "approved"]
    assert (data_copy / "facts.csv").read_text(encoding="utf-8").count("team_fact_2") == 1
    assert "team_visit_1" not in (data_copy / "visits.csv").read_text(encoding="utf-8")
    # meanwhile the build takes the exported row from the file and the other from the overlay
    assert team_source(env, "Li Testperson")["id"] == "team_visit_1"

    out = ok(["kb", "export", "--as", "carol"], env)
    assert "visits.csv 1" in out and "facts.csv" not in out
    for name, rid in (("facts.csv", "team_fact_2"), ("visits.csv", "team_visit_1")):
        assert (data_copy / name).read_text(encoding="utf-8").count(rid) == 1
    assert statuses(env) == ["exported", "exported"]
    assert actions(env).count("export") == 2
    assert not list(data_copy.glob(".*.tmp"))
    assert team_source(env, "New Yalu River Bridge lorries")["id"] == "team_fact_2"
