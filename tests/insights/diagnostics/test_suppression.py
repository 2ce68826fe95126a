"""Suppression of the diagnostics' partitions and running counts never reveals a small cell."""

from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from learnledger.insights.diagnostics.suppression import (
    hidden_set_is_safe,
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
