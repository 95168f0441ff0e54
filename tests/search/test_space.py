"""Configuration spaces: construction, the unit-box encoding, identity, counting and bad spaces."""

import itertools
import math
import textwrap

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.errors import SpaceError
from workbench.search import Bool, Categorical, Float, Int, Space

YAML = textwrap.dedent("""
    name: classifier-search
    description: a small conditional space
    parameters:
      family: {type: categorical, choices: [tree, linear, knn]}
      depth: {type: int, low: 1, high: 12, when: {family: tree}}
      leaves: {type: int, low: 8, high: 64, step: 8, when: {family: [tree]}}
      C: {type: float, low: 0.001, high: 100, log: true}
      k: {type: integer, low: 1, high: 1000, log: true}
      threshold: {type: real, low: 0.1, high: 0.9}
      scale: {type: boolean}
    conditions:
      C: {family: linear}
      k: {family: knn}
""")


SPACE = Space.from_yaml(YAML)


@pytest.fixture
def space():
    return SPACE


def small_conditional():
    """family in {a, b, c}; n (4 values) only for a; flag (bool) only for b and c; m (3 values) always.

    Configurations: a -> 4 * 3 = 12, b -> 2 * 3 = 6, c -> 2 * 3 = 6; 24 in all.
    """
    return Space(
        [
            Categorical("family", ["a", "b", "c"]),
            Int("n", 0, 9, step=3, when={"family": "a"}),
            Bool("flag", when={"family": ["b", "c"]}),
            Categorical("m", [1, 2.5, "x"]),
        ]
    )


SMALL = small_conditional()
# narrow log ranges: exp/log round off by an ulp here unless encode corrects for it
LOGS = Space(
    [Float("a", 0.5, 2.0, log=True), Float("b", 3, 7), Float("c", 1e-6, 1, log=True), Int("k", 2, 50, log=True)]
)


# --- construction --------------------------------------------------------------------------------


def test_yaml_construction_types_aliases_and_conditions(space):
    assert space.name == "classifier-search"
    assert space.names == ["family", "depth", "leaves", "C", "k", "threshold", "scale"]
    kinds = {p.name: p.kind for p in space.parameters}
    assert kinds == {
        "family": "categorical",
        "depth": "int",
        "leaves": "int",
        "C": "float",
        "k": "int",
        "threshold": "float",
        "scale": "bool",
    }
    assert space["C"].log and space["k"].log and not space["threshold"].log
    assert space["leaves"].step == 8 and space["leaves"].cardinality == 8  # 8, 16, ..., 64
    # inline `when:` (scalar and list) and top-level `conditions:` normalise to the same form
    assert space["depth"].when == (("family", ("tree",)),)
    assert space["leaves"].when == (("family", ("tree",)),)
    assert space["C"].when == (("family", ("linear",)),)
    assert space["k"].when == (("family", ("knn",)),)
    assert space["scale"].choices == (False, True)


def test_python_construction_equals_yaml(space):
    built = Space(
        [
            Categorical("family", ["tree", "linear", "knn"]),
            Int("depth", 1, 12, when={"family": "tree"}),
            Int("leaves", 8, 64, step=8, when={"family": ["tree"]}),
            Float("C", 0.001, 100, log=True, when={"family": "linear"}),
            Int("k", 1, 1000, log=True, when={"family": "knn"}),
            Float("threshold", 0.1, 0.9),
            Bool("scale"),
        ],
        name="classifier-search",
        description="a small conditional space",
    )
    assert built == space
    assert built.hash == space.hash


def test_int_step_rounds_high_down_to_the_grid():
    p = Int("n", 0, 10, step=4)
    assert (p.low, p.high, p.cardinality) == (0, 8, 3)
    assert [p.decode(u) for u in (0.0, 0.34, 0.67, 1.0)] == [0, 4, 8, 8]
    with pytest.raises(SpaceError, match="in steps of 4"):
        p.check(2)


def test_log_scales_spread_decades_evenly():
    f = Float("C", 0.001, 1000, log=True)
    assert f.decode(0.5) == pytest.approx(1.0)
    assert f.decode(0.25) == pytest.approx(0.031622776, rel=1e-6)  # 10 ** -1.5
    assert (f.decode(0.0), f.decode(1.0)) == (0.001, 1000.0)
    i = Int("k", 1, 999, log=True)
    values = [i.decode(u) for u in np.linspace(0, 1, 1001)]
    assert min(values) == 1 and max(values) == 999
    # each decade gets about a third of the unit interval
    shares = [np.mean([lo <= v < hi for v in values]) for lo, hi in ((1, 10), (10, 100), (100, 1000))]
    assert shares == pytest.approx([1 / 3] * 3, abs=0.01)


# --- encoding ------------------------------------------------------------------------------------


def test_decode_drops_inactive_parameters(space):
    u = np.full(len(space), 0.5)
    u[0] = 0.1  # tree
    assert set(space.decode(u)) == {"family", "depth", "leaves", "threshold", "scale"}
    u[0] = 0.5  # linear
    assert set(space.decode(u)) == {"family", "C", "threshold", "scale"}
    u[0] = 0.9  # knn
    assert set(space.decode(u)) == {"family", "k", "threshold", "scale"}


def test_bounds_given_by_hand_round_trip_exactly():
    # regression: a log-scaled float decoded 0 to exp(log(low)) = 0.0010000000000000002, not low
    s = Space([Float("C", 0.001, 100, log=True), Float("t", 0.1, 0.9), Int("k", 3, 1000, log=True)])
    for c, t, k in itertools.product((0.001, 100.0), (0.1, 0.9), (3, 1000)):
        config = {"C": c, "t": t, "k": k}
        assert s.decode(s.encode(config)) == config
    assert s.decode([0.0, 0.0, 0.0]) == {"C": 0.001, "t": 0.1, "k": 3}
    assert s.decode([1.0, 1.0, 1.0]) == {"C": 100.0, "t": 0.9, "k": 1000}


def test_check_rejects_inactive_missing_and_unknown(space):
    with pytest.raises(SpaceError, match=r"'depth' is inactive.*family in \['tree'\]"):
        space.check({"family": "linear", "C": 1.0, "depth": 3, "threshold": 0.5, "scale": True})
    with pytest.raises(SpaceError, match="misses the active parameter 'C'"):
        space.check({"family": "linear", "threshold": 0.5, "scale": True})
    with pytest.raises(SpaceError, match="(?s)'treshold'.*Did you mean 'threshold'"):
        space.check({"family": "linear", "C": 1.0, "treshold": 0.5, "scale": True})


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_decode_encode_round_trip_of_sampled_configs(seed):
    for s in (SPACE, SMALL, LOGS):
        for config in s.sample(5, seed=seed):
            assert s.decode(s.encode(config)) == config
            assert s.check(config) == config


@settings(max_examples=200, deadline=None)
@given(
    u=st.lists(
        st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0, 5e-324, 1e-17, 1 - 2**-53])), min_size=7, max_size=7
    )
)
def test_any_point_of_the_box_decodes_to_a_valid_config(u):
    for s in (SPACE, LOGS):
        point = np.array(u[: len(s)])
        config = s.decode(point)
        assert s.check(config) == config
        # and the encoding of that configuration decodes to it again
        assert s.decode(s.encode(config)) == config
    # outside the box is clipped, not an error
    assert SPACE.decode(np.array(u) * 3 - 1) == SPACE.decode(np.clip(np.array(u) * 3 - 1, 0, 1))


def test_key_is_stable_and_tells_types_apart():
    s = Space([Categorical("v", [True, 1, "1", 1.5])])
    configs = [{"v": c} for c in (True, 1, "1", 1.5)]
    keys = [s.key(c) for c in configs]
    assert len(set(keys)) == 4
    assert [s.decode(s.encode(c)) for c in configs] == configs
    assert [type(s.decode(s.encode(c))["v"]) for c in configs] == [bool, int, str, float]
    # stable: independent of dict order and of numpy scalar types; a known value
    assert s.key({"v": np.int64(1)}) == s.key({"v": 1})
    t = Space([Float("a", 0, 1), Float("b", 0, 1)])
    assert t.key({"a": 0.25, "b": 0.5}) == t.key({"b": 0.5, "a": 0.25})
    import hashlib

    assert t.key({"a": 0.25, "b": 0.5}) == hashlib.sha256(b'{"a":0.25,"b":0.5}').hexdigest()[:16]
    assert t.key({"a": 0.25, "b": 0.5}) != t.key({"a": 0.25, "b": 0.50001})


def test_cardinality_matches_brute_force_enumeration():
    s = small_conditional()
    assert s.cardinality == 24
    # every coordinate on a grid finer than any parameter's cells: all configurations appear
    grid = (np.arange(12) + 0.5) / 12
    seen = {s.key(s.decode(u)) for u in itertools.product(grid, repeat=len(s))}
    assert len(seen) == 24
    assert math.isinf(Space([Categorical("f", ["a", "b"]), Float("x", 0, 1, when={"f": "a"})]).cardinality)
    assert Space([Int("a", 1, 3), Bool("b")]).cardinality == 6


# --- serialisation -------------------------------------------------------------------------------


def test_yaml_round_trip_and_hash(space, tmp_path):
    text = space.to_yaml()
    again = Space.from_yaml(text)
    assert again == space and again.hash == space.hash
    path = tmp_path / "space.yaml"
    path.write_text(text)
    assert Space.from_yaml(path) == space
    assert Space.from_yaml(str(path)) == space
    # the hash ignores name/description and changes with any bound
    data = yaml.safe_load(text)
    data["name"] = "renamed"
    assert Space.from_dict(data).hash == space.hash
    data["parameters"]["threshold"]["high"] = 0.95
    assert Space.from_dict(data).hash != space.hash


# --- bad spaces ----------------------------------------------------------------------------------


def _err(data):
    with pytest.raises(SpaceError) as info:
        Space.from_dict(data) if not isinstance(data, str) else Space.from_yaml(data)
    return str(info.value)


def _params(**params):
    return {"parameters": params}


def test_empty_range_float_and_int():
    for kind in ("float", "int"):
        msg = _err(_params(x={"type": kind, "low": 5, "high": 5}))
        assert "'x'" in msg and "low=5 >= high=5" in msg and "Fix: make low < high" in msg
    msg = _err(_params(x={"type": "float", "low": 2.5, "high": 1}))
    assert "low=2.5 >= high=1" in msg


def test_log_scale_needs_positive_low():
    msg = _err(_params(C={"type": "float", "low": 0, "high": 10, "log": True}))
    assert "'C'" in msg and "low must be > 0" in msg and "low=0" in msg
    msg = _err(_params(k={"type": "int", "low": -1, "high": 10, "log": True}))
    assert "'k'" in msg and "low >= 1" in msg and "low=-1" in msg


def test_unknown_type_suggests_the_right_one():
    msg = _err(_params(x={"type": "flaot", "low": 0, "high": 1}))
    assert "'flaot'" in msg and "Did you mean 'float'" in msg and "categorical" in msg


def test_unknown_keys():
    msg = _err(_params(x={"type": "float", "low": 0, "high": 1, "hihg": 2}))
    assert "'hihg'" in msg and "Did you mean 'high'" in msg and "Fix: remove or rename it" in msg
    msg = _err({"parameters": {"x": {"type": "bool"}}, "condition": {}})
    assert "'condition'" in msg and "Did you mean 'conditions'" in msg


def test_empty_and_duplicate_choices():
    msg = _err(_params(c={"type": "categorical", "choices": []}))
    assert "'c'" in msg and "non-empty list of choices" in msg
    msg = _err(_params(c={"type": "categorical", "choices": ["a", "b", "a"]}))
    assert "'c'" in msg and "twice" in msg and "['a', 'b', 'a']" in msg
    # True, 1 and "1" are different choices, so they are no duplicates
    assert Space.from_dict(_params(c={"type": "categorical", "choices": [True, 1, "1"]}))["c"].cardinality == 3


def test_condition_names_unknown_parameter_inline_and_top_level():
    msg = _err(
        _params(
            family={"type": "categorical", "choices": ["a", "b"]},
            x={"type": "float", "low": 0, "high": 1, "when": {"famliy": "a"}},
        )
    )
    assert "'famliy'" in msg and "Did you mean 'family'" in msg and "Fix: declare the parent" in msg
    msg = _err(
        {
            "parameters": {
                "family": {"type": "categorical", "choices": ["a", "b"]},
                "x": {"type": "float", "low": 0, "high": 1},
            },
            "conditions": {"x": {"famliy": "a"}},
        }
    )
    assert "'famliy'" in msg and "Did you mean 'family'" in msg
    msg = _err(
        {"parameters": {"family": {"type": "categorical", "choices": ["a", "b"]}}, "conditions": {"y": {"family": "a"}}}
    )
    assert "'y'" in msg and "Fix: declare it under 'parameters:'" in msg


def test_condition_value_not_among_the_choices():
    msg = _err(
        _params(
            family={"type": "categorical", "choices": ["tree", "linear"]},
            x={"type": "float", "low": 0, "high": 1, "when": {"family": "tre"}},
        )
    )
    assert "'tre'" in msg and "Valid: tree, linear" in msg and "Did you mean 'tree'" in msg
    # "1" is not the choice 1
    msg = _err(
        _params(
            n={"type": "categorical", "choices": [1, 2]}, x={"type": "float", "low": 0, "high": 1, "when": {"n": "1"}}
        )
    )
    assert "'1'" in msg and "Valid: 1, 2" in msg


def test_condition_on_a_float_parent():
    msg = _err(
        _params(
            lr={"type": "float", "low": 0, "high": 1}, x={"type": "float", "low": 0, "high": 1, "when": {"lr": 0.5}}
        )
    )
    assert "'lr', a float parameter" in msg and "Fix: make the parent categorical" in msg


def test_condition_cycle():
    msg = _err(
        _params(
            a={"type": "categorical", "choices": ["x", "y"], "when": {"b": "u"}},
            b={"type": "categorical", "choices": ["u", "v"], "when": {"a": "x"}},
        )
    )
    assert "cycle" in msg and ("a -> b -> a" in msg or "b -> a -> b" in msg)


def test_no_parameters_and_non_mapping_and_missing_file(tmp_path):
    msg = _err({"parameters": {}})
    assert "non-empty mapping 'parameters:'" in msg and "Fix:" in msg
    with pytest.raises(SpaceError, match="The space has no parameters"):
        Space([])
    msg = _err("- just\n- a list\n")
    assert "must be a mapping" in msg and "list" in msg
    missing = tmp_path / "nope.yaml"
    with pytest.raises(SpaceError, match="does not exist") as info:
        Space.from_yaml(missing)
    assert str(missing) in str(info.value)
    with pytest.raises(SpaceError, match="does not exist"):
        Space.from_yaml(str(missing))
