"""Alert and list rendering: content, escaping, bidi isolates, the 4096 limit and splitting.

Every rendered message goes through `assert_well_formed`, a small html.parser checker: only the
tags Telegram accepts, balanced, links with http(s) hrefs only, no bare & < > in text.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.render import (
    LRI,
    MESSAGE_LIMIT,
    PDI,
    RLI,
    AlertView,
    Casualties,
    PlaceView,
    SourceLink,
    fits,
    relative_time,
    render_alert,
    render_event_list,
    split_html,
    truncate,
    visible_length,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 10, 45, tzinfo=UTC)
ALLOWED_TAGS = frozenset({"b", "i", "u", "s", "a", "code", "pre", "blockquote", "tg-spoiler"})
ISOLATES = (LRI, RLI, "\u2068")

BUKAMAL = PlaceView("gn:174448", "Al-Bukamal", "البوكمال", "Deir ez-Zor", "Al-Bukamal", 1, "البوكمال")
MAYADIN = PlaceView("gn:170017", "Al-Mayadin", "الميادين", "Deir ez-Zor", "Al-Mayadin", 2, "الميادين")
DAMASCUS = PlaceView("gn:170654", "Damascus", "دمشق", "Damascus", "Damascus", 1, "دمشق")

ARABIC_SUMMARY = (
    "قُتل 15 شخصاً وأصيب 6 آخرون في غارات جوية استهدفت مدينة البوكمال فجر اليوم.",
    "وقال المرصد السوري إن الغارات طالت مواقع لفصائل موالية لإيران.",
    "ولم تعلن أي جهة مسؤوليتها عن الضربات حتى الآن.",
)
ENGLISH_SUMMARY = (
    "Air strikes on Al-Bukamal killed 15 people and wounded 6 at dawn, a monitor said.",
    "The Syrian Observatory for Human Rights said the strikes hit Iran-backed militias.",
    "No party has claimed the strikes.",
)


def arabic_view(**changes: object) -> AlertView:
    """An Arabic report of an air strike at Al-Bukamal, three outlets, version 1."""
    view = AlertView(
        event_id=7,
        event_types=("Explosions/Remote violence",),
        sub_event_types=("Air/drone strike",),
        places=(BUKAMAL,),
        occurred_at=datetime(2026, 11, 26, 8, 40, tzinfo=UTC),
        first_seen_at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
        casualties=Casualties(15, 6, "المرصد السوري"),
        title="غارات جوية على البوكمال",
        summary=ARABIC_SUMMARY,
        summary_language="ar",
        sources=(
            SourceLink("عنب بلدي", "https://www.enabbaladi.net/archives/1"),
            SourceLink("تلفزيون سوريا", "https://www.syria.tv/a?id=2&lang=ar"),
            SourceLink("Reuters", "https://www.reuters.com/world/3"),
        ),
        version=1,
    )
    return replace(view, **changes)  # type: ignore[arg-type]


def english_view(**changes: object) -> AlertView:
    """The same event as reported in English."""
    view = arabic_view(
        title="Air strikes hit Al-Bukamal",
        summary=ENGLISH_SUMMARY,
        summary_language="en",
        casualties=Casualties(15, 6, "SOHR"),
    )
    return replace(view, **changes)  # type: ignore[arg-type]


# --- The well-formedness checker -------------------------------------------------------------------


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"tag <{tag}> not allowed")
        if tag == "a":
            if len(attrs) != 1 or attrs[0][0] != "href" or attrs[0][1] is None:
                self.errors.append(f"<a> attributes {attrs}")
            else:
                href = attrs[0][1]
                self.hrefs.append(href)
                if urlsplit(href).scheme not in ("http", "https"):
                    self.errors.append(f"href {href!r}")
        elif attrs:
            self.errors.append(f"<{tag}> has attributes {attrs}")
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            self.errors.append(f"entity &{name};")

    def handle_data(self, data: str) -> None:
        for char in "<>&":
            if char in data:
                self.errors.append(f"bare {char!r} in {data[:40]!r}")

    def handle_comment(self, data: str) -> None:
        self.errors.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.errors.append("declaration")

    def handle_pi(self, data: str) -> None:
        self.errors.append("processing instruction")

    def unknown_decl(self, data: str) -> None:
        self.errors.append("unknown declaration")


def assert_well_formed(text: str) -> list[str]:
    """Fail unless `text` is well-formed Telegram HTML with balanced isolates; returns the hrefs."""
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert not checker.errors, (checker.errors, text[:500])
    assert not checker.stack, f"unclosed {checker.stack}"
    depth = 0
    for char in text:
        if char in ISOLATES:
            depth += 1
        elif char == PDI:
            depth -= 1
            assert depth >= 0, "PDI without an isolate"
    assert depth == 0, "unclosed isolate"
    return checker.hrefs


def units(text: str) -> int:
    """Length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def assert_fits(text: str, limit: int = MESSAGE_LIMIT) -> None:
    assert visible_length(text) <= limit
    assert units(text) <= limit


def text_without_tags(text: str) -> str:
    return re.sub(r"<[^>]*>", "", text)


# --- One alert: content ----------------------------------------------------------------------------


def test_english_alert_content() -> None:
    text = render_alert(english_view(), "en", now=NOW)
    assert_well_formed(text)
    lines = text.split("\n")
    assert lines[0] == "<b>Explosions/Remote violence › Air/drone strike</b>"
    assert lines[1] == "<b>Air strikes hit Al-Bukamal</b>"
    assert lines[2] == "📍 Deir ez-Zor › Al-Bukamal"  # district = town: not repeated; exact: no label
    assert lines[3] == "🕒 2026-11-26 08:40 UTC · 2 h ago"
    assert lines[4] == "killed 15 · injured 6 (according to SOHR)"
    assert " ".join(ENGLISH_SUMMARY) in text
    assert "updated" not in text
    sources = lines[-1]
    assert sources.startswith("Reported by 3 outlets: ")
    assert '<a href="https://www.syria.tv/a?id=2&amp;lang=ar">' in sources
    assert f"{RLI}عنب بلدي{PDI}" in sources  # an Arabic outlet name inside an English line


def test_time_falls_back_to_first_seen_and_relative_time_is_optional() -> None:
    text = render_alert(english_view(occurred_at=None), "en")
    assert "🕒 2026-11-26 09:00 UTC\n" in text
    assert "ago" not in text


def test_relative_time() -> None:
    then = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert relative_time(then, then + timedelta(seconds=30), "en") == "just now"
    assert relative_time(then, then + timedelta(minutes=5), "en") == "5 min ago"
    assert relative_time(then, then + timedelta(hours=2), "ar") == "منذ ساعتين"
    assert relative_time(then, then + timedelta(days=3), "en") == "3 days ago"
    assert relative_time(then, then + timedelta(days=3), "ar") == "منذ 3 أيام"
    assert relative_time(then, then - timedelta(hours=1), "en") is None


def test_correction_marker_when_the_event_was_revised() -> None:
    assert "· <i>updated</i>" in render_alert(english_view(version=2), "en").split("\n")[0]
    assert "· <i>تحديث</i>" in render_alert(arabic_view(version=3), "ar").split("\n")[0]
    assert "تحديث" not in render_alert(arabic_view(), "ar")


def test_toll_without_source_and_without_any_figure() -> None:
    text = render_alert(english_view(casualties=Casualties(None, 4, None)), "en")
    assert "\ninjured 4\n" in text
    text = render_alert(english_view(casualties=Casualties(0, None, "SOHR")), "en")
    assert "\nkilled 0 (according to SOHR)\n" in text
    text = render_alert(english_view(casualties=Casualties()), "en")
    assert text.split("\n")[4] == ""  # the time line is followed by the summary's blank line
    assert "according to" not in text


def test_several_types_places_and_no_type() -> None:
    view = english_view(
        event_types=("Battles", "Explosions/Remote violence"),
        sub_event_types=("Armed clash", "Shelling/artillery/missile attack"),
        places=(BUKAMAL, MAYADIN, DAMASCUS),
    )
    text = render_alert(view, "en")
    assert text.startswith(
        "<b>Battles · Explosions/Remote violence › Armed clash, Shelling/artillery/missile attack</b>"
    )
    assert "📍 Deir ez-Zor › Al-Bukamal, Deir ez-Zor › Al-Mayadin (approximate), Damascus\n" in text
    assert render_alert(english_view(event_types=(), sub_event_types=()), "en").startswith("<b>News</b>")
    assert render_alert(english_view(event_types=(), sub_event_types=()), "ar").startswith("<b>خبر</b>")


@pytest.mark.parametrize(
    ("precision", "lang", "label"),
    [(2, "en", " (approximate)"), (3, "en", " (approximate, region only)"), (2, "ar", " (تقريبي)")],
)
def test_precision_label(precision: int, lang: str, label: str) -> None:
    text = render_alert(english_view(places=(replace(BUKAMAL, precision=precision),)), lang)
    place_line = next(line for line in text.split("\n") if line.startswith("📍"))
    assert place_line.endswith(label)


def test_exact_place_has_no_precision_label() -> None:
    text = render_alert(english_view(), "en")
    assert "approximate" not in text
    assert "تقريبي" not in render_alert(english_view(), "ar")


def test_place_path_in_arabic_with_english_fallback() -> None:
    unknown = PlaceView("gn:999", "Tal Abyad East", None, "Raqqa", "Tell Abiad", 1, None)
    text = render_alert(english_view(places=(BUKAMAL, unknown)), "ar")
    place_line = next(line for line in text.split("\n") if line.startswith("📍"))
    assert place_line == f"📍 دير الزور › البوكمال، الرقة › {LRI}Tell Abiad{PDI} › {LRI}Tal Abyad East{PDI}"


def test_governorate_only_place_is_not_repeated() -> None:
    governorate = PlaceView("gov:idlib", "Idlib", "إدلب", "Idlib", None, 3)
    text = render_alert(english_view(places=(governorate,)), "ar")
    assert "📍 إدلب (تقريبي، المنطقة فقط)" in text


# --- Direction -------------------------------------------------------------------------------------


def test_arabic_alert_for_an_english_reader_isolates_the_arabic_text() -> None:
    text = render_alert(arabic_view(), "en", now=NOW)
    assert_well_formed(text)
    assert f"<b>{RLI}غارات جوية على البوكمال{PDI}</b>" in text
    assert f"\n\n{RLI}{' '.join(ARABIC_SUMMARY)}{PDI}\n\n" in text
    assert f"(according to {RLI}المرصد السوري{PDI})" in text
    assert "Explosions/Remote violence › Air/drone strike" in text  # labels in the reader's language
    assert LRI not in text  # nothing in the English interface needs a left-to-right isolate


def test_english_alert_for_an_arabic_reader_isolates_the_english_text() -> None:
    text = render_alert(english_view(), "ar", now=NOW)
    assert_well_formed(text)
    lines = text.split("\n")
    assert lines[0] == "<b>انفجارات/عنف عن بُعد › غارة جوية/بطائرة مسيّرة</b>"
    assert lines[1] == f"<b>{LRI}Air strikes hit Al-Bukamal{PDI}</b>"
    assert lines[2] == "📍 دير الزور › البوكمال"
    assert lines[3] == f"🕒 {LRI}2026-11-26 08:40 UTC{PDI} · منذ ساعتين"
    assert lines[4] == f"القتلى: 15 · الجرحى: 6 (بحسب {LRI}SOHR{PDI})"
    assert f"\n\n{LRI}{' '.join(ENGLISH_SUMMARY)}{PDI}\n\n" in text
    assert lines[-1].startswith("المصادر (3): ")
    assert f"{LRI}Reuters{PDI}</a>" in lines[-1]
    assert "، " in lines[-1]  # the Arabic comma between outlets
    assert RLI not in text


def test_same_direction_text_is_not_isolated() -> None:
    text = render_alert(arabic_view(), "ar")
    assert f"\n\n{' '.join(ARABIC_SUMMARY)}\n\n" in text
    assert RLI not in text
    text = render_alert(english_view(), "en")
    assert LRI not in text


def test_summary_direction_follows_its_language_not_its_first_letter() -> None:
    summary = ("SDF قالت إن قواتها سيطرت على القرية.",)
    text = render_alert(arabic_view(summary=summary), "en")
    assert f"{RLI}{summary[0]}{PDI}" in text


def test_bidi_overrides_in_the_input_are_removed() -> None:
    title = "evil \u202egnp.exe\u202c and \u2066isolate\u2069"
    text = render_alert(english_view(title=title, sources=(SourceLink("a\u202eb", None),)), "en")
    assert "\u202e" not in text
    assert "\u202c" not in text
    assert "<b>evil gnp.exe and isolate</b>" in text
    assert_well_formed(text)


# --- Hostile input ---------------------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script> & "><b>bold</b> &amp; <a href="javascript:x">'


def test_hostile_html_is_escaped_everywhere() -> None:
    view = english_view(
        title=HOSTILE,
        summary=(HOSTILE, "Second & <i>sentence</i>."),
        casualties=Casualties(3, None, "<b>source</b> & co"),
        places=(PlaceView("x", "<b>town</b>", "<i>بلدة</i>", "Idlib", "<u>district</u>", 2, None),),
        sources=(
            SourceLink('"><b>outlet</b>', "https://example.test/a?b=1&c=2"),
            SourceLink("JS outlet", "javascript:alert(document.cookie)"),
            SourceLink("Data outlet", "data:text/html,<script>alert(1)</script>"),
            SourceLink("Quote outlet", 'https://example.test/"><b>x</b>'),
            SourceLink("Spaced outlet", "https://example.test/a b"),
            SourceLink("No host", "https:///path"),
            SourceLink("Relative", "/relative/path"),
        ),
    )
    for lang in ("en", "ar"):
        text = render_alert(view, lang)
        hrefs = assert_well_formed(text)
        assert hrefs == ["https://example.test/a?b=1&c=2", 'https://example.test/"><b>x</b>']
        assert "<script>" not in text
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text or "&lt;script&gt;" in text
        assert "javascript" not in text.replace("javascript:x", "")  # only the escaped text mentions it
        assert "data:text" not in text
        assert 'href="https://example.test/&quot;&gt;&lt;b&gt;x&lt;/b&gt;"' in text
        assert "&amp;amp;" in text  # "&amp;" in the input is text, shown as typed
        assert "JS outlet" in text  # the outlet is still named, unlinked


def test_hostile_html_in_lists() -> None:
    view = english_view(title=HOSTILE, summary=(HOSTILE,), sources=(SourceLink(HOSTILE, "javascript:x"),))
    for text in render_event_list([view, view], "en", heading="<b>Latest</b>"):
        assert assert_well_formed(text) == []
        assert "<script>" not in text


def test_overlong_url_is_not_linked() -> None:
    url = "https://example.test/" + "a" * 5000
    text = render_alert(english_view(sources=(SourceLink("Long", url),)), "en")
    assert assert_well_formed(text) == []
    assert_fits(text)


# --- The limit -------------------------------------------------------------------------------------


def test_a_hundred_sources_keep_the_summary() -> None:
    sources = tuple(SourceLink(f"Outlet number {i}", f"https://outlet{i}.test/news/{i}") for i in range(100))
    text = render_alert(english_view(sources=sources), "en", now=NOW)
    assert_fits(text)
    hrefs = assert_well_formed(text)
    assert len(hrefs) == 10
    assert "Reported by 100 outlets: " in text
    assert text.endswith(" and 90 more")
    assert " ".join(ENGLISH_SUMMARY) in text


def test_a_hundred_sources_with_long_names_are_trimmed_to_fit() -> None:
    sources = tuple(SourceLink(f"{'Outlet ' * 12}{i}", f"https://o{i}.test/{'p' * 300}") for i in range(100))
    text = render_alert(english_view(sources=sources), "en", limit=2000)
    assert_fits(text, 2000)
    assert_well_formed(text)
    assert "Reported by 100 outlets: " in text
    assert "more" in text.split("\n")[-1]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_20000_character_summary_sentence_is_cut_at_a_word(lang: str) -> None:
    words = ["كلمة", "طويلة", "جداً", "&", "<b>"]
    sentence = " ".join(words[i % len(words)] for i in range(5000))[:20000]
    text = render_alert(arabic_view(summary=(sentence,)), lang, now=NOW)
    assert_fits(text)
    assert_well_formed(text)
    summary = text.split("\n\n")[1].strip(RLI + PDI)
    assert summary.endswith("…")
    assert summary[-2] != " "
    assert units(text) > MESSAGE_LIMIT - 100  # the budget is used (escaping makes raw the binding limit)
    assert "Reported by 3 outlets" in text or "المصادر (3)" in text


def test_a_20000_character_summary_of_many_sentences_keeps_whole_sentences() -> None:
    sentences = tuple(f"Sentence number {i} says something & more." for i in range(500))
    text = render_alert(english_view(summary=sentences), "en")
    assert_fits(text)
    assert "Sentence number 2 says something &amp; more." in text
    assert "Sentence number 3 " not in text  # three sentences at most


def test_shrinking_order_sentences_then_sources_then_truncation() -> None:
    sentences = tuple(f"Sentence {i}: " + "word " * 50 + "end." for i in range(3))
    sources = tuple(SourceLink(f"Outlet {i}", f"https://o{i}.test/") for i in range(8))
    view = english_view(summary=sentences, sources=sources)
    full = render_alert(view, "en")
    two = render_alert(replace(view, summary=sentences[:2]), "en")
    one = render_alert(replace(view, summary=sentences[:1]), "en")
    assert render_alert(view, "en", limit=visible_length(full) + 500) == full
    # Just too small for three sentences: the third goes, every source stays.
    assert render_alert(view, "en", limit=units(full) - 1) == two
    assert render_alert(view, "en", limit=units(two)) == two
    # Too small for two: one sentence, all sources.
    assert render_alert(view, "en", limit=units(two) - 1) == one
    # Too small for one sentence and all sources: fewer sources, the sentence whole.
    fewer = render_alert(view, "en", limit=units(one) - 1)
    assert sentences[0] in fewer
    assert fewer.endswith(" and 1 more")
    # Smaller still: one source shown, then the sentence is cut.
    tight = render_alert(view, "en", limit=units(one) - 500)
    assert_fits(tight, units(one) - 500)
    assert tight.endswith(" and 7 more")
    assert "…" in tight
    assert_well_formed(tight)


def test_tiny_limit_still_gives_a_well_formed_message() -> None:
    for limit in (120, 200, 300, 400):
        text = render_alert(arabic_view(title="عنوان " * 200), "en", limit=limit)
        assert_fits(text, limit)
        assert_well_formed(text)


def test_random_hostile_views_always_fit_and_are_well_formed() -> None:
    rng = random.Random(20261126)
    alphabet = [*"abc ابت<>&\"'؟،؛.!?\n\t", "&amp;", "<b>", "</i>", "\u202e", "\u2067", "😀", "\u064e"]

    def junk(n: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    for _ in range(40):
        view = english_view(
            title=junk(rng.randint(0, 600)),
            summary=tuple(junk(rng.randint(0, 3000)) for _ in range(rng.randint(0, 5))),
            summary_language=rng.choice(["ar", "en", "", "fr"]),
            casualties=Casualties(rng.choice([None, 0, 3]), rng.choice([None, 7]), junk(rng.randint(0, 50))),
            sources=tuple(
                SourceLink(junk(rng.randint(0, 40)), rng.choice([None, "https://x.test/" + junk(20)]))
                for _ in range(rng.randint(0, 40))
            ),
            version=rng.randint(1, 3),
        )
        limit = rng.choice([300, 1000, MESSAGE_LIMIT])
        for lang in ("ar", "en"):
            text = render_alert(view, lang, now=NOW, limit=limit)
            assert_fits(text, limit)
            assert_well_formed(text)


def test_truncate() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("one two three four", 12) == "one two…"
    assert truncate("abcdefghijkl", 6) == "abcde…"
    assert truncate("جملة طويلة، جداً", 13) == "جملة طويلة…"
    assert truncate("abc", 1) == ""


# --- visible_length and split_html ------------------------------------------------------------------


def test_visible_length_counts_like_telegram() -> None:
    assert visible_length("<b>a&amp;b</b>") == 3
    assert visible_length('<a href="https://x.test/?a=1&amp;b=2">link</a>') == 4
    assert visible_length("😀") == 2  # one code point, two UTF-16 units
    assert visible_length("&#128512;&lt;") == 3
    assert visible_length("مرحبا") == 5
    assert fits("a" * MESSAGE_LIMIT)
    assert not fits("a" * (MESSAGE_LIMIT + 1))
    assert not fits("<b>" + "a" * (MESSAGE_LIMIT - 3) + "</b>")  # the raw HTML counts too


def test_split_short_text_is_one_part() -> None:
    assert split_html("<b>hello</b>") == ["<b>hello</b>"]
    assert split_html("") == []


def test_split_arabic_text_at_question_marks_and_commas() -> None:
    clauses = [f"هل سقطت القذيفة رقم {i} على الحي الشرقي من المدينة؟" for i in range(40)]
    clauses += [f"وقال الشاهد رقم {i} إن القصف استمر ساعات، " for i in range(40)]
    text = " ".join(clauses)
    parts = split_html(text, 500)
    assert len(parts) > 3
    for part in parts:
        assert_fits(part, 500)
        assert_well_formed(part)
        assert not part.startswith(" ")
    for part in parts[:-1]:
        assert part[-1] in "؟،"
    assert " ".join(parts).split() == text.split()


def test_split_prefers_paragraphs_then_sentences() -> None:
    paragraph = "First sentence here. Second sentence follows! Third one? Fourth."
    text = "\n\n".join([paragraph] * 20)
    parts = split_html(text, 300)
    for part in parts:
        assert_fits(part, 300)
        assert part.endswith("Fourth.")
        assert part.startswith("First")


def test_split_closes_and_reopens_tags_and_isolates() -> None:
    inner = " ".join(f"word{i}." for i in range(300))
    text = f'<b>bold <a href="https://x.test/?a=1&amp;b=2">{RLI}{inner}{PDI}</a> tail</b>'
    parts = split_html(text, 400)
    assert len(parts) > 3
    for part in parts:
        assert_fits(part, 400)
        assert_well_formed(part)
    assert parts[1].startswith(f'<b><a href="https://x.test/?a=1&amp;b=2">{RLI}')
    assert parts[0].endswith(f"{PDI}</a></b>")
    assert parts[-1].endswith(" tail</b>")
    joined = " ".join(text_without_tags(part) for part in parts)
    assert joined.replace(RLI, "").replace(PDI, "").split() == (
        text_without_tags(text).replace(RLI, "").replace(PDI, "").split()
    )


def test_split_never_cuts_an_entity_or_leaves_empty_tags() -> None:
    text = "&amp;&lt;&gt;&quot;" * 500 + "<i>" + "x" * 1000 + "</i>"
    parts = split_html(text, 100)
    for part in parts:
        assert_fits(part, 100)
        assert_well_formed(part)
        assert "<i></i>" not in part
    assert "".join(text_without_tags(part) for part in parts) == text_without_tags(text)


def test_split_keeps_combining_marks_with_their_letter() -> None:
    text = "بَ" * 3000  # no spaces: hard cuts, never before the fatha
    for part in split_html(text, 999):
        assert part[0] == "ب"
        assert_fits(part, 999)


def test_split_refuses_markup_that_cannot_fit() -> None:
    text = f'<a href="https://x.test/{"a" * 200}">text text text</a>'
    with pytest.raises(ValueError, match="markup alone"):
        split_html(text, 100)


# --- Event lists -----------------------------------------------------------------------------------


def test_event_list_entry() -> None:
    view = english_view(places=(MAYADIN, BUKAMAL))
    [text] = render_event_list([view], "en", heading="<b>Latest events</b>", distances_km=[12.34], now=NOW)
    assert_well_formed(text)
    assert text.split("\n") == [
        "<b>Latest events</b>",
        "",
        "<b>1. Air/drone strike</b> · Deir ez-Zor › Al-Mayadin (approximate) +1 more place · 12 km",
        "2026-11-26 08:40 UTC · 2 h ago · killed 15 · injured 6",
        f'{ENGLISH_SUMMARY[0]} <a href="https://www.enabbaladi.net/archives/1">{RLI}عنب بلدي{PDI}</a> (+2)',
    ]


def test_event_list_in_arabic_with_an_unlinkable_first_source() -> None:
    view = arabic_view(sources=(SourceLink("بلا رابط", None), SourceLink("Reuters", "https://r.test/1")))
    [text] = render_event_list([view], "ar", heading="<b>أحدث الأحداث</b>", distances_km=[3.21])
    assert_well_formed(text)
    assert "<b>1. غارة جوية/بطائرة مسيّرة</b> · دير الزور › البوكمال · 3.2 كم" in text
    assert f'<a href="https://r.test/1">{LRI}Reuters{PDI}</a> (+1)' in text


def test_event_list_without_summary_shows_the_title() -> None:
    [text] = render_event_list([english_view(summary=())], "en", heading="<b>H</b>")
    assert text.split("\n")[-1].startswith("Air strikes hit Al-Bukamal <a")


def test_event_list_splits_between_entries() -> None:
    views = [
        english_view(event_id=i, summary=(f"Event {i} " + "detail " * 40 + "end.",), version=1 + i % 2)
        for i in range(30)
    ]
    messages = render_event_list(views, "en", heading="<b>Latest events</b>", limit_chars=1200)
    assert len(messages) > 3
    assert messages[0].startswith("<b>Latest events</b>\n\n<b>1. ")
    numbers = []
    for message in messages:
        assert_fits(message, 1200)
        assert_well_formed(message)
        entries = [e for e in message.split("\n\n") if e.startswith("<b>") and ". " in e[:8]]
        for entry in entries:
            assert entry.count("\n") == 2  # every entry whole: its three lines
            numbers.append(int(entry[3:].split(".")[0]))
    assert numbers == list(range(1, 31))


def test_event_list_entry_too_long_for_a_message_is_split() -> None:
    view = english_view(places=(replace(BUKAMAL, name_en="Town " * 40),))
    messages = render_event_list([view], "en", heading="<b>H</b>", limit_chars=150)
    assert len(messages) > 1
    for message in messages:
        assert_fits(message, 150)
        assert_well_formed(message)


def test_event_list_empty_and_bad_distances() -> None:
    assert render_event_list([], "en", heading="<b>Latest</b>") == ["<b>Latest</b>\n\nNo events to show."]
    assert render_event_list([], "ar", heading="<b>H</b>") == ["<b>H</b>\n\nلا أحداث لعرضها."]
    with pytest.raises(ValueError, match="2 distances for 1 events"):
        render_event_list([english_view()], "en", heading="h", distances_km=[1.0, 2.0])


# --- Purity ----------------------------------------------------------------------------------------


def test_render_and_i18n_load_no_io_module() -> None:
    code = "import json, sys, bot.render, bot.i18n; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded = {name.partition(".")[0] for name in json.loads(result.stdout)}
    assert not loaded & {"telegram", "httpx", "sqlalchemy", "apscheduler", "asyncio"}
