"""No pickle, eval, exec, unsafe YAML or shell of user data anywhere in ``workbench`` and ``widgets``.

Walks the AST of every module and fails on a call that can run code or a shell from data
(``pickle.load(s)``, ``eval``, ``exec``, ``yaml.load`` without a safe loader, ``yaml.unsafe_load``,
``subprocess`` with ``shell=True``, ``os.system``/``os.popen``, ``marshal``, ``dill``,
``cloudpickle.load(s)``, ``pd.read_pickle``, ``np.load(allow_pickle=True)``, ``torch.load``, ...),
except the uses listed in :data:`ALLOWED`, each with the reason it does not touch user data.
Then the YAML readers are fed documents with ``!!python/...`` tags: a clear WorkbenchError (or
the CLI's usage error), nothing executed.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.hardening import _tally, attacks

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("workbench", "widgets")
AREA = "hostile_unsafe_calls"

#: Dotted call names that run code or a shell, or unpickle.
FORBIDDEN = {
    "eval",
    "exec",
    "compile",
    "__import__",
    "pickle.load",
    "pickle.loads",
    "pickle.Unpickler",
    "_pickle.load",
    "_pickle.loads",
    "cloudpickle.load",
    "cloudpickle.loads",
    "dill.load",
    "dill.loads",
    "marshal.load",
    "marshal.loads",
    "shelve.open",
    "joblib.load",
    "pd.read_pickle",
    "pandas.read_pickle",
    "torch.load",
    "yaml.unsafe_load",
    "yaml.full_load",
    "yaml.load_all",
    "yaml.unsafe_load_all",
    "os.system",
    "os.popen",
    "os.execv",
    "os.execve",
    "os.execvp",
    "os.spawnl",
    "os.spawnv",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
}
#: Calls that are unsafe only with some arguments.
SUBPROCESS = {
    "subprocess.run",
    "subprocess.Popen",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
}

#: (module path, dotted call) -> why it is not user data. Keep this list short and explained.
ALLOWED = {
    # The search ships the user's own evaluation function (``--evaluate file.py:fn``, code the user
    # wrote and asked to run) to Dask workers by value; the bytes are produced by this process, in
    # memory, never read from a file or a store.
    ("workbench/search/evaluate.py", "cloudpickle.loads"),
}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else node.attr
    return ""


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted origin, from the module's imports (``from pickle import loads as l``)."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def _kw(call: ast.Call, name: str):
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


def _is_true(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def unsafe_calls(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    alias = _aliases(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        if not name:
            continue
        head, _, rest = name.partition(".")
        full = alias.get(head, head) + (f".{rest}" if rest else "")
        full = full.replace("numpy.", "np.").replace("pandas.", "pd.")
        if full in FORBIDDEN or name in FORBIDDEN:
            found.append((node.lineno, full))
        elif full == "yaml.load":
            loader = _kw(node, "Loader") or (node.args[1] if len(node.args) > 1 else None)
            if loader is None or "Safe" not in _dotted(loader):
                found.append((node.lineno, "yaml.load without SafeLoader"))
        elif full in SUBPROCESS and _is_true(_kw(node, "shell")):
            found.append((node.lineno, f"{full}(shell=True)"))
        elif full == "np.load" and _is_true(_kw(node, "allow_pickle")):
            found.append((node.lineno, "np.load(allow_pickle=True)"))
    return found


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_the_checker_finds_what_it_looks_for(tmp_path):
    src = tmp_path / "bad.py"
    src.write_text(
        "import pickle, yaml, subprocess as sp, os\nfrom pickle import loads as l\nimport numpy as np\n"
        "pickle.load(f); l(b); eval('1'); exec('x'); yaml.load(t); yaml.load(t, Loader=yaml.Loader)\n"
        "yaml.load(t, Loader=yaml.SafeLoader); sp.run('ls', shell=True); sp.run(['ls'])\n"
        "os.system('x'); np.load(f, allow_pickle=True); np.load(f)\n"
    )
    assert [n for _, n in unsafe_calls(src)] == [
        "pickle.load",
        "pickle.loads",
        "eval",
        "exec",
        "yaml.load without SafeLoader",
        "yaml.load without SafeLoader",
        "subprocess.run(shell=True)",
        "os.system",
        "np.load(allow_pickle=True)",
    ]


def test_no_module_unpickles_evaluates_or_shells_out():
    found, used = [], set()
    modules = _modules()
    assert len(modules) > 40
    for path in modules:
        rel = path.relative_to(ROOT).as_posix()
        for line, call in unsafe_calls(path):
            if (rel, call) in ALLOWED:
                used.add((rel, call))
            else:
                found.append(f"{rel}:{line}: {call}")
    assert found == [], "unsafe calls:\n" + "\n".join(found)
    assert used == ALLOWED, f"stale allow-list entries: {ALLOWED - used}"


# --- YAML with python tags ---------------------------------------------------------------------------


def _readers(tmp_path):
    from workbench import QualityModel
    from workbench.search import Space

    def file_of(text):
        p = tmp_path / "doc.yaml"
        p.write_text(text, encoding="utf-8")
        return p

    def cli_review_params(text):
        from typer.testing import CliRunner

        from workbench.cli import app

        result = CliRunner().invoke(
            app, ["review", "trade_off_review", "-f", str(file_of(text)), "-o", str(tmp_path / "out")]
        )
        return result

    return {
        "QualityModel.from_yaml (text)": lambda t: QualityModel.from_yaml(t + "\n"),
        "QualityModel.from_yaml (file)": lambda t: QualityModel.from_yaml(file_of(t)),
        "Space.from_yaml (text)": lambda t: Space.from_yaml(t + "\n"),
        "Space.from_yaml (file)": lambda t: Space.from_yaml(file_of(t)),
        "workbench review -f params.yaml": cli_review_params,
    }


def test_yaml_with_python_tags_is_refused_and_runs_nothing(tmp_path, monkeypatch):
    from workbench.errors import WorkbenchError

    monkeypatch.chdir(tmp_path)
    for sink, read in _readers(tmp_path).items():
        for doc in attacks.YAML_DOCS:
            try:
                result = read(doc)
            except WorkbenchError as exc:
                result = exc
            ran = (tmp_path / "PWNED").exists()
            if sink.startswith("workbench review"):
                refused = result.exit_code == 2 and "python/" in result.output
            else:
                refused = isinstance(result, WorkbenchError) and len(str(result)) > 15
            _tally.assert_blocked(AREA, doc, ran or not refused, sink)
