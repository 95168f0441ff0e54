import math

import pytest
import yaml

from workbench import Constraint, Objective, QualityModel
from workbench.errors import (
    ConstraintSyntaxError,
    QualityModelError,
    SourceNotFoundError,
    UnknownNameError,
    WorkbenchError,
)

BASE = {
    "name": "fraud",
    "method": "tchebycheff",
    "champion": "v3",
    "objectives": [
        {
            "name": "recall",
            "direction": "max",
            "quality_attribute": "system_accuracy",
            "weight": 3,
            "bounds": {"ideal": 1.0, "nadir": 0.8},
            "tolerance": 0.005,
            "constraint": ">= 0.9",
        },
        {
            "name": "latency_p95_ms",
            "direction": "min",
            "unit": "ms",
            "quality_attribute": "resource_efficiency",
            "aggregation": "p95",
            "source": "latency_ms",
            "constraint": ["<= 150", "<= 1.1 * champion"],
        },
        {"name": "energy_wh", "direction": "minimize", "unit": "Wh", "quality_attribute": "custom:green"},
    ],
    "constraints": ["energy_wh <= champion + 0.5"],
    "stakeholders": {"ops": {"latency_p95_ms": 3, "recall": 1}},
    "reference_point": {"recall": 0.95},
}


def test_round_trip_yaml_and_hash(tmp_path):
    qm = QualityModel.from_dict(BASE)
    path = tmp_path / "q.yaml"
    qm.to_yaml(path)
    back = QualityModel.from_yaml(path)
    assert back == qm
    assert back.hash == qm.hash
    assert QualityModel.from_dict(back.to_dict()).to_dict() == qm.to_dict()
    assert [str(c) for c in qm.constraints] == [
        "recall >= 0.9",
        "latency_p95_ms <= 150",
        "latency_p95_ms <= 1.1 * champion",
        "energy_wh <= champion + 0.5",
    ]
    assert qm["energy_wh"].direction == "min"


def test_hash_changes_with_content():
    a = QualityModel.from_dict(BASE)
    assert a.with_weights({"recall": 1, "latency_p95_ms": 1, "energy_wh": 1}).hash != a.hash
    assert a.with_constraints([]).hash != a.hash


def test_weights_normalised_and_stakeholders():
    qm = QualityModel.from_dict(BASE)
    assert qm.weights == pytest.approx({"recall": 0.6, "latency_p95_ms": 0.2, "energy_wh": 0.2})
    ops = qm.with_weights("ops")
    assert ops.weights == pytest.approx({"recall": 0.25, "latency_p95_ms": 0.75, "energy_wh": 0.0})
    with pytest.raises(UnknownNameError, match="(?s)Stakeholder 'opps'.*Did you mean 'ops'"):
        qm.with_weights("opps")


def test_objective_repr_shows_direction_unit_weight():
    assert repr(Objective("latency_ms", "min", unit="ms", weight=2)) == "Objective(latency_ms ▼ [ms] w=2)"
    assert Objective("acc", "max").label == "acc (↑ better)"


@pytest.mark.parametrize(
    "change, error, pattern",
    [
        ({"direction": "fastest"}, QualityModelError, "direction 'fastest' is not one of min, max"),
        ({"quality_attribute": "acuracy"}, QualityModelError, "(?s)quality attribute 'acuracy'.*custom:acuracy"),
        ({"quality_attribute": "system_acuracy"}, QualityModelError, "Did you mean 'system_accuracy'"),
        ({"weight": -1}, QualityModelError, "weight -1 is negative"),
        ({"weight": "heavy"}, QualityModelError, "weight must be a number, got 'heavy'"),
        ({"weight": math.nan}, QualityModelError, "must be finite"),
        ({"tolerance": -0.1}, QualityModelError, "tolerance -0.1 must be >= 0"),
        ({"bounds": {"ideal": 0.8, "nadir": 1.0}}, QualityModelError, "ideal 0.8 must be above nadir 1"),
        ({"bounds": [1, 2, 3]}, QualityModelError, "must be a pair"),
        ({"aggregation": "p96"}, QualityModelError, "(?s)aggregation 'p96'.*Did you mean"),
        ({"colour": "red"}, QualityModelError, "Key 'colour' is not a valid key of objective"),
        ({"constraint": ">= 0.9 *"}, ConstraintSyntaxError, "cannot be parsed"),
        ({"name": "rank"}, QualityModelError, "(?s)'rank': the name is reserved.*Fix: rename"),
    ],
)
def test_objective_validation_messages(change, error, pattern):
    data = {**BASE, "objectives": [{**BASE["objectives"][0], **change}, *BASE["objectives"][1:]]}
    with pytest.raises(error, match=pattern):
        QualityModel.from_dict(data)


def test_model_level_validation():
    with pytest.raises(QualityModelError, match="declared twice"):
        QualityModel.from_dict({"objectives": [{"name": "a", "direction": "min"}, {"name": "a", "direction": "max"}]})
    with pytest.raises(QualityModelError, match="All objective weights are zero"):
        QualityModel.from_dict({"objectives": [{"name": "a", "direction": "min", "weight": 0}]})
    with pytest.raises(
        UnknownNameError,
        match="(?s)Constraint 'latncy <= 3': 'latncy' is not an objective.*'latency' is spelt differently",
    ):
        QualityModel.from_dict(
            {"objectives": [{"name": "latency", "direction": "min"}], "constraints": ["latncy <= 3"]}
        )
    with pytest.raises(UnknownNameError, match="Method 'wsm'"):
        QualityModel.from_dict({**BASE, "method": "wsm"})
    with pytest.raises(QualityModelError, match="all weights are zero"):
        QualityModel.from_dict({**BASE, "stakeholders": {"x": {"recall": 0}}})
    with pytest.raises(UnknownNameError, match="Stakeholder 'ops': 'recal' is not an objective"):
        QualityModel.from_dict({**BASE, "stakeholders": {"ops": {"recal": 1}}})
    with pytest.raises(QualityModelError, match="needs at least one objective"):
        QualityModel(objectives=())
    with pytest.raises(QualityModelError, match="Key 'objective' is not a valid key of a quality model"):
        QualityModel.from_dict({"objective": []})


def test_errors_are_catchable_as_builtins():
    with pytest.raises(ValueError):
        Objective("x", "up")
    with pytest.raises(KeyError):
        QualityModel.from_dict(BASE).with_weights("nobody")
    assert issubclass(QualityModelError, WorkbenchError)


def test_from_yaml_errors(tmp_path):
    with pytest.raises(SourceNotFoundError, match="does not exist"):
        QualityModel.from_yaml(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("objectives: [\n")
    with pytest.raises(QualityModelError, match="not valid YAML"):
        QualityModel.from_yaml(bad)
    # safe loading: python tags are rejected, not executed
    evil = tmp_path / "evil.yaml"
    evil.write_text("objectives: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(QualityModelError, match="not valid YAML"):
        QualityModel.from_yaml(evil)


@pytest.mark.parametrize(
    "text, objective, expected",
    [
        ("latency <= 150", None, ("latency", "<=", 150.0, None, 1.0, 0.0)),
        (">= 0.8", "acc", ("acc", ">=", 0.8, None, 1.0, 0.0)),
        ("<= 1.1 * champion", "ms", ("ms", "<=", None, "champion", 1.1, 0.0)),
        ("<= champion * 1.1", "ms", ("ms", "<=", None, "champion", 1.1, 0.0)),
        ("ms <= champion + 10", None, ("ms", "<=", None, "champion", 1.0, 10.0)),
        ("ms <= champion - 1e-3", None, ("ms", "<=", None, "champion", 1.0, -0.001)),
        ('ms < 2 * "v 7"', None, ("ms", "<", None, "v 7", 2.0, 0.0)),
        ("ms =< 5", None, ("ms", "<=", 5.0, None, 1.0, 0.0)),
    ],
)
def test_constraint_parse(text, objective, expected):
    c = Constraint.parse(text, objective=objective)
    assert (c.objective, c.op, c.limit, c.baseline, c.factor, c.offset) == expected
    assert Constraint.parse(str(c)) == c


@pytest.mark.parametrize("text", ["<= ", "latency 150", "a <= b <= c", "== 3", "<= 1.1 *", "<= * champion", ""])
def test_constraint_syntax_errors(text):
    with pytest.raises(ConstraintSyntaxError, match="cannot be parsed|names no objective"):
        Constraint.parse(text)


def test_constraint_on_other_objective_rejected():
    with pytest.raises(ConstraintSyntaxError, match="declared on objective 'acc' but names 'ms'"):
        Constraint.parse("ms <= 3", objective="acc")


def test_yaml_output_is_plain():
    text = QualityModel.from_dict(BASE).to_yaml()
    assert "!!python" not in text
    assert yaml.safe_load(text)["objectives"][0]["name"] == "recall"


_ONE = "objectives: [{name: x, direction: min}]\n"


@pytest.mark.parametrize(
    "text, pattern",
    [
        # each of these used to escape as a bare TypeError/ValueError/OverflowError
        (_ONE + "constraints: 5\n", r"constraints must be a constraint string or a list of them, got 5"),
        ("objectives: [{name: x, direction: min, constraint: 5}]\n", r"Objective 'x': constraint must be .* got 5"),
        ("objectives: {x: [min]}\n", r"Objective 'x' must map to its settings .* got \['min'\]"),
        (_ONE + "stakeholders: [ops]\n", r"stakeholders must map stakeholder names to weight sets, got \['ops'\]"),
        (_ONE + "reference_point: {x: abc}\n", r"reference_point\['x'\] must be a number, got 'abc'"),
        ("objectives: [{name: x, direction: min, weight: 1" + "0" * 400 + "}]\n", r"weight must be finite, got 1000"),
        (_ONE + "stakeholders: {ops: {x: 1" + "0" * 400 + "}}\n", r"Stakeholder 'ops': weight of 'x' must be finite"),
        # numbers beyond ±1e150 overflowed the analysis (normalisation ranges, relative limits)
        (
            "objectives: [{name: x, direction: min, bounds: [-1.0e+308, 1.0e+308]}]\n",
            r"ideal bound is -1e\+308, beyond ±1e\+150, too large to compare.*Fix",
        ),
        ("objectives: [{name: x, direction: min, constraint: '<= 1e200 * champion'}]\n", r"factor is 1e\+200, beyond"),
        (_ONE + "reference_point: {x: 1.0e+300}\n", r"reference_point\['x'\] is 1e\+300, beyond"),
        ("objectives: [{name: x, direction: min, description: [1, 2]}]\n", r"description must be text, got \[1, 2\]"),
        (_ONE + "name: [1, 2]\n", r"quality model's name must be text, got \[1, 2\]"),
        # a name with '<', '>' or '=' was accepted, but its constraints could not be read back
        (
            "objectives: [{name: 'a<b', direction: min, constraint: '<= 3'}]\n",
            r"Objective 'a<b': the name may not contain '<', '>' or '='.*'a_b'",
        ),
    ],
)
def test_malformed_models_are_rejected_with_the_value(text, pattern):
    with pytest.raises(QualityModelError, match=f"(?s){pattern}"):
        QualityModel.from_yaml(text)


def test_recursive_yaml_description_is_rejected_not_crashing_the_hash():
    text = "objectives: &o\n  - {name: x, direction: min, description: *o}\n"
    with pytest.raises(QualityModelError, match="description must be text"):
        QualityModel.from_yaml(text)


@pytest.mark.parametrize(
    "text",
    [
        # ':g' kept 6 significant digits, so the YAML of a model changed its limits (and two different
        # models shared a hash); a baseline with a double quote was written as '"a"b"', which does not parse
        "x <= 0.1234567",
        "x <= 123456789012345678",
        "x >= 0.98765432 * champion + 0.1234567",
        "x <= 'a\"b' - 1",
    ],
)
def test_constraints_render_exactly(text):
    c = Constraint.parse(text)
    assert Constraint.parse(str(c)) == c
    qm = QualityModel.from_dict({"objectives": [{"name": "x", "direction": "min"}], "constraints": [text]})
    assert QualityModel.from_yaml(qm.to_yaml()) == qm
    assert str(Constraint.parse("x <= 150")) == "x <= 150"


def test_yaml_round_trip_keeps_characters_pyyaml_would_fold():
    # a stakeholder named '\x85' (NEL) was written unescaped and read back as ' '
    qm = QualityModel.from_dict(
        {
            "objectives": [{"name": "x", "direction": "min", "description": "a\u2028b"}],
            "stakeholders": {"\x85": {"x": 1}},
            "name": "é\x85",
        }
    )
    assert QualityModel.from_yaml(qm.to_yaml()) == qm
    assert "é" in QualityModel.from_dict({"objectives": [{"name": "é", "direction": "min"}]}).to_yaml()


def test_a_misspelt_objective_is_never_proposed_as_the_fix():
    """The objective is misspelt and the stakeholder weights spell it right: the message must not
    tell the user to use the misspelling; it names both spellings and asks for one."""
    data = {
        "objectives": [{"name": "accuracy", "direction": "max"}, {"name": "latncy_ms", "direction": "min"}],
        "stakeholders": {"ops": {"latency_ms": 2, "accuracy": 1}},
        "constraints": ["latency_ms <= 40"],
    }
    with pytest.raises(UnknownNameError) as err:
        QualityModel.from_dict(data)
    text = str(err.value)
    assert "Did you mean" not in text
    assert "'latncy_ms' is spelt differently" in text and "'latency_ms' is not an objective" in text
    assert "Objectives: accuracy, latncy_ms." in text
    data["stakeholders"] = {}
    with pytest.raises(UnknownNameError, match="(?s)Constraint 'latency_ms <= 40'.*one of the two spellings"):
        QualityModel.from_dict(data)
    # a name nowhere near any objective: the plain fix, no spelling hint
    with pytest.raises(UnknownNameError, match="(?s)'zzz' is not an objective.*Fix: weigh only objectives") as err:
        QualityModel.from_dict({**data, "constraints": [], "stakeholders": {"ops": {"zzz": 1}}})
    assert "spelt" not in str(err.value)
