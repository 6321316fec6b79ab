"""Publish the segment marts for BI tools at the end of `dbt build`.

A model rather than a step after dbt: `dbt build` runs a node only after its
parents' tests pass, so plain `dbt build` (not only `make build`) publishes,
and never publishes marts that failed a test, nor a build that failed an audit
of publish_audit (the pre-hook refuse_failed_publish). The work is in
`segmentation/publish.py`; this only gathers the marts and the settings
(var publish_keep_versions, handed over by the pre-hook set_python_model_settings()).
The history marts read the snapshots, so this runs after the build is recorded; the
persistent tables themselves (the snapshots, named by the pre-hook
set_persistent_tables()) travel with the version for a new warehouse to restore.

A publish folder the build cannot use is one sentence (PublishError), not a
traceback: dbt-duckdb prints a Python model's exception with its whole stack,
so the sentence is handed to the post-hook (macro raise_publish_failure), which
fails the model, and the build, with it.
"""

import json
from pathlib import Path

from segmentation.model_settings import read_settings, setting
from segmentation.publish import PublishError, empty_result, publish, read_table_docs


def model(dbt, session):
    """Publish the marts and return one row per published table."""
    dbt.config(materialized="table")
    # Literal refs: dbt reads them to place this model after the marts and their tests.
    relations = {
        "customer_segments": dbt.ref("customer_segments"),
        "segment_summary": dbt.ref("segment_summary"),
        "segment_profiles": dbt.ref("segment_profiles"),
        "published_builds": dbt.ref("published_builds"),
        "segment_history": dbt.ref("segment_history"),
        "segment_registry": dbt.ref("segment_registry"),
        "segment_transitions": dbt.ref("segment_transitions"),
        "segment_membership_changes": dbt.ref("segment_membership_changes"),
        "audiences": dbt.ref("audiences"),
        "audience_people": dbt.ref("audience_people"),
        "audience_memberships": dbt.ref("audience_memberships"),
    }
    # Placed after the audit; its pre-hook (refuse_failed_publish) has stopped a failed one.
    dbt.ref("publish_audit")
    build_id, is_empty_build, persistent_tables = session.execute(
        "select getvariable('publish_build_id'), getvariable('publish_is_empty_build'),"
        " getvariable('publish_persistent_tables')"
    ).fetchall()[0]
    # `dbt build --empty` builds every mart with no rows: never publish that to BI.
    if is_empty_build:
        return empty_result()
    settings = read_settings(session, "publish_marts")
    docs = read_table_docs(session, dbt.this.schema, list(relations))
    try:
        published = publish(
            relations,
            docs,
            publish_dir=Path(dbt.config.get("publish_dir")),
            build_id=build_id,
            keep_versions=int(setting(settings, "publish_keep_versions")),
            persistent={
                name: session.sql(f"select * from {relation}")
                for name, relation in json.loads(persistent_tables).items()
            },
        )
    except PublishError as error:
        session.execute("set variable publish_failure = ?", [str(error)])
        published = empty_result()
    return published
