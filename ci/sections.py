"""The handbook's sections in the book's order, for the conformance page, the Markdown and the docs.

A claim's section is "chapter / sub-section / sub-sub-section" with the book's own headings:
`三、TensorFlow模型建立与训练 / （六）Keras Pipeline / 1. Keras Sequential与Functional API模式建立模型`.
The catalogue's file and claim order is not the book's (三（三）2, （六） and （七） live in a file that
sorts before 三（四）), so the order is derived from the section strings:

- with the book at hand (`../shared/handbook.md`, or `$HANDBOOK_SPEC_BOOK`): by the position of each
  part in the book: a heading (`#`, `##`, `###`, outside code blocks) under the part before it, or,
  for chapter 一's parts that are no heading, the sentence of the book that opens them
  (`PROSE_PARTS`);
- without it (GitHub's runners have no copy): from the numbering (一 二 三 四, （一）（二）…, 1. 2. …)
  and `PROSE_PARTS`' order, which spec/meta/test_sections.py checks against the book.

A section that matches no heading is a SectionError naming it, never a silently misplaced group.
Pure Python, no TensorFlow.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BOOK = ROOT.parent / "shared" / "handbook.md"
SEPARATOR = " / "
CHAPTER_NUMERALS = "一二三四五六七八九十"
SUB_NUMERAL = re.compile(r"^（([一二三四五六七八九十]+)）")
SUBSUB_NUMERAL = re.compile(r"^(\d+)\.\s")

# The book's chapters (its level-1 headings; spec/meta/test_sections.py checks them against the book).
CHAPTERS = ("一、TensorFlow概述", "二、TensorFlow基础", "三、TensorFlow模型建立与训练", "四、TensorFlow常用模块")

# Chapter 一's parts that are no heading of the book, in the book's order, each with the text that
# opens it there: the feature list's items, then the installation paragraphs and the check.
PROSE_PARTS = {
    "特性：数据的处理": "- 数据的处理：",
    "特性：模型的建立与调试": "- 模型的建立与调试：",
    "特性：模型的训练": "- 模型的训练：",
    "特性：模型的导出": "- 模型的导出：",
    "特性：服务器部署": "- 服务器部署：",
    "特性：移动端和嵌入式设备部署": "- 移动端和嵌入式设备部署：",
    "特性：网页端部署": "- 网页端部署：",
    "安装": "从TensorFlow 2.1开始，在使用Python的pip安装tensorflow时",
    "安装验证": "安装TensorFlow 2.x后，可使用如下测试代码验证是否安装成功",
}


class SectionError(ValueError):
    """A section string that matches no part of the book."""


def book_path() -> Path:
    return Path(os.environ.get("HANDBOOK_SPEC_BOOK") or DEFAULT_BOOK)


def _numeral(text: str) -> int:
    """一 -> 1 ... 十 -> 10, 十一 -> 11 (enough for a handbook)."""
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + CHAPTER_NUMERALS.index(text[1]) + 1
    return CHAPTER_NUMERALS.index(text[0]) + 1


def split(section: str) -> list[str]:
    return [part.strip() for part in section.split("/") if part.strip()]


def _numbering_part(part: str, depth: int, section: str) -> tuple:
    if depth == 0:
        if part not in CHAPTERS:
            raise SectionError(f"section {section!r}: {part!r} is not a chapter heading of the book "
                               f"({', '.join(CHAPTERS)})")
        return (CHAPTERS.index(part),)
    if part in PROSE_PARTS:
        return (0, list(PROSE_PARTS).index(part))
    match = SUB_NUMERAL.match(part) if depth == 1 else SUBSUB_NUMERAL.match(part)
    if match is None:
        raise SectionError(f"section {section!r}: {part!r} matches no heading of the book")
    return (1, _numeral(match.group(1)) if depth == 1 else int(match.group(1)))


def numbering_key(section: str) -> tuple:
    """The section's place from its numbering alone (used where the book is not at hand)."""
    parts = split(section)
    if not parts:
        raise SectionError(f"section {section!r} is empty")
    return tuple(_numbering_part(part, depth, section) for depth, part in enumerate(parts))


@lru_cache(maxsize=4)
def book_outline(text: str) -> tuple[tuple[int, str, int], ...]:
    """(level, heading text, character offset) of every Markdown heading outside code blocks."""
    headings, offset, fenced = [], 0, False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"^(#{1,6})\s+(.*\S)\s*$", line)):
            headings.append((len(match.group(1)), match.group(2).strip(), offset))
        offset += len(line)
    return tuple(headings)


def book_key(section: str, text: str) -> tuple[int, ...]:
    """The section's place in the book: the offsets of its parts, each looked up under the one before."""
    outline = book_outline(text)
    parts = split(section)
    if not parts:
        raise SectionError(f"section {section!r} is empty")
    key: list[int] = []
    start, end = 0, len(text)
    for depth, part in enumerate(parts):
        level = depth + 1
        found = None
        for n, (lvl, title, offset) in enumerate(outline):
            if lvl == level and title == part and start <= offset < end:
                found = offset
                # The part ends where the next heading of its level or above begins.
                end = next((o for lv, _, o in outline[n + 1:] if lv <= level), end)
                break
        if found is None and depth > 0 and part in PROSE_PARTS:
            position = text.find(PROSE_PARTS[part], start, end)
            if position >= 0:
                found = position  # a prose part has no end of its own but its chapter's
        if found is None:
            where = f" under {SEPARATOR.join(parts[:depth])!r}" if depth else ""
            raise SectionError(f"section {section!r}: {part!r} matches no heading of the book{where}")
        start = found
        key.append(found)
    return tuple(key)


def _read_book(book: Path | None) -> str | None:
    path = book if book is not None else book_path()
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        if book is not None:
            raise SectionError(f"{book}: cannot read the book")
        return None


def section_order(sections, book: Path | None = None) -> list[str]:
    """The distinct sections in the book's order: by their place in the book when it is at hand
    (`book`, else `book_path()` if it exists), else by their numbering. SectionError on a section
    that matches no heading."""
    distinct = list(dict.fromkeys(sections))
    text = _read_book(book)
    if text is not None:
        keys = {s: book_key(s, text) for s in distinct}
    else:
        keys = {s: numbering_key(s) for s in distinct}
    return sorted(distinct, key=lambda s: keys[s])


def catalogue_sections() -> list[str]:
    """The claim catalogue's sections, in the book's order."""
    from fixtures.catalogue import load_catalogue

    return section_order(claim.section for claim in load_catalogue().values())


def chapter(section: str) -> str:
    return split(section)[0]


def depth(section: str) -> int:
    return len(split(section)) - 1


def last_part(section: str) -> str:
    return split(section)[-1]
