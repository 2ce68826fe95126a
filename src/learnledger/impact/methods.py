"""The isolation methods LearnLedger knows, ranked by credibility (1 = most credible).

The ranking follows the usual evidence hierarchy (randomised or staggered comparison groups
first, participants' own estimates last); the naive comparisons are listed so their results can
be shown beside an isolated estimate, but they never count as isolating the effect.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MethodInfo:
    """What a method is called, how credible it is, and what it assumes."""

    name: str
    label: str
    credibility_rank: int
    isolates: bool
    assumptions: tuple[str, ...]


_ALL = (
    MethodInfo(
        "staggered_did",
        "Difference-in-differences, cohort by time (not-yet / never-trained comparison)",
        1,
        True,
        (
            "Without the programme, trained and comparison groups would have followed "
            "parallel paths (checked on the periods before training).",
            "People did not change their outcome in anticipation of training.",
            "One person's training does not change a colleague's outcome.",
        ),
    ),
    MethodInfo(
        "ipw",
        "Propensity-score weighting (ATT weights)",
        2,
        True,
        (
            "Every difference between trained and comparison people that drives the outcome "
            "is captured by the covariates.",
            "Trained people have comparable untrained counterparts (overlap).",
        ),
    ),
    MethodInfo(
        "psm",
        "Propensity-score matching (nearest neighbour with caliper)",
        2,
        True,
        (
            "Every difference between trained and comparison people that drives the outcome "
            "is captured by the covariates.",
            "Trained people have comparable untrained counterparts (overlap).",
        ),
    ),
    MethodInfo(
        "regression_adjustment",
        "Regression adjustment",
        3,
        True,
        (
            "The covariates capture every difference that drives the outcome.",
            "The outcome is linear in the covariates.",
        ),
    ),
    MethodInfo(
        "trend_projection",
        "Trend-line projection",
        4,
        True,
        (
            "The trend before the programme would have continued without it.",
            "Nothing else that moves the outcome changed when the programme started.",
        ),
    ),
    MethodInfo(
        "participant_estimate",
        "Participant or manager estimate x attribution x confidence",
        5,
        True,
        (
            "Respondents can judge which share of their improvement the programme caused.",
            "Non-respondents improved by nothing.",
        ),
    ),
    MethodInfo(
        "naive_difference",
        "Naive comparison: trained vs untrained after training",
        9,
        False,
        ("Trained and untrained people were alike before training (rarely true).",),
    ),
    MethodInfo(
        "naive_pre_post",
        "Naive comparison: trained people before vs after",
        9,
        False,
        ("Nothing but training changed the outcome over the period (rarely true).",),
    ),
)

#: Methods by name.
METHODS: dict[str, MethodInfo] = {method.name: method for method in _ALL}

#: Warning attached to every naive estimate.
NAIVE_WARNING = (
    "Naive comparison: it mixes the programme's effect with who chose to enrol and with "
    "everything else that changed; shown only beside an isolated estimate."
)
