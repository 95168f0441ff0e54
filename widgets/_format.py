"""Text formatting shared by the widgets: escaping and compact numbers (no Jupyter import)."""

from __future__ import annotations

import html
from typing import Any

__all__ = ["escape", "format_share", "format_value"]


def escape(value: Any) -> str:
    """HTML-escape any value's text (ids, column names and units come from user data).

    >>> escape("<b>&")
    '&lt;b&gt;&amp;'
    """
    return html.escape(str(value), quote=True)


def format_value(value: Any, unit: str | None = None) -> str:
    """A table cell through :func:`workbench.format.format_value` (with the unit when given).

    >>> format_value(0.123456), format_value(float("nan")), format_value(True)
    ('0.1235', '–', '✓')
    """
    from workbench.format import format_value as shared

    return shared(value, unit)


def format_share(share: float) -> str:
    """A normalised weight as a percentage, one decimal below 10 %.

    >>> format_share(0.625), format_share(1 / 3), format_share(0.0667)
    ('62 %', '33 %', '6.7 %')
    """
    from workbench.format import format_percent

    return format_percent(share)
