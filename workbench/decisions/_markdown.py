"""Escaping of text that comes from data (candidate ids, rationale, names) for Markdown output.

Text is escaped so that, rendered by any CommonMark/GFM renderer (raw HTML allowed or not), it
shows literally: ``&``, ``<`` and ``>`` become HTML entities, Markdown punctuation gets a
backslash, and line breaks inside an inline value become spaces, so a value can never start a
heading, a list, a table row, a code block or raw HTML.
"""

from __future__ import annotations

import re

__all__ = ["md_escape", "md_paragraphs", "md_code"]

_PUNCT = re.compile(r"([\\`*_\[\]{}|~#!$])")
_LEADING = re.compile(r"^(\s*)([-+=>]|\d+[.)])(?=\s|$)")


def md_escape(text: object) -> str:
    """One inline Markdown-safe line showing ``text`` literally.

    >>> md_escape("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    >>> md_escape("a|b *c* [x](y)")
    'a\\\\|b \\\\*c\\\\* \\\\[x\\\\](y)'
    >>> md_escape("# not a heading\\n- nor a list")
    '\\\\# not a heading - nor a list'
    """
    s = " ".join(str(text).splitlines()).replace("\r", " ")
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _PUNCT.sub(r"\\\1", s)
    return _LEADING.sub(lambda m: m.group(1) + "\\" + m.group(2) if m.group(2)[0] in "-+=" else
                        m.group(1) + (m.group(2)[:-1] + "\\" + m.group(2)[-1]), s)


def md_paragraphs(text: object) -> str:
    """Multi-paragraph text (blank-line separated), each paragraph escaped with :func:`md_escape`."""
    paras = [p.strip() for p in re.split(r"\n\s*\n", str(text).replace("\r\n", "\n")) if p.strip()]
    return "\n\n".join(md_escape(p) for p in paras)


def md_code(text: object) -> str:
    """An inline code span for a command line; backticks inside are replaced by quotes."""
    s = " ".join(str(text).splitlines()).replace("`", "'")
    return f"`{s}`"
