"""xAPI vocabulary the demo content speaks: ADL and cmi5 verbs, the video profile, activity
types and extensions, plus builders for the (shared, never mutated) activity objects."""

from __future__ import annotations

from typing import Any

JsonObject = dict[str, Any]

ADL = "http://adlnet.gov/expapi/verbs/"
VIDEO = "https://w3id.org/xapi/video/"
CMI5_CATEGORY = {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}
MOVEON_CATEGORY = {"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}
PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
LAUNCH_MODE = "https://w3id.org/xapi/cmi5/context/extensions/launchmode"
MOVE_ON = "https://w3id.org/xapi/cmi5/context/extensions/moveon"
MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
VIDEO_TIME = VIDEO + "extensions/time"
VIDEO_FROM = VIDEO + "extensions/time-from"
VIDEO_TO = VIDEO + "extensions/time-to"
VIDEO_PROGRESS = VIDEO + "extensions/progress"
VIDEO_SEGMENTS = VIDEO + "extensions/played-segments"
VIDEO_LENGTH = VIDEO + "extensions/length"


def verb(iri: str, display: str) -> JsonObject:
    """A verb object with an en-US display."""
    return {"id": iri, "display": {"en-US": display}}


LAUNCHED = verb(ADL + "launched", "launched")
INITIALIZED = verb(ADL + "initialized", "initialized")
PROGRESSED = verb(ADL + "progressed", "progressed")
EXPERIENCED = verb(ADL + "experienced", "experienced")
INTERACTED = verb(ADL + "interacted", "interacted")
ANSWERED = verb(ADL + "answered", "answered")
PASSED = verb(ADL + "passed", "passed")
FAILED = verb(ADL + "failed", "failed")
COMPLETED = verb(ADL + "completed", "completed")
TERMINATED = verb(ADL + "terminated", "terminated")
ATTENDED = verb(ADL + "attended", "attended")
ABANDONED = verb("https://w3id.org/xapi/adl/verbs/abandoned", "abandoned")
PLAYED = verb(VIDEO + "verbs/played", "played")
PAUSED = verb(VIDEO + "verbs/paused", "paused")
SEEKED = verb(VIDEO + "verbs/seeked", "seeked")

ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "interactive": "http://adlnet.gov/expapi/activities/interaction",
    "simulation": "http://adlnet.gov/expapi/activities/simulation",
    "video": VIDEO + "activity-type/video",
    "session": "http://adlnet.gov/expapi/activities/meeting",
    "task": "http://adlnet.gov/expapi/activities/performance",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "question": "http://adlnet.gov/expapi/activities/cmi.interaction",
}


def activity(iri: str, name: str, type_iri: str) -> JsonObject:
    """An Activity with a name and a type."""
    return {
        "objectType": "Activity",
        "id": iri,
        "definition": {"name": {"en-US": name}, "type": type_iri},
    }


def ref(iri: str) -> JsonObject:
    """A bare Activity reference for contextActivities (objectType defaults to Activity)."""
    return {"id": iri}


def choice_question(iri: str, prompt: str, correct: str, choices: tuple[str, ...]) -> JsonObject:
    """A multiple-choice cmi.interaction Activity."""
    return {
        "objectType": "Activity",
        "id": iri,
        "definition": {
            "name": {"en-US": prompt},
            "type": ACTIVITY_TYPES["question"],
            "interactionType": "choice",
            "correctResponsesPattern": [correct],
            "choices": [
                {"id": c, "description": {"en-US": f"Option {c.upper()}"}} for c in choices
            ],
        },
    }


def iso_duration(ms: int) -> str:
    """ISO 8601 duration to the hundredth of a second, e.g. ``PT1H2M3.45S``."""
    cs = ms // 10
    hours, rest = divmod(cs, 360_000)
    minutes, rest = divmod(rest, 6_000)
    seconds = f"{rest // 100}.{rest % 100:02d}S"
    if hours:
        return f"PT{hours}H{minutes}M{seconds}"
    if minutes:
        return f"PT{minutes}M{seconds}"
    return "PT" + seconds


def vendor_account(hr_id: str) -> str:
    """The user name a content vendor knows a person by (from the HR id)."""
    return "nb-" + hr_id.removeprefix("E-")
