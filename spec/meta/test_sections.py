"""The handbook's sections in the book's order (ci.sections): from the book's headings when the book
is at hand, from the numbering otherwise; both agree, and a section that matches no heading fails."""
from __future__ import annotations

import pytest

from ci import sections
from fixtures.catalogue import load_catalogue

pytestmark = pytest.mark.meta


@pytest.fixture(scope="module")
def catalogue_sections():
    return [claim.section for claim in load_catalogue().values()]


@pytest.fixture(scope="module")
def book():
    path = sections.book_path()
    if not path.is_file():
        pytest.skip(f"the handbook is not at {path} (set HANDBOOK_SPEC_BOOK): only the numbering order is checked")
    return path


def test_the_book_order_is_not_the_catalogue_files_order(catalogue_sections):
    ordered = sections.section_order(catalogue_sections)
    files = list(dict.fromkeys(catalogue_sections))
    assert ordered != files
    index = ordered.index
    assert index("三、TensorFlow模型建立与训练 / （一）层与模型") < index(
        "三、TensorFlow模型建立与训练 / （三）卷积神经网络 / 2. 使用Keras中预定义的卷积神经网络结构") < index(
        "三、TensorFlow模型建立与训练 / （四）循环神经网络") < index("三、TensorFlow模型建立与训练 / （六）Keras Pipeline / "
                                                     "1. Keras Sequential与Functional API模式建立模型")
    chapters = [s.split(" / ")[0][0] for s in ordered]
    assert chapters == sorted(chapters, key="一二三四".index), "一 → 四, each chapter in one block"


def test_every_catalogue_section_is_found_in_the_book_in_the_numbering_order(book, catalogue_sections):
    text = book.read_text(encoding="utf-8")
    distinct = list(dict.fromkeys(catalogue_sections))
    by_book = sorted(distinct, key=lambda s: sections.book_key(s, text))
    by_numbering = sorted(distinct, key=sections.numbering_key)
    assert by_book == by_numbering, "PROSE_PARTS or the numbering disagree with the book"
    assert sections.section_order(distinct, book) == by_book


def test_chapter_one_follows_the_book_feature_list_then_installation(catalogue_sections):
    ordered = [s for s in sections.section_order(catalogue_sections) if s.startswith("一、")]
    assert ordered[0] == "一、TensorFlow概述"
    assert ordered[1] == "一、TensorFlow概述 / 特性：数据的处理"
    assert ordered[-2:] == ["一、TensorFlow概述 / 安装", "一、TensorFlow概述 / 安装验证"]


@pytest.mark.parametrize("section", [
    "二、TensorFlow基础 / （九）没有这一节",
    "九、Nowhere",
    "三、TensorFlow模型建立与训练 / 示例：多层感知器",
    "TensorFlow基础",
])
def test_a_section_that_matches_no_heading_fails_loudly(section, tmp_path):
    with pytest.raises(sections.SectionError, match="matches no heading|not a chapter heading"):
        sections.section_order([section], _book_of(tmp_path))
    if "（九）" not in section:  # the numbering alone cannot know which numbered sub-sections exist
        with pytest.raises(sections.SectionError, match="matches no heading|not a chapter heading"):
            sections.numbering_key(section)


def test_the_chapters_are_the_books_level_one_headings(book):
    outline = sections.book_outline(book.read_text(encoding="utf-8"))
    assert tuple(title for level, title, _ in outline if level == 1) == sections.CHAPTERS


def _book_of(tmp_path):
    path = tmp_path / "book.md"
    path.write_text("# 一、TensorFlow概述\n\ntext\n\n# 二、TensorFlow基础\n\n## （一）张量与运算\n\n```python\n"
                    "# （九）没有这一节 (a comment in code, not a heading)\n```\n", encoding="utf-8")
    return path


def test_headings_inside_code_blocks_do_not_count(tmp_path):
    book = _book_of(tmp_path)
    text = book.read_text(encoding="utf-8")
    assert [t for _, t, _ in sections.book_outline(text)] == ["一、TensorFlow概述", "二、TensorFlow基础", "（一）张量与运算"]
    assert sections.section_order(["二、TensorFlow基础 / （一）张量与运算", "一、TensorFlow概述"], book) == [
        "一、TensorFlow概述", "二、TensorFlow基础 / （一）张量与运算"]
