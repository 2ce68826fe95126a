"""Benchmark the recommenders: seconds per recommender on a demo database.

Opens an existing demo (build one with `learnledger demo --no-serve`) and runs every built-in
recommender --runs times on a fresh context each run (nothing cached between runs; the
programme recommender runs the ROI engine for every monetised programme). Prints a Markdown
table of the median seconds per recommender and the recommendations it made.

    python benchmarks/recommendations.py duckdb:///learnledger.duckdb --runs 3

Results in docs/benchmarks.md (Recommendations).
"""

from __future__ import annotations

import argparse
import statistics
import time

from learnledger.insights.recommendations import default_recommenders
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.storage import open_engine


def main() -> None:
    """Parse the options and time every recommender."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database_url", help="URL of an existing demo database")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with open_engine(args.database_url) as engine:
        people = engine.fetch_one("SELECT COUNT(*) FROM people")
        print(f"{people[0] if people else 0:,} people")
        print("| recommender | seconds (median) | recommendations |")
        print("|---|---:|---:|")
        totals: list[float] = []
        times: dict[str, list[float]] = {}
        counts: dict[str, int] = {}
        for _ in range(args.runs):
            context = RecommendationContext(engine)
            context.excluded_individually  # noqa: B018 - consent is read once per run
            started = time.perf_counter()
            for recommender in default_recommenders():
                began = time.perf_counter()
                output = recommender.recommend(context)
                times.setdefault(recommender.name, []).append(time.perf_counter() - began)
                counts[recommender.name] = len(output.recommendations)
            totals.append(time.perf_counter() - started)
        for name, seconds in times.items():
            print(f"| {name} | {statistics.median(seconds):.2f} | {counts[name]:,} |")
        print(f"| all | {statistics.median(totals):.2f} | {sum(counts.values()):,} |")


if __name__ == "__main__":
    main()
