"""A small answering function standing in for bot.engine.ask: real Answer objects, a record
of the questions asked, and questions that fail or take their time on purpose."""

from __future__ import annotations

import os
import threading
import time
from datetime import date
from pathlib import Path

from bot.engine.answer import Answer, Source
from bot.errors import KnowledgeBaseError

HU_SOURCE = Source(
    id="fa2017-hu-visits", kind="article",
    quote="Under Hu Jintao, Chinese and North Korean leaders met five times.")
TEST2_SOURCE = Source(
    id="pr-test-2009", kind="public_record",
    url="https://www.un.org/press/en/2009/sc9679.doc.htm ; https://www.ctbto.org/press-release")
COAL_SOURCE = Source(
    id="pr-coal-ban-2017", kind="public_record",
    url="https://www.mofcom.gov.cn/article/b/c/201702/20170202515111.shtml")

SOURCES = {s.id: s for s in (HU_SOURCE, TEST2_SOURCE, COAL_SOURCE)}
SUGGESTIONS = ("visits in Hu era", "coal ban", "days after 2009 test")


class ScriptedEngine:
    """Callable like bot.engine.ask. Special questions: 'boom' raises a bug, 'kb down' raises
    a user-facing error, 'long list' returns 120 lines, 'slow' waits until released (and
    'slow unknown' then finds nothing)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, date | None]] = []
        self.release = threading.Event()

    def __call__(self, question: str, today: date | None = None) -> Answer:
        self.asked.append((question, today))
        q = " ".join(question.lower().split())
        if "boom" in q:
            raise RuntimeError("engine bug: secret internal detail")
        if "kb down" in q:
            raise KnowledgeBaseError("The knowledge base is missing; run `dandong build`.")
        if "slow" in q:
            marker = os.environ.get("DANDONG_TEST_SLOW_MARKER")
            if marker:
                Path(marker).write_text("answering")
                time.sleep(1.0)
            else:
                self.release.wait(10)
            if "unknown" not in q:
                return _found(question, "A slow but complete answer.")
        if "long list" in q:
            lines = "\n".join(f"{i}. {1953 + i}: a visit (row {i})" for i in range(1, 121))
            return _found(question, lines, sources=(HU_SOURCE,))
        if q in ("visits in hu jintao era", "visits in hu era"):
            return _found(question, "Under Hu Jintao (2003–2012) there were 5 leader-level "
                          "meetings.", sources=(HU_SOURCE,), understood="visits in the Hu "
                          "Jintao era (2003-03-15 to 2012-11-15)")
        if q == "days after the second nuclear test":
            return _found(question, "The first high-level visit after the test of 25 May 2009 "
                          "came 128 days later.", sources=(TEST2_SOURCE,))
        if q == "coal ban":
            return _found(question, "China suspended coal imports from North Korea on "
                          "19 February 2017.", sources=(COAL_SOURCE,))
        return Answer(question=question, intent="unknown", found=False,
                      answer=f"I have no answer for “{question}”.", suggestions=SUGGESTIONS)


def _found(question: str, text: str, *, sources: tuple[Source, ...] = (),
           understood: str = "") -> Answer:
    return Answer(question=question, intent="scripted", found=True, answer=text,
                  sources=sources, as_of="2017-03-01", understood=understood)


def lookup_source(source_id: str) -> Source | None:
    """Stands in for the knowledge store's source lookup."""
    return SOURCES.get(source_id)
