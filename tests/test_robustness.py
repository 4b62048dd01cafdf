"""Bad input and faults: nothing raises, nothing changes, the last good knowledge base serves."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine import Engine
from bot.errors import KnowledgeBaseError
from knowledge.build import build
from knowledge.store import KnowledgeStore
from tests.conftest import TODAY

HOSTILE = [json.loads(line) for line in
           (Path(__file__).parent / "data" / "hostile_inputs.jsonl").read_text(
               encoding="utf-8").splitlines()]
FRAGMENTS = ["visits", "in", "Hu", "era", "days", "after", "2009", "test", "coal", "ban",
             "KJU", "Xi", "vs", "fifth", "nuclear", "since", "last", "LPG", "Ri Kil Song",
             "February 30", "1850", "@everyone", "'", '"', "*", "NEAR", "\u202e", "\u200b"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def well_formed(answer) -> None:
    d = answer.to_dict()
    json.dumps(d)
    assert isinstance(d["found"], bool) and isinstance(d["answer"], str) and d["answer"]
    assert isinstance(d["intent"], str) and isinstance(d["values"], dict)
    assert len(d["question"]) <= 500 and len(d["suggestions"]) <= 3
    for s in d["sources"]:
        assert s["kind"] in ("article", "public_record", "imported") and (s["quote"] or s["url"]
                                                                         or s["kind"] == "imported")
    if not d["found"]:
        assert d["suggestions"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=10_000))
def test_any_unicode_gives_a_well_formed_answer(engine, kb_path, text):
    before = sha(kb_path)
    well_formed(engine.ask(text, today=TODAY))
    assert sha(kb_path) == before


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=12),
       st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_question_fragments_with_noise(engine, words, today):
    well_formed(engine.ask(" ".join(words), today=today))


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_catalogue_through_the_command_line(text, cli_env, kb_path, tmp_path):
    before = sha(kb_path)
    text = text.replace("\x00", "")  # argv cannot carry NUL; the engine tests above cover it
    p = subprocess.run([sys.executable, "-m", "bot.cli", "ask", "--json", "--", text],
                       capture_output=True, text=True, env=cli_env, timeout=60)
    assert "Traceback" not in p.stderr + p.stdout
    if not text.strip() or not "".join(ch for ch in text if ch.isprintable()).strip():
        assert p.returncode in (0, 2)
    else:
        assert p.returncode == 0, p.stderr
        well_formed_json = json.loads(p.stdout)
        assert isinstance(well_formed_json["found"], bool)
    assert sha(kb_path) == before
    assert not (tmp_path / "state.db").exists()  # asking stores nothing


def test_missing_knowledge_base_says_run_build(tmp_path):
    with pytest.raises(KnowledgeBaseError, match="dandong build"):
        KnowledgeStore(tmp_path / "nope.db").facts()


def test_truncated_knowledge_base_is_refused_with_advice(kb_path, tmp_path):
    bad = tmp_path / "kb.db"
    bad.write_bytes(kb_path.read_bytes()[:8192])
    with pytest.raises(KnowledgeBaseError, match="Run `dandong build`"):
        Engine(KnowledgeStore(bad)).ask("coal ban", today=TODAY)


def test_corrupt_swap_keeps_serving_the_last_good_build(kb_path, tmp_path, caplog):
    db = tmp_path / "kb.db"
    shutil.copy(kb_path, db)
    engine = Engine(KnowledgeStore(db))
    assert engine.ask("coal ban", today=TODAY).found
    data = bytearray(kb_path.read_bytes())
    data[4096:8192] = b"\xa5" * 4096  # scribble over a b-tree page
    swap = tmp_path / "new.db"
    swap.write_bytes(bytes(data))
    os.replace(swap, db)  # a "rebuild" that produced a damaged file
    a = engine.ask("visits in Hu era", today=TODAY)
    assert a.found and a.answer.startswith("6.6")
    assert "still serving the previous build" in caplog.text


def test_killed_build_leaves_the_old_database_intact(tmp_path, data_copy):
    db = tmp_path / "kb.db"
    build(db, data_copy)
    before = sha(db)
    # Make the next build slow enough to kill part-way: a large synthetic import.
    (data_copy / "imports").mkdir()
    with open(data_copy / "imports" / "big.csv", "w") as fh:
        fh.write("id,start_date,end_date,visitor,visitor_title,direction,place,summit,"
                 "high_level\n")
        for i in range(150_000):
            fh.write(f"syn_{i},2000-01-{1 + i % 28:02d},,Synthetic {i},,CN->KP,,0,1\n")
    (data_copy / "imports.csv").write_text(
        "id,label,covers_from,covers_to,file,synthetic,source_name,source_url\n"
        "big,Synthetic big list,2000-01-01,2000-12-31,big.csv,1,generated for a test,\n")
    code = (f"from knowledge.build import build; from pathlib import Path; "
            f"build(Path({str(db)!r}), Path({str(data_copy)!r}))")
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".kb.db.*.tmp")) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert sha(db) == before
    assert KnowledgeStore(db).row_counts()["imported_visits"] == 0
    build(db, data_copy)  # the next build cleans up the abandoned temporary file
    assert not list(tmp_path.glob(".kb.db.*.tmp"))
    assert KnowledgeStore(db).row_counts()["imported_visits"] == 150_000
