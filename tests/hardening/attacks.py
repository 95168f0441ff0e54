"""A corpus of hostile strings, grouped by the sink they target.

Every string here is pushed through every sink where text from data or parameters can arrive
(``test_hostile_*.py``); each try is counted with :func:`tests.hardening._tally.attack`. The groups
overlap on purpose: an HTML payload is also tried as a file name, a SQL value and a notebook
parameter, because the sinks do not know where a string came from.
"""

from __future__ import annotations

#: Marker the HTML payloads try to set or show; a real browser run checks it is never set.
SENTINEL = "__pwned"

#: HTML / JavaScript injection (memo, tooltips, widgets).
HTML = [
    "<script>alert(1)</script>",
    f"<script>window.{SENTINEL}=1</script>",
    f'"><img src=x onerror="window.{SENTINEL}=1;alert(1)">',
    f"'><svg onload=window.{SENTINEL}=1>",
    f"<img src=x onerror=window.{SENTINEL}=1>",
    f"javascript:window.{SENTINEL}=1",
    f'<a href="javascript:window.{SENTINEL}=1">click</a>',
    f"</script><script>window.{SENTINEL}=1</script>",
    "<!--<script>",
    f'</textarea><iframe src="javascript:window.parent.{SENTINEL}=1"></iframe>',
    f"<details open ontoggle=window.{SENTINEL}=1>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "\u2028\u2029</script>",
    f'<style>@import "javascript:window.{SENTINEL}=1"</style>',
    f'x" onmouseover="window.{SENTINEL}=1',
]

#: Template languages (jinja2 in the memo, ``${...}`` in JS template strings / shells).
TEMPLATE = [
    "{{ 7*7 }}",
    "{% for x in range(3) %}{{ x }}{% endfor %}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "${7*7}",
    "${alert(1)}",
    "#{7*7}",
    "{{ $labels.instance }}",
    '{{ printf "%s" $value }}',
]

#: Vega expression syntax, field-path syntax and quoting (field names, titles, expressions).
VEGA = [
    "datum.x",
    "a.b",
    "a[0]",
    "a['b']",
    'a["b"]',
    "a\\.b",
    "it's",
    'say "hi"',
    "'+alert(1)+'",
    '"+alert(1)+"',
    f"')+(window.{SENTINEL}=1)+('",
    "x]; alert(1); [",
    "eval('alert(1)')",
]

#: Markdown and raw HTML in MADR.
MARKDOWN = [
    f"[click](javascript:window.{SENTINEL}=1)",
    "![x](https://evil.example/x.png)",
    "<iframe src=https://evil.example></iframe>",
    "# not a heading",
    "- not a list",
    "| not | a | table |",
    "```\ncode\n```",
    "line one\n\n<script>alert(1)</script>",
    "<https://evil.example>",
    "*emph* _emph_ `code` ~~strike~~",
    "Ana: lead\nstatus: rejected",
    "Ana\n---\nstatus: rejected\n---",
    "[x]: javascript:alert(1)",
    "&#106;avascript:alert(1)",
]

#: YAML with tags that would run code under an unsafe loader.
YAML_DOCS = [
    '!!python/object/apply:os.system ["touch PWNED"]',
    "!!python/object/apply:subprocess.check_output [[touch, PWNED]]",
    "!!python/name:os.system",
    "objectives: !!python/object/apply:os.system ['touch PWNED']",
    "objectives:\n  - name: !!python/object/new:os.system [touch PWNED]\n    direction: min\n",
]

#: Python code injections for papermill parameters (the value must stay one string).
PYTHON = [
    "\"; import os; os.system('touch PWNED') #",
    "'; import os; os.system('touch PWNED') #",
    "'''; import os; os.system('touch PWNED') #",
    '"""; import os; os.system(\'touch PWNED\') #',
    "\nimport os; os.system('touch PWNED')\n",
    "\\",
    "\\\"; import os; os.system('touch PWNED') #",
    "x\u2028import os; os.system('touch PWNED')",
    "x\u2029import os\u0085os.system('touch PWNED')",
    "x\r\nimport os; os.system('touch PWNED')",
    "__import__('os').system('touch PWNED')",
    'f\'{__import__("os").system("touch PWNED")}\'',
    "\x00",
]

#: Path traversal (anything that could end up in a file name).
PATHS = [
    "../../x",
    "../x",
    "..",
    "/etc/passwd",
    "/tmp/x",
    "..\\..\\x",
    "C:\\x",
    "x\x00.json",
    "./../x",
    "x/../../y",
    "~/x",
]

#: SQL injection (values, identifiers, filter strings).
SQL = [
    "'; DROP TABLE decisions; --",
    '" OR 1=1 --',
    "' OR '1'='1",
    "x'); DELETE FROM evaluations; --",
    'a"; DROP TABLE x; --',
    "\\'; DROP TABLE decisions; --",
    "`id` = 1 OR 1 = 1",
    "name = 'x' OR name LIKE '%'",
]

#: Prometheus rule templates / YAML rule files.
PROMETHEUS = [
    "{{ $labels.instance }}",
    '{{ printf "%s" $value }}',
    "x\n- alert: Injected\n  expr: vector(1)",
    'x"} or vector(1) or foo{a="',
    "x: y\nlabels:\n  severity: page",
]

#: CSV formula injection (spreadsheets evaluate these).
CSV = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("https://evil.example","x")',
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]

#: Console markup (rich) and terminal escape sequences (CLI tables and messages).
TERMINAL = [
    "[/]",
    "[bold red]boom[/]",
    "[link=https://evil.example]click[/link]",
    "[/nope]",
    "\x1b[31mred\x1b[0m",
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "\x1b[2J\x1b[H",
]

#: Every string once, in a stable order (for sinks that take any text).
ALL = list(dict.fromkeys(HTML + TEMPLATE + VEGA + MARKDOWN + PYTHON + PATHS + SQL + PROMETHEUS + CSV + TERMINAL))

#: Strings usable as names that must stay on one line (ids, objective names): no NUL.
NAMES = [s for s in ALL if "\x00" not in s]
