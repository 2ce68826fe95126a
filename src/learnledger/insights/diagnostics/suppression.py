"""Small-group suppression for the diagnostics, on top of `learnledger.metrics.privacy`.

- A count of 1 to ``min_group_size - 1`` people is never published (`withhold`).
- A breakdown that partitions a group (where people stop in a funnel, the role mix of an
  audience, the options chosen on an item) goes through `protect_partition`: primary and
  complementary suppression, so the total minus the published cells cannot reveal a small
  cell either.
- A funnel's running counts (people reaching step i) are sums of the *stopped-at* cells from
  step i on; `visible_reaches` publishes such a sum only when the hidden cells it (and its
  complement) contain are, together, as safe as the suppression rule requires of the whole
  hidden set, so no difference of published numbers isolates a small cell.
"""

from __future__ import annotations

from collections.abc import Sequence

from learnledger.metrics.privacy import ProtectedCell, is_small, protect, suppression_reason

__all__ = [
    "hidden_set_is_safe",
    "inner_sum_is_safe",
    "is_small",
    "protect_partition",
    "suppression_reason",
    "visible_reaches",
    "withhold",
]


def withhold(count: int | None, min_group_size: int) -> int | None:
    """`count`, or None when it describes 1 to `min_group_size - 1` people."""
    if count is None or is_small(count, min_group_size):
        return None
    return count


def protect_partition(
    cells: Sequence[tuple[str, int]], total: int, min_group_size: int
) -> tuple[dict[str, bool], bool]:
    """Suppression of each cell (key -> suppressed) of a partition of `total` people, and
    whether the total itself must be hidden."""
    protected = [ProtectedCell(key, people) for key, people in cells]
    whole = ProtectedCell("__total__", total)
    protect(protected, whole, min_group_size)
    return {cell.key: cell.suppressed for cell in protected}, whole.suppressed


def hidden_set_is_safe(hidden: Sequence[int], min_group_size: int) -> bool:
    """Whether the sum of these hidden cells may be known: none, or (as in
    `learnledger.metrics.privacy.protect`) two or more cells, not all of one person, together
    at least `min_group_size` people."""
    if not any(hidden):
        return True
    total = sum(hidden)
    return len(hidden) >= 2 and total > len(hidden) and total >= min_group_size


def visible_reaches(
    stopped: Sequence[int], suppressed: Sequence[bool], min_group_size: int
) -> list[bool]:
    """Which running counts (people reaching step i = the sum of `stopped[i:]`) may be published
    next to the published cells of the partition `stopped`.

    Step i is published only when the hidden cells between the previous published step and i,
    and the hidden cells from i on, are each a safe hidden set (`hidden_set_is_safe`); then the
    difference of any two published counts covers a union of safe hidden sets, which is safe.
    """
    visible: list[bool] = []
    last = 0
    for index in range(len(stopped)):
        reach = sum(stopped[index:])
        between = [n for n, s in zip(stopped[last:index], suppressed[last:index], strict=True) if s]
        tail = [n for n, s in zip(stopped[index:], suppressed[index:], strict=True) if s]
        ok = (
            not is_small(reach, min_group_size)
            and hidden_set_is_safe(between, min_group_size)
            and hidden_set_is_safe(tail, min_group_size)
        )
        visible.append(ok)
        if ok:
            last = index
    return visible


def inner_sum_is_safe(suppressed_counts: Sequence[tuple[int, bool]], inner: range, k: int) -> bool:
    """Whether the sum of the cells at positions `inner` of a published partition may become
    known (another breakdown of exactly those people publishes its total): the hidden cells
    inside `inner` and the hidden cells outside it must each be a safe hidden set."""
    inside = [n for i, (n, s) in enumerate(suppressed_counts) if s and i in inner]
    outside = [n for i, (n, s) in enumerate(suppressed_counts) if s and i not in inner]
    return hidden_set_is_safe(inside, k) and hidden_set_is_safe(outside, k)
