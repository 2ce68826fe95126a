"""The early-warning study on the full OULAD: train on the 2013 presentations, test on 2014.

Imports OULAD through the shipped ``oulad`` mapping into a DuckDB file (skipped when the file
already holds it), computes the features at days 0, 14, 28, 56, 84 and 140 of every
presentation, fits gradient boosting and logistic regression on the enrolments whose
presentation started in 2013 and reports, on the 2014 presentations, AUC, precision and recall
at the alert budget and calibration for both models and the Open edX Aspects rule, on every
enrolment known at the cut-off and on those still registered. Results go to stdout (Markdown)
and, with --json, to a file.

    nice -n 10 .venv/bin/python benchmarks/early_warning_oulad.py \
        --database build/oulad.duckdb [--data ../shared/data/oulad] [--budget 0.2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "oulad"
KINDS = ("gradient_boosting", "logistic_regression", "aspects_rule")


def ensure_imported(url: str, data: Path) -> None:
    """Import OULAD into `url` unless its enrolments are already there."""
    from learnledger.ingest import MAPPINGS_DIR, DataSource, Importer, SourceRegistry
    from learnledger.storage import Migrator, open_engine

    with open_engine(url) as engine:
        Migrator(engine).migrate()
        row = engine.fetch_one("SELECT COUNT(*) FROM enrolments")
        if row and row[0]:
            return
        SourceRegistry(engine).add(
            DataSource(
                "oulad", "OULAD", "lms", "Learning analytics", "study", "legitimate_interest"
            )
        )
        start = time.perf_counter()
        Importer(engine).run(data, MAPPINGS_DIR / "oulad.yml")
        print(f"imported OULAD in {time.perf_counter() - start:.0f} s", file=sys.stderr)


def main() -> None:
    """Run the study."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, required=True, help="DuckDB file (created)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--memory-limit", default="6GB")
    parser.add_argument("--budget", type=float, default=0.2)
    parser.add_argument("--test-from", default="2014-01-01")
    parser.add_argument("--json", type=Path, help="write the full report here")
    args = parser.parse_args()

    from learnledger.insights.early_warning.dataset import labelled_set
    from learnledger.insights.early_warning.validation import DEFAULT_DAYS, validate
    from learnledger.storage import open_engine

    url = f"duckdb:///{args.database.resolve()}?memory_limit={args.memory_limit}"
    ensure_imported(url, args.data)
    with open_engine(url) as engine:
        start = time.perf_counter()
        data = labelled_set(engine, DEFAULT_DAYS)
        features_s = time.perf_counter() - start
        start = time.perf_counter()
        validated = validate(
            data,
            DEFAULT_DAYS,
            test_from=dt.date.fromisoformat(args.test_from),
            budget=args.budget,
        )
        fit_s = time.perf_counter() - start
    report = validated.report
    print(
        f"features {features_s:.1f} s, fit + evaluate {fit_s:.1f} s; train rows "
        f"{report.train_rows} ({report.train_enrolments} enrolments), test rows "
        f"{report.test_rows} ({report.test_enrolments} enrolments)\n"
    )
    for population, title in (
        ("all_enrolments", "every enrolment known at the cut-off"),
        ("still_registered", "enrolments still registered at the cut-off"),
    ):
        table = getattr(report, population)
        print(f"AUC on the 2014 presentations, {title}\n")
        print("| day | " + " | ".join(KINDS) + " |")
        print("|---:|" + "---:|" * len(KINDS))
        for day in DEFAULT_DAYS:
            cells = [table[k][day].auc for k in KINDS]
            print(f"| {day} | " + " | ".join("" if c is None else f"{c:.3f}" for c in cells) + " |")
        print()
        print(
            f"Precision / recall at the {args.budget:.0%} alert budget (the rule: its own "
            f"flags), Brier score\n"
        )
        print("| day | model | flagged | precision | recall | Brier |")
        print("|---:|---|---:|---:|---:|---:|")
        for day in DEFAULT_DAYS:
            for kind in KINDS:
                e = table[kind][day]
                brier = "" if e.brier is None else f"{e.brier:.3f}"
                precision = "" if e.precision_at_budget is None else f"{e.precision_at_budget:.3f}"
                recall = "" if e.recall_at_budget is None else f"{e.recall_at_budget:.3f}"
                print(f"| {day} | {kind} | {e.flagged} | {precision} | {recall} | {brier} |")
        print()
    gb = report.all_enrolments["gradient_boosting"]
    print("Reliability (gradient boosting, every enrolment), day: mean score -> observed rate")
    for day in (28, 140):
        bins = [
            f"{b.mean_score:.2f}->{b.observed_rate:.2f} (n={b.count})"
            for b in gb[day].reliability
            if b.count
        ]
        print(f"  day {day}: " + "; ".join(bins))
    if args.json:
        args.json.write_text(json.dumps(report.as_json(), indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
