"""Hand-written SQL mutants: does the suite notice when a model's logic is subtly broken?

Each mutant is one realistic slip (a flipped comparison, a dropped abs(), a
removed filter) in a model or macro. The runner copies the project into
target/mutation/project, checks that the unmutated copy passes the checks, then
for each mutant applies its edits, runs `dbt build` on the committed sample
(every unit and data test of the project) and the mutant's own pytest
selection, and restores the files. A mutant is killed when a check fails and
survives when all pass. An edit whose text is no longer in its file is
reported as stale, never as survived: the mutant needs rewriting after the
model changed.

    python -m mutation.sql [NAME ...]    (make mutation runs every one)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
WORK_DIR = PROJECT_DIR / "target" / "mutation"
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Edit:
    """Replace `old`, which must occur exactly once, by `new` in the file at `path`."""

    path: str
    old: str
    new: str


@dataclass(frozen=True)
class Mutant:
    """One slip, the edits that make it, and the pytest selection beside `dbt build`."""

    name: str
    slip: str
    edits: tuple[Edit, ...]
    pytest: tuple[str, ...] = field(default=())


MIN_VALID_DATE = "cast({{ sql_string(var('min_valid_date')) }} as date)"

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "staging_amount_abs_dropped",
        "dropped abs(): a refund of any size passes max_abs_amount",
        (
            Edit(
                "models/staging/base_raw__transactions_typed.sql",
                "when abs(amount_number) > {{ var('max_abs_amount') }}",
                "when amount_number > {{ var('max_abs_amount') }}",
            ),
        ),
    ),
    Mutant(
        "staging_refund_flipped",
        "flipped comparison: purchases counted as refunds",
        (
            Edit(
                "models/staging/base_raw__transactions.sql",
                "amount < 0 as is_refund",
                "amount > 0 as is_refund",
            ),
        ),
    ),
    Mutant(
        "staging_implausible_date_boundary",
        "flipped boundary: a transaction on min_valid_date itself is rejected",
        (
            Edit(
                "models/staging/base_raw__transactions_typed.sql",
                f"transaction_at < {MIN_VALID_DATE}",
                f"transaction_at <= {MIN_VALID_DATE}",
            ),
        ),
    ),
    Mutant(
        "staging_rejects_filter_removed",
        "removed filter: rejected and superseded CRM rows reach stg_raw__demographics",
        (
            Edit(
                "models/staging/stg_raw__demographics.sql",
                "    where base_demographics.reject_reason is null\n",
                "",
            ),
        ),
    ),
    Mutant(
        "staging_personal_data_carried",
        "personal data carried past the base layer: email in stg_raw__demographics",
        (
            Edit(
                "models/staging/base_raw__demographics.sql",
                "        updated_at,\n        reject_reason,",
                "        updated_at,\n        email_raw as email,\n        reject_reason,",
            ),
            Edit(
                "models/staging/stg_raw__demographics.sql",
                "        region,\n        signup_date,",
                "        region,\n        email,\n        signup_date,",
            ),
        ),
        ("tests/python/test_personal_data.py",),
    ),
    Mutant(
        "staging_rejected_record_unmasked",
        "personal data kept in rejected_rows: the raw record's personal columns unmasked",
        (
            Edit(
                "macros/rejected_records.sql",
                "            if column.personal else raw",
                "            if false else raw",
            ),
        ),
        ("tests/python/test_personal_data.py",),
    ),
    Mutant(
        "staging_null_marker_case_sensitive",
        "case dropped: an id written n/a or Null becomes a customer",
        (
            Edit(
                "macros/customer_ids.sql",
                "coalesce(lower({{ trimmed_id(raw_expression) }}) in",
                "coalesce({{ trimmed_id(raw_expression) }} in",
            ),
        ),
    ),
    Mutant(
        "features_refund_filter_removed",
        "removed filter: refunds counted as purchases in the customer metrics",
        (
            Edit(
                "models/features/int_transactions__customer_metrics.sql",
                "    from transactions\n    where not is_refund\n",
                "    from transactions\n",
            ),
        ),
    ),
    Mutant(
        "naming_noise_filter_removed",
        "removed filter: a segment rule may name the outliers",
        (
            Edit(
                "models/segments/int_segments__rule_matches.sql",
                "    where cluster_id != {{ noise_cluster_id }}\n",
                "",
            ),
        ),
    ),
    Mutant(
        "naming_strength_abs_dropped",
        "dropped abs(): a descriptor below average never ranks as strong",
        (
            Edit(
                "models/segments/int_segments__cluster_descriptors.sql",
                "abs(z_score) as strength",
                "z_score as strength",
            ),
        ),
    ),
    Mutant(
        "naming_descriptor_limit_flipped",
        "flipped comparison: one descriptor fewer than segment_name_descriptors in a name",
        (
            Edit(
                "models/segments/int_segments__cluster_descriptors.sql",
                "descriptor_rank <= {{ var('segment_name_descriptors') }}",
                "descriptor_rank < {{ var('segment_name_descriptors') }}",
            ),
        ),
    ),
    Mutant(
        "publish_change_abs_dropped",
        "dropped abs(): the audit lets a build that shrank (or grew) past its limit publish",
        (
            Edit(
                "macros/publish.sql",
                "passed='abs(' ~ change ~ ') <= ' ~ allowed,",
                "passed=change ~ ' <= ' ~ allowed,",
            ),
        ),
    ),
    Mutant(
        "publish_match_share_flipped",
        "flipped comparison: sources matching well are reported as matching too few",
        (
            Edit(
                "models/publish/int_publish__audit_figures.sql",
                "where match_share < {{ min_match_share }}",
                "where match_share > {{ min_match_share }}",
            ),
        ),
    ),
    Mutant(
        "publish_noise_filter_removed",
        "removed filter: the audit counts the outliers as a segment",
        (
            Edit(
                "macros/publish.sql",
                "count(distinct cluster_id) filter (where cluster_id >= 0)",
                "count(distinct cluster_id)",
            ),
        ),
        ("tests/python/test_publish_audit.py",),
    ),
)


@dataclass(frozen=True)
class Outcome:
    """What happened to one mutant: killed (and by what), survived or stale."""

    mutant: Mutant
    verdict: str
    detail: str
    seconds: float


def copy_project(destination: Path) -> None:
    """The project's files as git sees them (tracked and new, not ignored) under `destination`."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT_DIR,
        capture_output=True,
        check=True,
    ).stdout.decode()
    shutil.rmtree(destination, ignore_errors=True)
    for name in filter(None, listed.split("\0")):
        source = PROJECT_DIR / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def run_checks(project: Path, mutant: Mutant | None, state: Path) -> str | None:
    """Run `dbt build` and the mutant's pytest selection; the first failing check, or None."""
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    env = {
        **os.environ,
        "SEGMENTATION_DB_PATH": str(state / "warehouse.duckdb"),
        "SEGMENTATION_PUBLISH_DIR": str(state / "published"),
        "DBT_TARGET_PATH": str(state / "target"),
        "DBT_LOG_PATH": str(state / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = [str(BIN / "dbt"), "build", "--project-dir", str(project), "--profiles-dir", str(project)]
    checks = [("dbt build", dbt)]
    selection = mutant.pytest if mutant else tuple(m for mu in MUTANTS for m in mu.pytest)
    if selection:
        pytest = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
        checks.append(("pytest", [*pytest, f"--basetemp={state / 'pytest'}", *set(selection)]))
    for label, command in checks:
        done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            return label
    return None


def apply(project: Path, edits: tuple[Edit, ...]) -> dict[Path, str] | None:
    """Apply the edits; the files' original texts, or None (nothing changed) when one is stale."""
    originals: dict[Path, str] = {}
    for edit in edits:
        path = project / edit.path
        current = path.read_text()
        if current.count(edit.old) != 1:
            restore(originals)
            return None
        originals.setdefault(path, current)
        path.write_text(current.replace(edit.old, edit.new))
    return originals


def restore(originals: dict[Path, str]) -> None:
    for path, text in originals.items():
        path.write_text(text)


def run_mutant(project: Path, mutant: Mutant) -> Outcome:
    started = time.perf_counter()
    originals = apply(project, mutant.edits)
    if originals is None:
        return Outcome(mutant, "stale", "an edit's text is not in its file once", 0.0)
    try:
        failed = run_checks(project, mutant, WORK_DIR / "state")
    finally:
        restore(originals)
    seconds = time.perf_counter() - started
    if failed:
        return Outcome(mutant, "killed", f"by {failed}", seconds)
    return Outcome(mutant, "survived", "every check passed", seconds)


def report(outcomes: list[Outcome]) -> str:
    """A Markdown table of the outcomes and the score (killed of the mutants that apply)."""
    lines = ["| mutant | slip | verdict | seconds |", "|---|---|---|---|"]
    for outcome in outcomes:
        verdict = f"{outcome.verdict} ({outcome.detail})"
        lines.append(
            f"| {outcome.mutant.name} | {outcome.mutant.slip} | {verdict} | {outcome.seconds:.0f} |"
        )
    applied = [o for o in outcomes if o.verdict != "stale"]
    killed = sum(o.verdict == "killed" for o in applied)
    lines.append(f"\nSQL mutants killed: {killed} of {len(applied)}")
    stale = len(outcomes) - len(applied)
    if stale:
        lines.append(f"Stale (rewrite them): {stale}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.names) - {m.name for m in MUTANTS}
    if unknown:
        parser.error(f"no mutant named {', '.join(sorted(unknown))}")
    chosen = [m for m in MUTANTS if not args.names or m.name in args.names]
    project = WORK_DIR / "project"
    copy_project(project)
    baseline = run_checks(project, None, WORK_DIR / "state")
    if baseline:
        print(f"The unmutated project fails its {baseline}: fix that before judging mutants.")
        return 2
    outcomes = []
    for mutant in chosen:
        outcome = run_mutant(project, mutant)
        print(f"{mutant.name}: {outcome.verdict} ({outcome.detail})", flush=True)
        outcomes.append(outcome)
    print(report(outcomes))
    return 1 if any(o.verdict == "stale" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
