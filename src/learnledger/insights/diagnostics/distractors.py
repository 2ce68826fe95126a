"""Distractor analysis of one item: who chose each response option, overall and in the upper
and lower 27 % of total scores, and which wrong options misbehave.

Privacy: the share answering correctly is the item's difficulty, a rate over the group
(published when the group has at least `min_group_size` people, like every rate). The wrong
answers partition the people who answered wrongly (whose number the difficulty already
gives), so the counts per wrong option pass `protect_partition` within that group: a wrong
option chosen by 1 to `min_group_size - 1` people, and the complements that would reveal it,
are hidden; when that is not enough (all hidden options hold one person each), every wrong
option is hidden. The same holds inside the upper and the lower group; a group smaller than
`min_group_size` shows nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from learnledger.insights.diagnostics.report import rounded
from learnledger.insights.diagnostics.suppression import is_small, protect_partition

NO_RESPONSE = "(none)"


@dataclass(frozen=True)
class OptionShare:
    """Who chose one response option of one item (None: suppressed)."""

    item: str
    option: str
    correct: bool
    chosen: int | None
    share: float | None
    share_upper: float | None
    share_lower: float | None
    attracts_high_scorers: bool
    suppressed: bool


def option_shares(
    item: str,
    answers: Mapping[str, str | None],
    correct_option: str | None,
    defined: Collection[str],
    groups: tuple[Collection[str], Collection[str]],
    *,
    min_group_size: int,
    non_functioning: float,
) -> tuple[list[OptionShare], list[str]]:
    """The option rows of `item` from each person's response (`answers`), the options its
    definition lists (`defined`, so never-chosen options show), and the (upper, lower) groups
    of people; and the flag reasons of its wrong options."""
    upper, lower = groups
    options = sorted({a or NO_RESPONSE for a in answers.values()} | set(defined))
    overall = Counter(a or NO_RESPONSE for a in answers.values())
    top = Counter(answers[p] or NO_RESPONSE for p in upper)
    bottom = Counter(answers[p] or NO_RESPONSE for p in lower)
    shown = _published(overall, options, correct_option, len(answers), min_group_size)
    shown_top = _published(top, options, correct_option, len(upper), min_group_size)
    shown_bottom = _published(bottom, options, correct_option, len(lower), min_group_size)
    rows, reasons = [], []
    for option in options:
        is_correct = option == correct_option
        share_top = top[option] / len(upper) if upper else 0.0
        share_bottom = bottom[option] / len(lower) if lower else 0.0
        attracts = not is_correct and top[option] > 0 and share_top > share_bottom
        share = overall[option] / len(answers)
        if attracts:
            reasons.append(f"distractor {option} attracts high scorers")
        elif not is_correct and share < non_functioning:
            reasons.append(f"distractor {option} not chosen")
        rows.append(
            OptionShare(
                item=item,
                option=option,
                correct=is_correct,
                chosen=shown[option],
                share=None if shown[option] is None else rounded(share),
                share_upper=None if shown_top[option] is None else rounded(share_top),
                share_lower=None if shown_bottom[option] is None else rounded(share_bottom),
                attracts_high_scorers=attracts,
                suppressed=shown[option] is None,
            )
        )
    return rows, reasons


def _published(
    counts: Counter[str], options: list[str], correct: str | None, group: int, k: int
) -> dict[str, int | None]:
    """Each option's count as published in a group of `group` people (None: hidden)."""
    if group == 0 or is_small(group, k):
        return dict.fromkeys(options)
    wrong = [o for o in options if o != correct]
    total = sum(counts[o] for o in wrong)
    hidden, total_hidden = protect_partition([(o, counts[o]) for o in wrong], total, k)
    if total_hidden:
        # The wrong answerers' total is known from the difficulty, so it cannot be hidden:
        # hide every wrong option instead (empty ones too, or the rest could be deduced).
        hidden = dict.fromkeys(wrong, True)
    published: dict[str, int | None] = {o: None if hidden[o] else counts[o] for o in wrong}
    if correct is not None and correct in options:
        published[correct] = counts[correct]
    return published
