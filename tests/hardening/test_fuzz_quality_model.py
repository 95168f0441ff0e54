"""Fuzzed quality models (YAML text, files, dicts, constructors) and constraint strings.

A quality model is either rejected with a :class:`~workbench.errors.WorkbenchError` that names the
bad value, or accepted; an accepted model round-trips through YAML to an equal model with the same
content hash, and its weights are finite and sum to 1. An accepted constraint re-renders and
re-parses to the same constraint. YAML tags that would build Python objects never execute.
"""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.hardening._tally import assert_invariant, attempt
from workbench.errors import WorkbenchError
from workbench.quality import ATTRIBUTES, METHODS, Constraint, Objective, QualityModel

AREA_MODEL = "quality_model"
AREA_CONSTRAINTS = "constraints"

VALID = {
    "name": "fraud screening",
    "method": "weighted_sum",
    "champion": "v1",
    "objectives": [
        {
            "name": "recall",
            "direction": "max",
            "weight": 2,
            "quality_attribute": "system_accuracy",
            "bounds": {"ideal": 1.0, "nadir": 0.5},
            "constraint": ">= 0.98 * champion",
        },
        {"name": "latency_ms", "direction": "min", "unit": "ms", "tolerance": 1.0, "constraint": "<= 150"},
        {"name": "kwh", "direction": "min", "quality_attribute": "resource_efficiency"},
    ],
    "constraints": ["kwh <= 3"],
    "stakeholders": {"ops": {"latency_ms": 3, "recall": 1}, "green": {"kwh": 1}},
    "reference_point": {"recall": 0.95},
}

ODD_VALUES = [
    None,
    0,
    -1,
    1,
    0.0,
    -0.0,
    float("nan"),
    float("inf"),
    float("-inf"),
    1e308,
    -1e308,
    5e-324,
    10**400,
    -(10**400),
    True,
    False,
    "",
    " ",
    "x",
    "min",
    "max",
    "maximise",
    "nan",
    "1e309",
    "😀",
    "\u202e",
    "a\nb",
    [],
    [1, 2],
    [1, 2, 3],
    {},
    {"ideal": 1},
    {"ideal": 0, "nadir": 0},
    {"ideal": 1, "nadir": 0},
    {"nadir": 1, "ideal": 0},
    {"x": 1},
    "custom:",
    "custom:x",
    "reliability",
    "relability",
    "<= 150",
    ">= 0.98 * champion",
    "== 3",
    ["<= 1", ">= 0"],
    {"a": {"b": "c"}},
    "x" * 5000,
    3.5,
    "weighted_sum",
    "topsis",
    "tchebycheff",
    "asf",
    "weighted-sum",
    2,
    1.0,
]

# A fresh copy per draw: the mutations below must never change (or nest) the shared list's values.
odd_st = st.sampled_from(range(len(ODD_VALUES))).map(lambda i: copy.deepcopy(ODD_VALUES[i]))

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12))
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def _paths(data, prefix=()):
    """Every (path) into a nested dict/list structure."""
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, (*prefix, i))


ALL_PATHS = [p for p in _paths(VALID) if p]
KEYS = sorted(
    {str(p[-1]) for p in ALL_PATHS if isinstance(p[-1], str)}
    | {"constraint", "aggregation", "source", "description", "version", "bogus"}
)


@st.composite
def mutated_model(draw):
    """The valid model with a few values replaced, keys renamed, added or removed, or entries duplicated."""
    data = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        parent = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            action = draw(
                st.sampled_from(["replace", "replace", "replace", "delete", "rename", "add", "duplicate", "random"])
            )
            last = path[-1]
            if action == "replace":
                parent[last] = draw(odd_st)
            elif action == "random":
                parent[last] = draw(json_value)
            elif action == "delete":
                del parent[last]
            elif action == "rename" and isinstance(parent, dict):
                parent[draw(st.sampled_from(KEYS) | st.text(max_size=8))] = parent.pop(last)
            elif action == "add" and isinstance(parent, dict):
                parent[draw(st.sampled_from(KEYS))] = draw(odd_st | json_value)
            elif action == "duplicate" and isinstance(parent, list):
                parent.append(copy.deepcopy(parent[last]))
        except (KeyError, IndexError, TypeError):
            pass
    return data


def _names(data) -> list[str]:
    """Strings a clear rejection is expected to mention: one of the model's keys or values."""
    out = set()
    for p in _paths(data):
        for part in p:
            out.add(repr(part) if isinstance(part, str) else str(part))
            out.add(str(part))
    for p in _paths(data):
        value = data
        for key in p:
            value = value[key]
        if not isinstance(value, (dict, list)):
            out.add(repr(value)[:60])
            out.add(str(value)[:60])
    return sorted(x for x in out if x) + ["objective", "weight", "version", "YAML", "mapping", "name"]


def check_model(qm: QualityModel) -> None:
    text = qm.to_yaml()
    back = QualityModel.from_yaml(text)
    assert_invariant(AREA_MODEL, back == qm, f"YAML round trip changed the model: {text!r}")
    assert_invariant(AREA_MODEL, back.hash == qm.hash, f"YAML round trip changed the hash: {text!r}")
    assert_invariant(
        AREA_MODEL, QualityModel.from_dict(qm.to_dict()).hash == qm.hash, "dict round trip changed the hash"
    )
    w = list(qm.weights.values())
    assert_invariant(
        AREA_MODEL,
        all(math.isfinite(x) and x >= 0 for x in w) and abs(sum(w) - 1) < 1e-9,
        f"normalised weights {qm.weights!r} do not sum to 1",
    )
    for name in qm.stakeholders:
        sw = list(qm.with_weights(name).weights.values())
        assert_invariant(
            AREA_MODEL,
            abs(sum(sw) - 1) < 1e-9 and all(math.isfinite(x) for x in sw),
            f"stakeholder {name!r} weights {sw!r} do not sum to 1",
        )
    for c in qm.constraints:
        assert_invariant(AREA_MODEL, Constraint.parse(str(c)) == c, f"constraint {str(c)!r} does not re-parse")
    assert_invariant(AREA_MODEL, isinstance(repr(qm), str), "repr failed")


@given(data=mutated_model())
def test_fuzz_model_dicts(data):
    qm = attempt(AREA_MODEL, QualityModel.from_dict, data, names=_names(data))
    if not isinstance(qm, WorkbenchError):
        check_model(qm)


@given(data=mutated_model())
def test_fuzz_model_yaml_text_and_file(data):
    try:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, OverflowError, ValueError):
        text = repr(data) + "\n"
    qm = attempt(AREA_MODEL, QualityModel.from_yaml, text, names=_names(data))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "quality.yaml"
        path.write_text(text, encoding="utf-8")
        from_file = attempt(AREA_MODEL, QualityModel.from_yaml, path, names=_names(data))
        assert_invariant(AREA_MODEL, type(from_file) is type(qm), "a file and its text give different outcomes")
    if not isinstance(qm, WorkbenchError):
        check_model(qm)


@given(value=json_value)
def test_fuzz_random_structures(value):
    text = yaml.safe_dump(value, allow_unicode=True) + "\n"
    qm = attempt(
        AREA_MODEL,
        QualityModel.from_yaml,
        text,
        names=["mapping", "objectives", "objective", "Key", "YAML", "version", *_names({"v": value})],
    )
    if not isinstance(qm, WorkbenchError):
        check_model(qm)


name_st = st.text(min_size=1, max_size=12).map(str.strip).filter(lambda t: t and not any(c in t for c in "<>="))
number_st = st.one_of(
    st.floats(-1e150, 1e150), st.integers(-(10**6), 10**6), st.sampled_from([0.1234567, 5e-324, 1e150])
)


@st.composite
def valid_model_st(draw):
    """Models that should all be accepted: odd but legal names, units, numbers and texts."""
    names = draw(st.lists(name_st, min_size=1, max_size=4, unique_by=str.strip))
    objectives = []
    for n in names:
        o = {
            "name": n,
            "direction": draw(st.sampled_from(["min", "max", "minimize", "Maximise", " higher "])),
            "weight": draw(st.one_of(st.floats(0, 1e6), st.integers(0, 10**6))),
        }
        if draw(st.booleans()):
            o["unit"] = draw(st.text(max_size=6))
        if draw(st.booleans()):
            o["quality_attribute"] = draw(st.sampled_from(sorted(ATTRIBUTES)) | name_st.map(lambda t: "custom:" + t))
        if draw(st.booleans()):
            a, b = sorted(draw(st.lists(number_st, min_size=2, max_size=2, unique=True)))
            o["bounds"] = [a, b] if o["direction"].strip().lower().startswith(("min", "lower")) else [b, a]
        if draw(st.booleans()):
            o["tolerance"] = draw(st.floats(0, 1e6))
        if draw(st.booleans()):
            o["description"] = draw(st.text(max_size=30))
        if draw(st.booleans()):
            op = draw(st.sampled_from(["<=", ">=", "<", ">"]))
            rhs = draw(
                st.one_of(
                    number_st.map(repr),
                    st.sampled_from(
                        ["champion", "1.1 * champion", "champion - 3", "'v\"1' + 0.5", '"a b" * 0.1234567']
                    ),
                )
            )
            o["constraint"] = f"{op} {rhs}"
        objectives.append(o)
    if sum(float(o["weight"]) for o in objectives) <= 0:
        objectives[0]["weight"] = 1
    data = {"objectives": objectives, "method": draw(st.sampled_from(METHODS))}
    if draw(st.booleans()):
        data["name"] = draw(st.text(max_size=20))
    if draw(st.booleans()):
        data["description"] = draw(st.text(max_size=40))
    if draw(st.booleans()):
        data["champion"] = draw(st.text(max_size=8) | st.integers())
    if draw(st.booleans()):
        data["stakeholders"] = {draw(st.text(max_size=6)): {names[0]: draw(st.floats(0.001, 1e6))}}
    if draw(st.booleans()):
        data["reference_point"] = {names[-1]: draw(number_st)}
    return data


@given(data=valid_model_st())
def test_fuzz_valid_models_round_trip(data):
    qm = attempt(AREA_MODEL, QualityModel.from_dict, data, names=_names(data))
    if isinstance(qm, WorkbenchError):
        raise AssertionError(f"a legal model was rejected: {qm}")
    check_model(qm)


RAW_YAML = [
    "!!python/object/apply:os.system ['touch {marker}']\n",
    "objectives: !!python/object/apply:os.system ['touch {marker}']\n",
    "objectives:\n  - !!python/object/new:subprocess.Popen [['touch', '{marker}']]\n",
    "!!python/name:os.system\n",
    "a: &a [*a]\nobjectives: *a\n",
    "objectives: &o\n  - {{name: x, direction: min, description: *o}}\n",
    "objectives:\n  - &d {{name: x, direction: min}}\n  - *d\n",
    "objectives: [{{name: x, direction: min}}]\nobjectives: [{{name: y, direction: min}}]\n",
    "---\nobjectives: [{{name: x, direction: min}}]\n---\nobjectives: []\n",
    "\ufeffobjectives: [{{name: x, direction: min}}]\n",
    "objectives: [{{name: x, direction: min, weight: 1e400}}]\n",
    "objectives: [{{name: x, direction: min, weight: .nan}}]\n",
    "objectives: [{{name: x, direction: min, weight: 100000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "000000000000}}]\n",
    "objectives: [{{name: x, direction: min, bounds: [1, 1]}}]\n",
    "objectives: [{{name: x, direction: max, bounds: [0, 1]}}]\n",
    "objectives: [{{name: x, direction: min}}]\nstakeholders: {{ops: {{y: 1}}}}\n",
    "objectives: [{{name: x, direction: min}}]\nstakeholders: [ops]\n",
    "objectives: [{{name: x, direction: min}}]\nreference_point: {{x: abc}}\n",
    "objectives: [{{name: x, direction: min}}]\nconstraints: 5\n",
    "objectives: [{{name: x, direction: min, constraint: 5}}]\n",
    "objectives: {{x: [min]}}\n",
    "objectives: {{x: min}}\n",
    "objectives: [{{name: x, direction: min, description: [1, 2]}}]\n",
    "objectives: [{{name: x, direction: min, unit: {{a: 1}}}}]\n",
    "objectives: [{{name: 'a<b', direction: min, constraint: '<= 3'}}]\n",
    "objectives: [{{name: x, direction: min}}]\nname: [1, 2]\n",
    "objectives: [{{name: x, direction: min}}]\nversion: true\n",
    "objectives: [{{name: x, direction: min}}]\nchampion: {{a: 1}}\n",
    "[1, 2, 3]\n",
    "just text\n",
    "\n",
    "objectives: [{{name: x, direction: min}}]\n" + "# " + "x" * 100_000 + "\n",
]


@given(index=st.integers(0, len(RAW_YAML) - 1))
def test_fuzz_hostile_yaml_never_executes(index):
    with tempfile.TemporaryDirectory() as tmp:
        marker = Path(tmp) / "executed"
        text = RAW_YAML[index].format(marker=marker)
        qm = attempt(
            AREA_MODEL,
            QualityModel.from_yaml,
            text,
            names=[
                "YAML",
                "objective",
                "mapping",
                "weight",
                "x",
                "'x'",
                "bounds",
                "ideal",
                "stakeholder",
                "Stakeholder",
                "reference_point",
                "constraint",
                "Constraint",
                "description",
                "unit",
                "'a<b'",
                "name",
                "version",
                "champion",
                "tag",
                "python",
            ],
        )
        assert_invariant(AREA_MODEL, not marker.exists(), f"YAML {text[:60]!r} executed code")
        if not isinstance(qm, WorkbenchError):
            check_model(qm)


@given(path=st.text(min_size=1, max_size=300).filter(lambda s: "\n" not in s))
def test_fuzz_model_paths(path):
    """A one-line string is a path: a missing, odd or over-long one is a clear 'does not exist'."""
    got = attempt(
        AREA_MODEL,
        QualityModel.from_yaml,
        path,
        names=[repr(path)[:40], path[:40], "does not exist", "quality model", "Quality model"],
    )
    assert isinstance(got, WorkbenchError), f"{path!r} is no quality-model file, yet it loaded"


# --- Python constructors --------------------------------------------------------------------------


@given(
    name=odd_st | st.text(max_size=10),
    direction=odd_st,
    weight=odd_st,
    bounds=odd_st,
    tolerance=odd_st,
    attribute=st.sampled_from([None, *sorted(ATTRIBUTES), *ODD_VALUES[:20]]),
    aggregation=st.sampled_from([None, "p95", "mean", *ODD_VALUES[:10]]),
)
def test_fuzz_objective_constructor(name, direction, weight, bounds, tolerance, attribute, aggregation):
    names = [repr(v)[:40] for v in (name, direction, weight, bounds, tolerance, attribute, aggregation)]
    names += [str(v)[:40] for v in (name, direction, weight, bounds, tolerance, attribute, aggregation)]
    obj = attempt(
        AREA_MODEL,
        Objective,
        name,
        direction,
        weight=weight,
        bounds=bounds,
        tolerance=tolerance,
        quality_attribute=attribute,
        aggregation=aggregation,
        names=names + ["name", "ideal"],
    )
    if isinstance(obj, WorkbenchError):
        return
    assert_invariant(AREA_MODEL, Objective.from_dict(obj.to_dict()) == obj, f"{obj!r} does not round-trip")
    qm = attempt(AREA_MODEL, QualityModel, (obj,), names=names + ["weight", "zero"])
    if not isinstance(qm, WorkbenchError):
        check_model(qm)


@given(
    objectives=st.lists(st.sampled_from(["a", "b", "c", "a "]), min_size=0, max_size=4),
    method=st.sampled_from([*METHODS, *ODD_VALUES[:12]]),
    stakeholders=odd_st
    | st.dictionaries(
        st.sampled_from(["ops", "", "😀"]),
        odd_st | st.dictionaries(st.sampled_from(["a", "b", "z"]), odd_st),
        max_size=2,
    ),
    reference=st.sampled_from([None, *ODD_VALUES[:30], {"a": 1}, {"a": "x"}, {"z": 1}, {"a": 10**400}]),
    constraints=st.lists(st.sampled_from(["a <= 1", "b >= 0.5 * champion", "z <= 1", "<= 1", "a == 3", 5]), max_size=3),
)
def test_fuzz_model_constructor(objectives, method, stakeholders, reference, constraints):
    objs = tuple(Objective(n, "min") for n in objectives)
    names = [
        "objective",
        "Objective",
        "weight",
        "method",
        "Method",
        "stakeholder",
        "Stakeholder",
        "reference_point",
        "constraint",
        "Constraint",
        "declared twice",
        *map(repr, [method, stakeholders, reference]),
    ]
    names += [repr(c) for c in constraints] + ["'z'", "'a'", "'b'"]
    qm = attempt(
        AREA_MODEL,
        QualityModel,
        objs,
        constraints=tuple(constraints),
        stakeholders=stakeholders,
        method=method,
        reference_point=reference,
        names=names,
    )
    if not isinstance(qm, WorkbenchError):
        check_model(qm)


# --- constraint strings -----------------------------------------------------------------------------

VALID_CONSTRAINTS = [
    "latency_ms <= 150",
    "recall >= 0.98 * champion",
    "cost < 1e3",
    "x > -5",
    "latency_ms <= champion + 10",
    'latency_ms <= 1.1 * "model v2" - 3',
    "a =< 2",
    "b => 0.5",
    "energy <= v1 * 0.9",
    "<= 150",
    ">= 0.98 * champion",
    "x <= 0.1234567",
    "x >= 0.98765432 * champion + 123456789012345678",
    "x <= 'a\"b'",
    'x <= "it\'s" - 1e-320',
]
MUTATIONS = [
    "",
    " ",
    "==",
    "=",
    "≤",
    "≥",
    "<",
    ">",
    "!",
    "nan",
    "inf",
    "1e309",
    "-1e309",
    "1e-400",
    "*",
    "+",
    "-",
    "champion",
    '"',
    "'",
    "\n",
    "\x00",
    "😀",
    "\u202e",
    "12",
    "0.",
    ".5",
    "e5",
    "1e",
    "*2",
    "junk",
    ";",
    "#",
    "<=",
    ">=",
    "( ",
    ")",
    "0.1234567",
    "98765432109",
    "'",
    '"',
    "1e150",
    "1e151",
]


@st.composite
def constraint_text(draw):
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.text(max_size=30))
    text = draw(st.sampled_from(VALID_CONSTRAINTS))
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.sampled_from(MUTATIONS))
        if op == "insert":
            text = text[:pos] + piece + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 4)) :]
        else:
            text = text[:pos] + piece + text[pos + len(piece) :]
    return text


@given(text=constraint_text(), objective=st.sampled_from([None, "latency_ms", "recall", "x", "😀", "a b"]))
def test_fuzz_constraint_strings(text, objective):
    c = attempt(
        AREA_CONSTRAINTS,
        Constraint.parse,
        text,
        objective=objective,
        names=[repr(text), text, repr(objective), "Constraint"],
    )
    if isinstance(c, WorkbenchError):
        return
    assert_invariant(AREA_CONSTRAINTS, c.op in ("<=", ">=", "<", ">"), f"operator {c.op!r}")
    assert_invariant(AREA_CONSTRAINTS, (c.limit is None) != (c.baseline is None), "needs exactly one of limit/baseline")
    for number in (c.limit, c.factor, c.offset):
        assert_invariant(AREA_CONSTRAINTS, number is None or math.isfinite(number), f"non-finite number in {c!r}")
    again = attempt(AREA_CONSTRAINTS, Constraint.parse, str(c), names=[repr(str(c))])
    assert_invariant(AREA_CONSTRAINTS, again == c, f"{text!r} -> {str(c)!r} -> {again!r}")
    if c.baseline is None:
        assert_invariant(AREA_CONSTRAINTS, c.resolve() == c.limit, "resolve() differs from the limit")
    # In a model, it round-trips through YAML too.
    qm = attempt(
        AREA_CONSTRAINTS,
        QualityModel,
        (Objective(c.objective, "min"),),
        constraints=(c,),
        names=[repr(c.objective), "name", "objective"],
    )
    if not isinstance(qm, WorkbenchError):
        check_model(qm)
