"""People in training and what their training is expected to give them.

An *offer* is a programme, or a course outside any programme. An offer teaches the skills its
assessments' items measure (``assessment_items.skill_id``). For each offer:

- **completion probability**: its observed completion rate over closed enrolments
  (``completed / (completed + failed + withdrawn)``; cancellations are not attempts);
- **duration**: the median days from enrolment to completion, which dates an open enrolment
  without a due date;
- **measured gain per skill**: for people who completed it, their proficiency on the first
  rating day after completion minus that on their latest rating day before they enrolled
  (``proficiency_ratings``, mean of the raters of that day), with its mean, standard
  deviation and count.

A rate or gain measured on fewer than `min_group_size` people is not published and not used:
the training then adds nothing to the forecast (with no improvement data, assume no
improvement), and the offer's row says so.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass, field

from learnledger.governance.consent import ExclusionQuery
from learnledger.storage.engine import Engine

#: The offer of a course: its programme, or the course itself when it has none.
_COURSE_OFFERS = "SELECT course_id, coalesce(programme_id, course_id) AS offer_id FROM courses"
#: The skills each offer teaches: the skills its assessments' items measure.
_OFFER_SKILLS = """SELECT DISTINCT
       coalesce(a.programme_id, c.programme_id, a.course_id) AS offer_id, i.skill_id
FROM assessment_items i JOIN assessments a ON a.assessment_id = i.assessment_id
LEFT JOIN courses c ON c.course_id = a.course_id
WHERE i.skill_id IS NOT NULL
  AND coalesce(a.programme_id, c.programme_id, a.course_id) IS NOT NULL"""
OPEN_STATUSES = ("enrolled", "in_progress")
CLOSED_STATUSES = ("completed", "failed", "withdrawn")


@dataclass
class SkillGain:
    """The measured pre -> post gain of one offer on one skill."""

    skill_id: str
    people: int
    mean: float | None = None
    sd: float | None = None

    @property
    def standard_error(self) -> float | None:
        """Standard error of the mean gain."""
        if self.sd is None or self.people < 2:
            return None
        return self.sd / math.sqrt(self.people)


@dataclass
class Offer:
    """A programme (or stand-alone course) with what it is observed to achieve."""

    offer_id: str
    name: str
    skills: set[str] = field(default_factory=set)
    closed: int = 0  # people with a closed enrolment
    completion_rate: float | None = None
    median_days: float | None = None
    gains: dict[str, SkillGain] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary (published figures only)."""
        return {
            "offer_id": self.offer_id,
            "name": self.name,
            "completion_rate": _round(self.completion_rate, 3),
            "median_days": _round(self.median_days, 1),
            "skills": [
                {
                    "skill_id": s,
                    "people": g.people if g.mean is not None else None,
                    "gain": _round(g.mean, 3),
                    "gain_sd": _round(g.sd, 3),
                    "gain_se": _round(g.standard_error, 3),
                    "measured": g.mean is not None,
                }
                for s, g in sorted(self.gains.items())
            ],
        }


@dataclass(frozen=True)
class OpenTraining:
    """One person's open training in one offer, with its expected completion date."""

    person_id: str
    offer_id: str
    expected_end: dt.date


def load_offers(
    engine: Engine, as_of: dt.date, consent: ExclusionQuery, min_group_size: int
) -> dict[str, Offer]:
    """Every offer that teaches a skill, with its completion rate, duration and gains."""
    names = dict(engine.fetch_all("SELECT programme_id, name FROM programmes"))
    names.update(
        {c: n for c, n in engine.fetch_all("SELECT course_id, name FROM courses") if c not in names}
    )
    offers: dict[str, Offer] = {}
    for offer_id, skill_id in engine.fetch_all(_OFFER_SKILLS):
        offer = offers.setdefault(
            str(offer_id), Offer(str(offer_id), str(names.get(offer_id, offer_id)))
        )
        offer.skills.add(str(skill_id))
    _completion(engine, offers, as_of, consent, min_group_size)
    _gains(engine, offers, as_of, consent, min_group_size)
    return offers


def open_training(
    engine: Engine, offers: dict[str, Offer], as_of: dt.date, consent: ExclusionQuery
) -> list[OpenTraining]:
    """Open enrolments (enrolled, in progress) in offers that teach a skill, dated by their
    due date, else by enrolment + the offer's median duration; overdue ones end `as_of`."""
    sql = f"""SELECT e.person_id, co.offer_id, e.enrolled_at, e.due_date
FROM enrolments e JOIN ({_COURSE_OFFERS}) co ON co.course_id = e.course_id
WHERE e.status IN ('enrolled', 'in_progress') AND e.enrolled_at <= ?
  AND e.person_id NOT IN ({consent.sql})"""
    moment = dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
    found: dict[tuple[str, str], dt.date] = {}
    for person_id, offer_id, enrolled_at, due in engine.fetch_all(sql, [moment, *consent.params]):
        offer = offers.get(str(offer_id))
        if offer is None:
            continue
        if due is not None:
            end = due
        else:
            days = offer.median_days if offer.median_days is not None else 0.0
            end = enrolled_at.date() + dt.timedelta(days=round(days))
        end = max(end, as_of)
        key = (str(person_id), offer.offer_id)
        # Several open courses of one programme: the training ends with the last of them.
        found[key] = max(found.get(key, end), end)
    return [OpenTraining(p, o, end) for (p, o), end in sorted(found.items())]


def _completion(
    engine: Engine,
    offers: dict[str, Offer],
    as_of: dt.date,
    consent: ExclusionQuery,
    min_group_size: int,
) -> None:
    sql = f"""SELECT co.offer_id, COUNT(DISTINCT e.person_id),
       SUM(CASE WHEN e.status = 'completed' THEN 1 ELSE 0 END), COUNT(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE
         WHEN e.status = 'completed' AND e.completed_at >= e.enrolled_at
         THEN EXTRACT(EPOCH FROM e.completed_at) - EXTRACT(EPOCH FROM e.enrolled_at) END)
FROM enrolments e JOIN ({_COURSE_OFFERS}) co ON co.course_id = e.course_id
WHERE e.status IN ('completed', 'failed', 'withdrawn') AND e.enrolled_at <= ?
  AND e.person_id NOT IN ({consent.sql})
GROUP BY co.offer_id"""
    moment = dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
    for offer_id, people, done, total, median_seconds in engine.fetch_all(
        sql, [moment, *consent.params]
    ):
        offer = offers.get(str(offer_id))
        if offer is None:
            continue
        offer.closed = int(people)
        if offer.closed >= min_group_size:
            offer.completion_rate = int(done) / int(total)
            if median_seconds is not None:
                offer.median_days = float(median_seconds) / 86_400


def _gains(
    engine: Engine,
    offers: dict[str, Offer],
    as_of: dt.date,
    consent: ExclusionQuery,
    min_group_size: int,
) -> None:
    sql = f"""WITH co AS ({_COURSE_OFFERS}),
taught AS ({_OFFER_SKILLS}),
done AS (SELECT e.person_id, co.offer_id, min(e.enrolled_at) AS started,
                max(e.completed_at) AS finished
         FROM enrolments e JOIN co ON co.course_id = e.course_id
         WHERE e.status = 'completed' AND e.completed_at IS NOT NULL AND e.completed_at <= ?
           AND e.person_id NOT IN ({consent.sql})
         GROUP BY e.person_id, co.offer_id),
pairs AS (SELECT d.person_id, d.offer_id, t.skill_id, d.started, d.finished
          FROM done d JOIN taught t ON t.offer_id = d.offer_id),
pre_day AS (SELECT p.person_id, p.offer_id, p.skill_id, max(r.rated_on) AS day
            FROM pairs p JOIN proficiency_ratings r
              ON r.person_id = p.person_id AND r.skill_id = p.skill_id AND r.rated_on <= p.started
            GROUP BY p.person_id, p.offer_id, p.skill_id),
post_day AS (SELECT p.person_id, p.offer_id, p.skill_id, min(r.rated_on) AS day
             FROM pairs p JOIN proficiency_ratings r
               ON r.person_id = p.person_id AND r.skill_id = p.skill_id
              AND r.rated_on >= p.finished AND r.rated_on <= ?
             GROUP BY p.person_id, p.offer_id, p.skill_id),
pre AS (SELECT d.person_id, d.offer_id, d.skill_id, avg(r.level) AS level
        FROM pre_day d JOIN proficiency_ratings r
          ON r.person_id = d.person_id AND r.skill_id = d.skill_id AND r.rated_on = d.day
        GROUP BY d.person_id, d.offer_id, d.skill_id),
post AS (SELECT d.person_id, d.offer_id, d.skill_id, avg(r.level) AS level
         FROM post_day d JOIN proficiency_ratings r
           ON r.person_id = d.person_id AND r.skill_id = d.skill_id AND r.rated_on = d.day
         GROUP BY d.person_id, d.offer_id, d.skill_id)
SELECT pre.offer_id, pre.skill_id, post.level - pre.level
FROM pre JOIN post ON post.person_id = pre.person_id AND post.offer_id = pre.offer_id
 AND post.skill_id = pre.skill_id"""
    moment = dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
    gains: dict[tuple[str, str], list[float]] = {}
    for offer_id, skill_id, gain in engine.fetch_all(sql, [moment, *consent.params, as_of]):
        gains.setdefault((str(offer_id), str(skill_id)), []).append(float(gain))
    for offer in offers.values():
        for skill_id in offer.skills:
            values = gains.get((offer.offer_id, skill_id), [])
            gain = SkillGain(skill_id, len(values))
            if len(values) >= max(min_group_size, 2):
                gain.mean = statistics.fmean(values)
                gain.sd = statistics.stdev(values)
            offer.gains[skill_id] = gain


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
