"""Team curation: proposals validated like the data files, the curation database's actions and
append-only audit log, the build's overlay of approved rows, and export into the CSVs."""

from __future__ import annotations

import csv
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from bot.engine import Engine
from bot.engine.answer import Answer, Provenance, Source
from knowledge import overlay
from knowledge.build import build, is_stale
from knowledge.curation import Actor, CurationStore, read_approved
from knowledge.errors import DataError, UsageError
from knowledge.proposals import Draft, split_dates, validate
from knowledge.store import KnowledgeStore

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ALICE = Actor("cli:alice", "alice")
CAROL = Actor("cli:carol", "carol")
URL = "https://example.org/news/2026/11/20/visit"


def visit(**changes) -> Draft:
    base = {"kind": "visit", "date": "2026-11-20", "end_date": "2026-11-22",
            "who": "Li Testperson, Vice Premier", "what": "Talks on border trade in Pyongyang",
            "url": URL, "direction": "CN->KP"}
    return Draft(**{**base, **changes})


def fact(**changes) -> Draft:
    base = {"kind": "fact", "date": "2026-11-15", "who": "Sinuiju; Dandong",
            "what": "The New Yalu River Bridge opened to lorries carrying test cargo.",
            "url": "https://example.org/bridge", "quote": "the bridge opened to lorries"}
    return Draft(**{**base, **changes})


@pytest.mark.parametrize(("draft", "message"), [
    (visit(date="2026-02-30", end_date=""), "date: '2026-02-30' is not a real date"),
    (visit(date="20 Nov 2026", end_date=""), "date: '20 Nov 2026' is not a date in the form"),
    (visit(end_date="2026-11-19"), "end date: 2026-11-19 is before the start, 2026-11-20"),
    (visit(url="ftp://example.org/x"), "source URL: 'ftp://example.org/x' is not an http(s) URL"),
    (visit(url="javascript:alert(1)"), "is not an http(s) URL"),
    (visit(url=""), "source URL: is empty; a team row needs a link to its source"),
    (visit(who=""), "who: is empty"),
    (visit(direction=""), "direction: say who travelled: CN->KP or KP->CN"),
    (visit(direction="CN-KP"), "'CN-KP' must be one of CN->KP, KP->CN"),
    (visit(who="x" * 101), "who: 101 characters; at most 100"),
    (visit(what="x" * 1501), "what: 1501 characters; at most 1500"),
    (visit(quote="q" * 1001), "quote: 1001 characters; at most 1000"),
    (fact(what=""), "what: is empty"),
    (fact(what="x" * 601), "what: 601 characters; at most 600"),
    (fact(date="2026-13"), "date: '2026-13' has no such month"),
    (Draft("event", date="2026-11-31", what="Talks", url=URL), "date: '2026-11-31' is not a "
                                                               "real date"),
    (Draft("rumour", date="2026-11-30", what="x", url=URL), "kind: 'rumour' must be one of"),
])
def test_drafts_are_checked_like_the_data_files(draft, message):
    with pytest.raises(DataError) as err:
        validate(draft, "team_x_1")
    assert message in str(err.value)
    assert str(err.value).startswith("The proposal was not saved")


def test_a_good_visit_becomes_a_visits_row():
    row = validate(visit(summit=True), "team_visit_7")
    assert row["id"] == "team_visit_7"
    assert (row["visitor"], row["visitor_title"]) == ("Li Testperson", "Vice Premier")
    assert (row["start_date"], row["end_date"], row["direction"]) == (
        "2026-11-20", "2026-11-22", "CN->KP")
    assert (row["summit"], row["high_level"], row["source_kind"]) == (1, 1, "public_record")


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-20", ("2026-11-20", "")),
    ("2026-11-20 to 2026-11-22", ("2026-11-20", "2026-11-22")),
    ("2026-11-20 – 2026-11-22", ("2026-11-20", "2026-11-22")),
    ("2026-11-20/2026-11-22", ("2026-11-20", "2026-11-22")),
    ("  2026-11-20 ", ("2026-11-20", "")),
    ("next Tuesday", ("next Tuesday", "")),
])
def test_split_dates(text, expected):
    assert split_dates(text) == expected


# -- the curation database ---------------------------------------------------------------------
@pytest.fixture
def cur(tmp_path):
    store = CurationStore(tmp_path / "curation.db")
    yield store
    store.close()


def test_propose_is_pending_and_idempotent_by_nonce(cur):
    first, created = cur.propose(visit(), ALICE, NOW, nonce="n-1")
    again, created_again = cur.propose(visit(), ALICE, NOW, nonce="n-1")
    assert created and not created_again and again.id == first.id
    assert [p.id for p in cur.pending()] == [first.id]
    assert first.status == "pending" and first.row_id == f"team_visit_{first.id}"
    assert [e.action for e in cur.history()] == ["propose"]


def test_duplicates_are_refused(cur):
    p, _ = cur.propose(visit(), ALICE, NOW)
    with pytest.raises(DataError, match=rf"proposal #{p.id} \(pending\) already has this visit"):
        cur.propose(visit(what="Same visit, other words", who="li  testperson"), CAROL, NOW)
    known = [(("fact", "2026-11-15", "the new yalu river bridge opened to lorries carrying "
                                     "test cargo."), "bridge_fact")]
    with pytest.raises(DataError, match="already has this fact as bridge_fact"):
        cur.propose(fact(), ALICE, NOW, known=known)


def test_approve_rules(cur):
    p, _ = cur.propose(visit(), ALICE, NOW)
    with pytest.raises(UsageError, match=f"You proposed #{p.id}"):
        cur.approve(p.id, ALICE, NOW)
    approved = cur.approve(p.id, CAROL, NOW + timedelta(hours=1))
    assert (approved.status, approved.reviewer_name) == ("approved", "carol")
    with pytest.raises(UsageError, match=f"#{p.id} is already approved by carol on 2026-12-01"):
        cur.approve(p.id, CAROL, NOW)
    with pytest.raises(UsageError, match="only a pending proposal can be rejected"):
        cur.reject(p.id, CAROL, "changed my mind", NOW)
    with pytest.raises(UsageError, match="There is no proposal #99"):
        cur.approve(99, CAROL, NOW)
    assert [e.action for e in cur.history(p.id)] == ["propose", "approve"]
    entry = cur.history(p.id)[1]
    assert entry.before["status"] == "pending" and entry.after["status"] == "approved"
    assert (entry.actor, entry.at) == ("cli:carol", "2026-12-01T10:00:00+00:00")


def test_reject_needs_a_reason_and_keeps_it(cur):
    p, _ = cur.propose(fact(), ALICE, NOW)
    with pytest.raises(UsageError, match="reason is required"):
        cur.reject(p.id, CAROL, "  ", NOW)
    rejected = cur.reject(p.id, CAROL, "The source is a blog  post", NOW)
    assert (rejected.status, rejected.reason) == ("rejected", "The source is a blog post")
    assert cur.pending() == [] and read_approved(cur.path) == []
    # a rejected proposal does not block proposing the row again
    again, _ = cur.propose(fact(url="https://example.org/official"), ALICE, NOW)
    assert again.id != p.id


def test_the_audit_log_and_proposals_cannot_be_rewritten(cur):
    p, _ = cur.propose(fact(), ALICE, NOW)
    raw = sqlite3.connect(cur.path)
    for sql in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit",
                "DELETE FROM proposals"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only|never deleted"):
            raw.execute(sql)
    raw.close()
    assert len(cur.history()) == 1 and cur.get(p.id).status == "pending"


def test_unwritable_curation_database_is_a_clear_error(tmp_path):
    (tmp_path / "dir").write_text("a file where a folder should be")
    with pytest.raises(DataError, match="cannot be opened for writing"):
        CurationStore(tmp_path / "dir" / "curation.db")


# -- the build overlay ---------------------------------------------------------------------------
@pytest.fixture
def kb(tmp_path, data_copy):
    db = tmp_path / "kb.db"
    build(db, data_copy)
    return db


def test_only_approved_rows_reach_the_knowledge_base(tmp_path, data_copy, kb, cur):
    pending, _ = cur.propose(visit(), ALICE, NOW)
    assert not is_stale(kb, data_copy)  # a pending proposal changes nothing
    store = KnowledgeStore(kb)
    assert store.visit(pending.row_id) is None
    assert Engine(store).ask("Li Testperson").found is False

    cur.approve(pending.id, CAROL, NOW)
    assert is_stale(kb, data_copy)  # the approval is what makes it stale
    counts = build(kb, data_copy)
    assert counts["team_rows"] == 1 and not is_stale(kb, data_copy)
    v = store.visit(pending.row_id)
    assert (v.visitor, v.start_date, v.source_url) == ("Li Testperson", "2026-11-20", URL)
    team = store.team_row(pending.row_id)
    assert (team.proposer, team.approved_by, team.approved_at[:10]) == ("alice", "carol",
                                                                        "2026-12-01")
    answer = Engine(store).ask("Li Testperson")
    assert answer.found and "Li Testperson" in answer.answer
    (src,) = [s for s in answer.sources if s.id == pending.row_id]
    assert src.provenance is not None
    assert src.provenance.text() == ("added by the team on 2026-12-01 (approved by carol), "
                                     f"source {URL}")


def test_a_team_row_that_duplicates_a_data_file_row_is_left_out(tmp_path, data_copy, cur,
                                                                caplog):
    with open(data_copy / "visits.csv", encoding="utf-8", newline="") as fh:
        first = next(csv.DictReader(fh))
    twin = visit(date=first["start_date"], end_date="", who=first["visitor"],
                 direction=first["direction"])
    p, _ = cur.propose(twin, ALICE, NOW)  # no knowledge base was consulted here
    cur.approve(p.id, CAROL, NOW)
    db = tmp_path / "kb.db"
    counts = build(db, data_copy)
    assert counts["team_rows"] == 0
    assert KnowledgeStore(db).visit(p.row_id) is None
    assert f"already have this visit as {first['id']}" in caplog.text


def test_export_writes_rows_once_and_the_build_keeps_their_provenance(tmp_path, data_copy,
                                                                       cur):
    a, _ = cur.propose(visit(), ALICE, NOW)
    f, _ = cur.propose(fact(), ALICE, NOW)
    cur.approve(a.id, CAROL, NOW)
    cur.approve(f.id, CAROL, NOW)
    before = (data_copy / "visits.csv").read_text(encoding="utf-8")
    assert overlay.export(cur, data_copy, CAROL, NOW) == overlay.Exported(
        {"facts.csv": 1, "visits.csv": 1}, 2)
    after = (data_copy / "visits.csv").read_text(encoding="utf-8")
    assert after.startswith(before) and after.count("team_visit_") == 1
    assert overlay.export(cur, data_copy, CAROL, NOW) == overlay.Exported({}, 0)  # all done
    assert {p.status for p in read_approved(cur.path)} == {"exported"}
    db = tmp_path / "kb.db"
    counts = build(db, data_copy)
    store = KnowledgeStore(db)
    assert counts["team_rows"] == 2
    assert store.visit(a.row_id).visitor == "Li Testperson"
    assert store.fact(f.row_id).quote == "the bridge opened to lorries"
    assert store.team_row(a.row_id).approved_by == "carol"


# -- how a team row is shown -------------------------------------------------------------------
TEAM_SOURCE = Source("team_visit_3", "public_record", "", URL,
                     Provenance(3, "alice", "carol **bold** @everyone", "2026-12-01", URL))


def test_cli_and_discord_mark_a_team_row():
    from bot.cli.render import source_line
    from bot.discord.render import source_field

    assert source_line(TEAM_SOURCE) == (
        "[team_visit_3] added by the team on 2026-12-01 (approved by carol **bold** @everyone), "
        f"source {URL}")
    field = source_field(TEAM_SOURCE)
    assert field["name"] == "Added by the team · team\\_visit\\_3"
    assert field["value"] == ("Added by the team on 2026-12-01 (approved by carol \\*\\*bold\\*\\* "
                              f"@\u200beveryone), source {URL}")
    plain = Source("visit_1", "public_record", "", URL)
    assert source_line(plain) == f"[visit_1] public record: {URL}"
    assert "provenance" not in Answer("q", "i", True, "a", sources=(plain,)).to_dict()["sources"][0]
    d = Answer("q", "i", True, "a", sources=(TEAM_SOURCE,)).to_dict()["sources"][0]
    assert d["provenance"]["approved_by"].startswith("carol")
    assert d["provenance"]["text"].startswith("added by the team on 2026-12-01")


# -- the digest's "Knowledge base" section -----------------------------------------------------
def test_the_digest_lists_team_approvals_since_the_last_digest(tmp_path, data_copy, kb, cur):
    from datetime import date

    from bot.digest.compose import Snapshot, compose, snapshot_of
    from bot.digest.state import StateStore

    store = KnowledgeStore(kb)
    day = date(2026, 12, 2)
    # yesterday's digest was posted before the approval, from a KB without the row
    state = StateStore(tmp_path / "state.db")
    posted = NOW - timedelta(hours=2)
    assert state.claim(10, day - timedelta(days=1), "n", fact=None, snapshot=snapshot_of(store),
                       now=posted)
    state.finish(10, day - timedelta(days=1), "m1", posted)
    previous = state.snapshot(10)
    assert previous.posted_at == posted.isoformat()

    p, _ = cur.propose(visit(), ALICE, NOW - timedelta(hours=1))
    cur.approve(p.id, CAROL, NOW)
    build(kb, data_copy)
    changes = compose(store, day, previous=previous).changes
    assert changes.approved == (p.row_id,)
    assert changes.text.splitlines() == [
        changes.text.splitlines()[0],
        "Approved: Li Testperson to North Korea, November 20–22, 2026 (proposed by alice, "
        f"approved by carol on 2026-12-01; source {URL})"]
    assert changes.text.splitlines()[0].endswith("1 team approval):")

    # the next digest's snapshot holds the row and was posted after the approval: not again
    later = Snapshot(**{**vars(snapshot_of(store)), "posted_at": (NOW + timedelta(days=1))
                        .isoformat()})
    assert compose(store, day, previous=later).changes.approved == ()
    # approved before the previous post, but built after it: still news to the channel
    early = Snapshot(previous.built_at, previous.hashes,
                     posted_at=(NOW + timedelta(hours=1)).isoformat())
    assert compose(store, day, previous=early).changes.approved == (p.row_id,)
    state.close()
