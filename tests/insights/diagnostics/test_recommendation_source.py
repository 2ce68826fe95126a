"""The course-redesign recommender connected to the course diagnostics, on both engines."""

from __future__ import annotations

from learnledger.config import Settings
from learnledger.insights.diagnostics.funnel import course_funnel
from learnledger.insights.diagnostics.hotspots import items_to_fix
from learnledger.insights.diagnostics.population import population
from learnledger.insights.recommendations import default_recommenders
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.diagnostics_source import DiagnosticsCourseSource
from learnledger.insights.recommendations.engine import RecommendationEngine
from learnledger.storage.engine import Engine


def test_drop_offs_and_item_flags_reach_the_course_recommendations(course: Engine) -> None:
    source = DiagnosticsCourseSource(min_group_size=3)
    drop_offs = source.module_dropoff(course)
    assert drop_offs
    for course_id in {d.course_id for d in drop_offs}:
        funnel = course_funnel(course, course_id, population(), min_group_size=3)
        published = {s.module_id: s for s in funnel.steps if s.reached is not None}
        for row in (d for d in drop_offs if d.course_id == course_id):
            assert row.reached == published[row.module_id].reached
            assert row.dropped == published[row.module_id].stopped_here
    flags = source.item_flags(course)
    expected = items_to_fix(course, population(), min_group_size=3)
    assert {(f.assessment_id, f.item_id) for f in flags} == {
        (f.assessment_id, f.item) for f in expected
    }
    assert all(f.flags for f in flags)
    context = RecommendationContext.from_settings(course, Settings(min_group_size=3))
    result = RecommendationEngine(
        default_recommenders(course_diagnostics=source, programme_rois=lambda e, o: [])
    ).run(context, {"courses"})
    notes = [note.lower() for lines in result.notes.values() for note in lines]
    assert not any("no course diagnostics" in note for note in notes)
    unconnected = RecommendationEngine(default_recommenders(programme_rois=lambda e, o: [])).run(
        context, {"courses"}
    )
    assert any(
        "no course diagnostics" in note.lower()
        for lines in unconnected.notes.values()
        for note in lines
    )
