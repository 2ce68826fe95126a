"""Small-cell suppression with complementary suppression, so totals cannot reveal a cell.

Rule (documented in docs/metrics.md):

1. *Primary*: a cell describing between 1 and `min_group_size - 1` people is suppressed: its
   value and its people count are published as null, with `suppressed` set and a reason.
   Empty cells (0 people) are published.
2. *Complementary*: the cells of one breakdown (one period, one split) add up to the total
   published with them, so the total minus the published cells is the aggregate of the
   suppressed cells together. If exactly one cell of such a set is suppressed, that is its
   value and count; if the suppressed cells all hold one person each, their counts are known
   once their sum is; and if together they hold fewer than `min_group_size` people, the
   subtraction describes a small group. In each case the next smallest published cell (fewest
   people, then by key) is suppressed too, and again until none holds; when no published cell
   is left, the total is suppressed instead.
3. *Across queries over the org hierarchy* (see `runner`): a unit's result hides what the
   breakdown of any of its ancestors hides, so subtracting a unit's result from its parent's
   cannot reveal the parent's suppressed cells either.

Primary and complementary suppressions carry the same reason, so a reader cannot tell which
cells are the small ones (that would let them bound the hidden counts).
"""

from __future__ import annotations

from dataclasses import dataclass


def suppression_reason(min_group_size: int) -> str:
    """The reason shown on every suppressed cell."""
    return (
        f"suppressed: fewer than {min_group_size} people, or a cell that would let such a "
        "group be recovered from the totals"
    )


@dataclass
class ProtectedCell:
    """What suppression needs to know about a cell, and what it decides."""

    key: str
    people: int | None
    suppressed: bool = False


def is_small(people: int | None, min_group_size: int) -> bool:
    """Whether a group of `people` is too small to publish (1 .. min_group_size - 1)."""
    return people is not None and 0 < people < min_group_size


def protect(cells: list[ProtectedCell], total: ProtectedCell | None, min_group_size: int) -> None:
    """Apply primary and complementary suppression to one set of `cells` and its `total`."""
    for cell in cells:
        if is_small(cell.people, min_group_size):
            cell.suppressed = True
    if total is not None and is_small(total.people, min_group_size):
        total.suppressed = True
    if total is None or total.suppressed:
        return
    while True:
        hidden = [c for c in cells if c.suppressed]
        if not hidden:
            return
        hidden_people = sum(c.people or 0 for c in hidden)
        if len(hidden) >= 2 and hidden_people > len(hidden) and hidden_people >= min_group_size:
            return
        candidates = sorted(
            (c for c in cells if not c.suppressed and c.people),
            key=lambda c: (c.people or 0, c.key),
        )
        if not candidates:
            total.suppressed = True
            return
        candidates[0].suppressed = True
