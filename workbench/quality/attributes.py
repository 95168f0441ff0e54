"""The quality-attribute catalogue of ML-enabled systems and the literature prior on their conflicts.

Source: V. Indykov, D. Strüber, R. Wohlrab, "Architectural tactics to achieve quality attributes of
machine-learning-enabled systems: a systematic literature review", JSS 223 (2025) 112373 (CC BY 4.0).
The 11 common attributes and the tactic → attribute impact matrix (their Table 3) are reproduced
here; the matrix is a *prior*: the conflict analysis shows where observed data disagrees with it.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["ATTRIBUTES", "TACTICS", "TACTIC_IMPACT", "MOST_REPORTED_TRADEOFFS", "prior_relation"]

#: The 11 common quality attributes (name -> what it covers).
ATTRIBUTES: MappingProxyType[str, str] = MappingProxyType(
    {
        "functional_suitability": "correctness",
        "resource_efficiency": "running time, memory, energy",
        "system_accuracy": "accuracy of the whole system in real use",
        "usability": "user controllability",
        "reliability": "trustworthiness, safety, robustness, scalability",
        "security": "privacy",
        "maintainability": "transparency, testability",
        "portability": "adaptability",
        "explainability": "interpretability",
        "fairness": "ethics",
        "data_quality": "data quantity",
    }
)

TACTICS: MappingProxyType[str, str] = MappingProxyType(
    {
        "AT1": "distributed learning",
        "AT2": "automated data reduction",
        "AT3": "federated learning",
        "AT4": "human-in-the-loop",
        "AT5": "automated data versioning",
        "AT6": "intrusion detection",
        "AT7": "automated data encryption",
        "AT8": "containerization",
        "AT9": "componentization",
        "AT10": "local interpretable models",
        "AT11": "rule-based models",
        "AT12": "automated hyperparameter tuning",
        "AT13": "automated algorithm selection",
        "AT14": "automated bias mitigation",
        "AT15": "automated data preprocessing",
        "AT16": "automated data profiling",
    }
)

# JSS Table 3: + positive, - negative, a ambivalent, 0 no evidence; columns AT1..AT16.
_TABLE3 = {
    "resource_efficiency": "+++00---0+0---a0",
    "usability": "+00+0000000000++",
    "reliability": "00a++++++-0++a-+",
    "security": "a0aa0++-000+00++",
    "maintainability": "000++00+++00+0+a",
    "portability": "+000000++00+0+00",
    "explainability": "-00+0-00+++0-0+0",
    "system_accuracy": "0--000-0+--++-a+",
    "fairness": "-0-+00000+0+0+a0",
    "data_quality": "0--+0+++00000a++",
}

#: attribute -> {tactic -> one of "+", "-", "a", "0"}
TACTIC_IMPACT: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType(
    {attr: MappingProxyType(dict(zip(TACTICS, row, strict=True))) for attr, row in _TABLE3.items()}
)

#: The trade-offs the literature reports most often (JSS 2025; efficiency vs reliability from SAC 2025).
MOST_REPORTED_TRADEOFFS: tuple[frozenset[str], ...] = (
    frozenset({"system_accuracy", "resource_efficiency"}),
    frozenset({"system_accuracy", "explainability"}),
    frozenset({"fairness", "resource_efficiency"}),
    frozenset({"resource_efficiency", "reliability"}),
)


def prior_relation(a: str, b: str) -> str:
    """What the literature leads one to expect between two attributes.

    Returns ``"conflict"`` when the pair is among the most reported trade-offs or when tactics
    that help one more often hurt the other; ``"synergy"`` when tactics more often help both;
    ``"unknown"`` for custom attributes or no evidence; ``"same"`` for one attribute.

    >>> prior_relation("system_accuracy", "resource_efficiency")
    'conflict'
    >>> prior_relation("accuracy_custom", "fairness")
    'unknown'
    """
    if a == b:
        return "same"
    if frozenset({a, b}) in MOST_REPORTED_TRADEOFFS:
        return "conflict"
    if a not in TACTIC_IMPACT or b not in TACTIC_IMPACT:
        return "unknown"
    agree = oppose = 0
    for tactic in TACTICS:
        x, y = TACTIC_IMPACT[a][tactic], TACTIC_IMPACT[b][tactic]
        if x in "+-" and y in "+-":
            if x == y:
                agree += 1
            else:
                oppose += 1
    if oppose > agree:
        return "conflict"
    if agree > oppose:
        return "synergy"
    return "unknown"
