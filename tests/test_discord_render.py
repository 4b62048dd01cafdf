"""render.py: Answer -> embed dicts, as plain strings; no Discord involved."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.discord import render
from bot.discord.commands import (
    match_choices,
    nuclear_test_label,
    nuclear_test_question,
    visits_question,
)
from bot.engine.answer import Answer, Source

ZW = render.ZWSP


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("@everyone look", f"@{ZW}everyone look"),
        ("hi @here", f"hi @{ZW}here"),
        ("<@123456789012345678> and <@!123456789012345678>",
         f"<@{ZW}123456789012345678> and <@{ZW}!123456789012345678>"),
        ("<@&123456789012345678>", f"<@{ZW}&123456789012345678>"),
        ("<@&1> <@!42> <@7>", f"<@{ZW}&1> <@{ZW}!42> <@{ZW}7>"),
        ("**bold** _it_ ~~s~~ `code` ||spoiler||",
         r"\*\*bold\*\* \_it\_ \~\~s\~\~ \`code\` \|\|spoiler\|\|"),
        ("[click](https://evil.example)", r"\[click\](https://evil.example)"),
        ("# heading\n> quote\n- item\n1. first", "\\# heading\n\\> quote\n\\- item\n1\\. first"),
        ("a \\ b", "a \\\\ b"),
        ("see https://example.org/a_b_c for more_text",
         "see https://example.org/a_b_c for more\\_text"),
        ("Hu Jintao 2003–2012: 5 visits", "Hu Jintao 2003–2012: 5 visits"),
    ],
)
def test_escape_text(text, shown):
    assert render.escape_text(text) == shown


@pytest.mark.parametrize(
    ("text", "limit", "clipped"),
    [("short", 10, "short"), ("abcdefghij", 5, "abcd…"), ("abc\\*def", 5, "abc…"),
     ("word  word", 6, "word…")],
)
def test_clip(text, limit, clipped):
    assert render.clip(text, limit) == clipped


def test_paginate_splits_at_lines_then_spaces():
    text = "\n".join(f"line {i:03d}" for i in range(100))  # 8 chars a line
    pages = render.paginate(text, 100)
    assert all(len(page) <= 100 for page in pages)
    assert "\n".join(pages) == text
    assert render.paginate("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]
    assert render.paginate("x" * 10, 4) == ["xxxx", "xxxx", "xx"]
    assert render.paginate("", 10) == [""]


def test_paginate_keeps_escapes_whole():
    pages = render.paginate("ab\\*cd", 3)
    assert pages == ["ab", "\\*c", "d"]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=12000), st.integers(min_value=2, max_value=5000))
def test_paginate_never_exceeds_the_limit_and_loses_nothing_but_separators(text, limit):
    pages = render.paginate(text, limit)
    assert all(len(page) <= limit for page in pages)
    squeeze = "".join(text.split())
    assert "".join("".join(pages).split()) == squeeze


def _answer(**kw) -> Answer:
    base = dict(question="visits in Hu era", intent="era", found=True,
                answer="Under Hu Jintao there were 5 meetings.", as_of="2017-03")
    base.update(kw)
    return Answer(**base)


def test_found_answer_embed():
    src = Source("fa-hu", "article", quote="Under Hu Jintao, leaders met five times.")
    link = Source("pr-2009", "public_record", url="https://a.example/x ; https://b.example/y")
    reply = render.answer_reply(_answer(sources=(src, link), understood="visits, Hu era"))
    assert not reply.ephemeral and reply.suggestions == ()
    (page,) = reply.pages
    assert page["title"] == "visits in Hu era"
    assert page["description"] == "Under Hu Jintao there were 5 meetings."
    assert page["footer"] == {"text": "As of 2017-03 · Dandong"}
    assert page["author"] == {"name": "Understood as: visits, Hu era"}
    assert page["fields"][0] == {"name": "Article · fa-hu", "inline": False,
                                 "value": "“Under Hu Jintao, leaders met five times.”"}
    assert page["fields"][1]["value"] == "https://a.example/x\nhttps://b.example/y"
    assert page["color"] == render.COLOUR_FOUND


def test_user_text_in_answer_is_escaped():
    reply = render.answer_reply(_answer(question="@everyone **now**",
                                        answer="No figure for “@here [x](http://e.x)”."))
    page = reply.pages[0]
    assert page["title"] == f"@{ZW}everyone \\*\\*now\\*\\*"
    assert "@everyone" not in page["description"] and "@here" not in page["description"]
    assert "\\[x\\](http://e.x)" in page["description"]


def test_not_found_is_one_ephemeral_page_with_suggestions():
    reply = render.answer_reply(_answer(found=False, answer="I don't know that.",
                                        suggestions=("visits in Hu era", "coal ban")))
    assert reply.ephemeral
    assert reply.suggestions == ("visits in Hu era", "coal ban")
    (page,) = reply.pages
    assert page["description"].endswith("**Try asking:**\n• visits in Hu era\n• coal ban")
    assert page["color"] == render.COLOUR_NOT_FOUND


def test_long_answer_paginates_with_page_numbers_and_sources_on_each_page():
    text = "\n".join(f"{i}. a visit in {1953 + i}" for i in range(300))
    src = Source("fa-list", "article", quote="a quote")
    reply = render.answer_reply(_answer(answer=text, sources=(src,)), page_chars=1000)
    n = len(reply.pages)
    assert n > 3
    for i, page in enumerate(reply.pages, 1):
        assert len(page["description"]) <= 1000
        assert page["footer"]["text"] == f"As of 2017-03 · Page {i} of {n} · Dandong"
        assert page["fields"][0]["name"] == "Article · fa-list"


def test_many_sources_point_to_source_command():
    sources = tuple(Source(f"s{i}", "article", quote="q") for i in range(8))
    fields = render.answer_reply(_answer(sources=sources)).pages[0]["fields"]
    assert len(fields) == render.SOURCES_SHOWN + 1
    assert fields[-1]["name"] == "3 more source(s)"
    assert fields[-1]["value"] == "s5, s6, s7\nSee `/source id`."


def test_extra_fields_come_before_sources():
    reply = render.answer_reply(_answer(sources=(Source("a", "article", quote="q"),)),
                                extra_fields=[("Nuclear test 2", "2009-05-25")])
    names = [f["name"] for f in reply.pages[0]["fields"]]
    assert names == ["Nuclear test 2", "Article · a"]


_texts = st.text(min_size=0, max_size=3000)
_sources = st.lists(
    st.builds(Source, id=st.text(min_size=1, max_size=300),
              kind=st.sampled_from(["article", "public_record", "imported"]),
              quote=st.text(max_size=3000),
              url=st.lists(st.from_regex(r"https://[a-z]{1,600}\.example", fullmatch=True),
                           max_size=4).map(" ; ".join)),
    max_size=30)


@settings(max_examples=120, deadline=None)
@given(question=_texts, text=st.text(max_size=20000), sources=_sources,
       suggestions=st.lists(st.text(max_size=300), max_size=10),
       found=st.booleans(), understood=_texts, as_of=st.one_of(st.none(), _texts))
def test_every_embed_respects_discord_limits(question, text, sources, suggestions, found,
                                             understood, as_of):
    answer = Answer(question=question, intent="x", found=found, answer=text,
                    sources=tuple(sources), suggestions=tuple(suggestions), as_of=as_of,
                    understood=understood)
    for page in render.answer_reply(answer).pages:
        assert render.embed_length(page) <= render.EMBED_TOTAL_MAX
        assert len(page["title"]) <= render.TITLE_MAX
        assert 0 < len(page["description"]) <= render.DESCRIPTION_MAX
        assert len(page["footer"]["text"]) <= render.FOOTER_MAX
        assert len(page.get("author", {}).get("name", "")) <= render.AUTHOR_MAX
        assert len(page.get("fields", [])) <= render.FIELDS_MAX
        for f in page.get("fields", []):
            assert 0 < len(f["name"]) <= render.FIELD_NAME_MAX
            assert 0 < len(f["value"]) <= render.FIELD_VALUE_MAX
        assert "@everyone" not in str(page) and "@here" not in str(page)


def test_source_reply_and_not_found():
    src = Source("pr-coal", "public_record", url="https://mofcom.example/ban")
    (page,) = render.source_reply("pr-coal", src).pages
    assert page["title"] == "Public record · pr-coal"
    assert page["description"] == "https://mofcom.example/ban"
    missing = render.source_reply("pr-cole", None, ["pr-coal"])
    assert missing.ephemeral
    assert "Did you mean: pr-coal?" in missing.pages[0]["description"]


@pytest.mark.parametrize(("wait", "text"), [(0.2, "1 second"), (3.2, "4 seconds"),
                                            (9.99, "10 seconds")])
def test_cooldown_message_rounds_up(wait, text):
    reply = render.cooldown_reply(wait)
    assert reply.ephemeral and f"wait {text}" in reply.content


def test_error_reply_is_short_and_escaped():
    reply = render.error_reply("@everyone " + "x" * 5000)
    assert reply.ephemeral and len(reply.content) <= render.CONTENT_MAX
    assert reply.content.startswith(f"@{ZW}everyone")


@pytest.mark.parametrize(
    ("content", "question"),
    [("<@42> visits in Hu era", "visits in Hu era"), ("<@!42>   coal  ban ", "coal ban"),
     ("what about <@42> the 2009 test", "what about the 2009 test"), ("<@42>", "")],
)
def test_strip_bot_mention(content, question):
    assert render.strip_bot_mention(content, 42) == question


@pytest.mark.parametrize(
    ("options", "typed", "expected"),
    [(["coal ban", "UNSCR 2321 coal cap", "LPG"], "coal", ["coal ban", "UNSCR 2321 coal cap"]),
     (["coal ban", "LPG"], "", ["coal ban", "LPG"]),
     (["livelihood exemption"], "livelihod", ["livelihood exemption"]),
     ([f"id{i}" for i in range(40)], "id", [f"id{i}" for i in range(25)])],
)
def test_match_choices(options, typed, expected):
    assert match_choices(options, typed) == expected


def test_shortcut_questions():
    assert visits_question("Hu Jintao") == "visits in Hu Jintao era"
    assert nuclear_test_question(2) == "days after the second nuclear test"
    assert nuclear_test_question(6) == "days after the sixth nuclear test"
    assert nuclear_test_label(2, "2009-05-25") == "Test 2 · 2009-05-25"
