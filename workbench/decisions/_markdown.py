"""Escaping of text that comes from data (candidate ids, rationale, names) for Markdown output.

Text is escaped so that, rendered by any CommonMark/GFM renderer (raw HTML allowed or not), it
shows literally: ``&``, ``<`` and ``>`` become HTML entities, Markdown punctuation gets a
backslash, and line breaks inside an inline value become spaces, so a value can never start a
heading, a list, a table row, a code block or raw HTML. Values of the YAML front matter are
written by :func:`yaml_value`, one line each whatever they contain.
"""

from __future__ import annotations

import json
import re

__all__ = ["md_escape", "md_paragraphs", "md_code", "yaml_value", "yaml_date", "yaml_comment"]

_PUNCT = re.compile(r"([\\`*_\[\]{}|~#!$])")
_LEADING = re.compile(r"^(\s*)([-+=>]|\d+[.)])(?=\s|$)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Characters YAML does not allow raw in a document, or reads as line breaks (NEL, U+2028, U+2029).
_YAML_RAW_UNSAFE = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


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
    return _LEADING.sub(
        lambda m: (
            m.group(1) + "\\" + m.group(2)
            if m.group(2)[0] in "-+="
            else m.group(1) + (m.group(2)[:-1] + "\\" + m.group(2)[-1])
        ),
        s,
    )


def md_paragraphs(text: object) -> str:
    """Multi-paragraph text (blank-line separated), each paragraph escaped with :func:`md_escape`."""
    paras = [p.strip() for p in re.split(r"\n\s*\n", str(text).replace("\r\n", "\n")) if p.strip()]
    return "\n\n".join(md_escape(p) for p in paras)


def md_code(text: object) -> str:
    """An inline code span for a command line; backticks inside are replaced by quotes."""
    s = " ".join(str(text).splitlines()).replace("`", "'")
    return f"`{s}`"


def yaml_value(value: object) -> str:
    """A string or list of strings as ONE line of YAML (a JSON scalar or flow sequence), which
    ``yaml.safe_load`` reads back exactly: newlines, colons, quotes, ``---`` and ``#`` stay inside
    the value, and characters YAML reads as line breaks or forbids are written as escapes.

    >>> yaml_value(["Ana: lead", "ops\\n---"])
    '["Ana: lead", "ops\\\\n---"]'
    >>> yaml_value("a\\u2028b")
    '"a\\\\u2028b"'
    """
    text = json.dumps(value, ensure_ascii=False)
    return _YAML_RAW_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def yaml_date(timestamp: object) -> str:
    """The date of an ISO timestamp for the front matter: ``2026-01-31`` as is (a YAML date, as MADR
    writes it), anything else quoted by :func:`yaml_value`.

    >>> yaml_date("2026-01-31T10:00:00Z")
    '2026-01-31'
    >>> yaml_date("2026\\nst: x")
    '"2026\\\\nst: x"'
    """
    day = str(timestamp)[:10]
    return day if _DATE.fullmatch(day) else yaml_value(day)


def yaml_comment(text: object) -> str:
    """Text for one ``# ...`` YAML comment line: every line break (``\\n``, ``\\r``, NEL, U+2028,
    U+2029...) becomes a space and characters YAML forbids are written as escapes.

    >>> yaml_comment("a\\u2028groups: x\\rb")
    'a groups: x b'
    """
    return _YAML_RAW_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", " ".join(str(text).splitlines()))
