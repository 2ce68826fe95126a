"""Roll-out: cohorts in staggered waves, and who joins which wave.

Voluntary programmes are joined in order of a propensity score that rises with a person's
ability, improvement trend and engagement (plus noise): the best and improving performers sign
up in the first waves, the least likely never do. This selection is what makes a naive
trained-versus-untrained comparison overstate a programme's effect. A mandatory programme rolls
out team by team in random order, so its waves carry no selection on performance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learnledger.demo.organisation import Roster
from learnledger.demo.spec import ProgrammeSpec, Scenario
from learnledger.demo.timeline import DayArray, FloatArray, IntArray, Timeline, stream

STREAM = 3
#: Days between enrolment into a wave and its planned end (the due date).
COHORT_DAYS = 70
#: A new hire joins a wave only after this many days in the company.
ONBOARDING_DAYS = 30
#: Weight of the noise in the voluntary propensity score.
PROPENSITY_NOISE = 0.8


@dataclass
class Cohorts:
    """Waves of every programme (index = cohort)."""

    ids: list[str]
    names: list[str]
    programme: IntArray
    wave: IntArray
    start: DayArray
    end: DayArray


@dataclass
class Participations:
    """One row per person and programme they were enrolled in."""

    programme: IntArray
    person: IntArray
    cohort: IntArray
    propensity: FloatArray

    @property
    def size(self) -> int:
        """Number of participations."""
        return len(self.person)


def wave_months(prog: ProgrammeSpec, months: int) -> list[int]:
    """Window month index of each wave of `prog` that starts in time to run."""
    launch = min(max(1, round(prog.launch_fraction * months)), max(1, months - 2))
    waves = [launch + w * prog.wave_gap_months for w in range(prog.waves)]
    return [m for m in waves if m <= months - 2] or [launch]


def eligible(scenario: Scenario, prog: ProgrammeSpec, roster: Roster) -> np.ndarray:
    """Who the programme targets, by job family and audience."""
    families = np.array([r.job_family for r in scenario.roles])[roster.role]
    in_family = np.isin(families, prog.target_families)
    if prog.audience == "members":
        return in_family & roster.is_member
    if prog.audience == "team_leads":
        return in_family & roster.is_team_lead
    return in_family


def plan_rollout(
    scenario: Scenario, timeline: Timeline, roster: Roster, seed: int
) -> tuple[Cohorts, Participations]:
    """Cohorts of each programme and the participations in them."""
    ids: list[str] = []
    names: list[str] = []
    c_prog: list[int] = []
    c_wave: list[int] = []
    starts: list[np.datetime64] = []
    p_prog: list[IntArray] = []
    p_person: list[IntArray] = []
    p_cohort: list[IntArray] = []
    p_score: list[FloatArray] = []
    for p, prog in enumerate(scenario.programmes):
        rng = stream(seed, STREAM, p)
        months = wave_months(prog, timeline.months)
        first_cohort = len(ids)
        wave_days = []
        for w, m in enumerate(months):
            day = np.busday_offset(timeline.month_starts[m] + 2, 0, roll="forward", weekmask="Mon")
            ids.append(f"{prog.programme_id}-W{w + 1}")
            names.append(f"{prog.name}, wave {w + 1}")
            c_prog.append(p)
            c_wave.append(w)
            starts.append(day)
            wave_days.append(day)
        days = np.array(wave_days, dtype="datetime64[D]")
        person, wave, score = _assign(prog, roster, eligible(scenario, prog, roster), days, rng)
        p_prog.append(np.full(len(person), p, dtype=np.int64))
        p_person.append(person)
        p_cohort.append(first_cohort + wave)
        p_score.append(score)
    start = np.array(starts, dtype="datetime64[D]")
    cohorts = Cohorts(
        ids=ids,
        names=names,
        programme=np.array(c_prog, dtype=np.int64),
        wave=np.array(c_wave, dtype=np.int64),
        start=start,
        end=(start + np.timedelta64(COHORT_DAYS, "D")).astype("datetime64[D]"),
    )
    parts = Participations(
        programme=np.concatenate(p_prog),
        person=np.concatenate(p_person),
        cohort=np.concatenate(p_cohort),
        propensity=np.concatenate(p_score),
    )
    return cohorts, parts


def _assign(
    prog: ProgrammeSpec,
    roster: Roster,
    mask: np.ndarray,
    days: DayArray,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Persons enrolled, their wave index and their propensity score."""
    onboard = np.timedelta64(ONBOARDING_DAYS, "D")
    candidates = np.flatnonzero(
        mask & (roster.hire + onboard <= days[-1]) & (roster.leave > days[0])
    )
    n_waves = len(days)
    a, g, e = prog.selection
    score = (
        a * roster.ability[candidates]
        + g * roster.trend[candidates]
        + e * roster.engagement[candidates]
        + PROPENSITY_NOISE * rng.standard_normal(len(candidates))
    )
    if prog.mandatory:
        teams = np.unique(roster.unit[candidates])
        order = rng.permutation(len(teams))
        team_wave = np.empty(len(teams), dtype=np.int64)
        team_wave[order] = np.arange(len(teams)) * n_waves // max(len(teams), 1)
        desired = team_wave[np.searchsorted(teams, roster.unit[candidates])]
        joins = rng.random(len(candidates)) < prog.uptake
    else:
        rank = np.empty(len(candidates), dtype=np.float64)
        rank[np.argsort(-score, kind="stable")] = np.arange(len(candidates))
        quantile = rank / max(len(candidates), 1)
        joins = quantile < prog.uptake
        desired = np.minimum((quantile / prog.uptake * n_waves).astype(np.int64), n_waves - 1)
    # New hires wait for onboarding: they join the first wave they can.
    ready = roster.hire[candidates] + onboard
    earliest = np.searchsorted(days, ready, side="left")
    wave = np.maximum(desired, earliest)
    ok = joins & (wave < n_waves)
    wave = np.minimum(wave, n_waves - 1)
    ok &= roster.leave[candidates] > days[wave]
    return candidates[ok], wave[ok], score[ok]
