"""Suppression of the diagnostics' partitions and running counts never reveals a small cell."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from learnledger.insights.diagnostics.distractors import option_shares
from learnledger.insights.diagnostics.suppression import (
    hidden_set_is_safe,
    inner_sum_is_safe,
    protect_partition,
    visible_reaches,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=1, max_size=9), st.integers(2, 6))
def test_no_published_number_or_difference_isolates_a_small_cell(
    stopped: list[int], k: int
) -> None:
    """A funnel: cells of people stopping at each step, and people reaching each step. From
    the published cells, the published reach counts and the total, every hidden quantity a
    reader can derive (a reach minus later published cells, two reaches apart) is a safe
    group."""
    cells = [(f"s{i}", n) for i, n in enumerate(stopped)]
    hidden, total_hidden = protect_partition(cells, sum(stopped), k)
    suppressed = [hidden[key] for key, _ in cells]
    for (key, n), gone in zip(cells, suppressed, strict=True):
        assert gone or not (0 < n < k), (key, n)
    visible = visible_reaches(stopped, suppressed, k)
    published = [i for i, ok in enumerate(visible) if ok]
    boundaries = [*published, len(stopped)]
    if not total_hidden:
        boundaries = sorted({0, *boundaries})
    for lo, hi in combinations(boundaries, 2):
        hidden_between = [stopped[i] for i in range(lo, hi) if suppressed[i]]
        assert hidden_set_is_safe(hidden_between, k), (stopped, k, lo, hi)
    for i in published:
        assert not (0 < sum(stopped[i:]) < k)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from("abcd"), min_size=1, max_size=40), st.integers(2, 6))
def test_distractor_counts_never_isolate_a_small_group(answers: list[str], k: int) -> None:
    """The correct option's count is the difficulty (a rate of the whole group); the wrong
    options' published counts are 0 or at least k, and what the wrong answerers' total minus
    them reveals is a group of at least k that cannot be split by elimination (or the wrong
    answerers are fewer than k in all)."""
    people = {f"p{i}": a for i, a in enumerate(answers)}
    ranked = sorted(people)
    groups = (set(ranked[: len(ranked) // 3]), set(ranked[-(len(ranked) // 3) :]))
    rows, _ = option_shares(
        "q", people, "a", "abcd", groups, min_group_size=k, non_functioning=0.05
    )
    if 0 < len(people) < k:
        assert all(r.chosen is None for r in rows)
        return
    wrong = [r for r in rows if not r.correct]
    for row in wrong:
        assert row.chosen is None or row.chosen == 0 or row.chosen >= k
    wrong_total = sum(1 for a in answers if a != "a")
    hidden = [sum(1 for a in answers if a == r.option) for r in wrong if r.chosen is None]
    if wrong_total < k or not hidden:
        return
    assert sum(hidden) >= k
    if len(hidden) < len(wrong):  # empty options are published, so hidden ones hold 1+
        assert len(hidden) >= 2
        assert sum(hidden) > len(hidden)


def test_a_second_breakdown_of_the_stoppers_may_not_split_the_hidden_cells() -> None:
    # not started 2 (hidden), module 1: 10, module 2: 4 (hidden), completed 20. The hidden
    # pair is safe (6 people), but a breakdown of exactly the stoppers (modules 1-2) would
    # give 14, hence module 2 = 4 and not started = 2.
    cells = [(2, True), (10, False), (4, True), (20, False)]
    assert not inner_sum_is_safe(cells, range(1, 3), 5)
    assert inner_sum_is_safe(
        [(0, False), (10, False), (4, True), (3, True), (20, False)], range(1, 4), 5
    )
