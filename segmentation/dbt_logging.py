"""Warnings of the clustering code into dbt's own log, and kept for the build's diagnostics.

The clustering modules log through the standard `logging` package (logger
"segmentation"), which inside a dbt Python model reaches only stderr: not
`logs/dbt.log`, not the end-of-run summary, not a scheduled run's records.
While `captured_warnings()` is active, each warning is fired as a dbt warning
event (console and dbt.log, like a macro's `exceptions.warn`) and collected, so
the model can store it with its diagnostics (clustering_diagnostics.warnings).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

LOGGER_NAME = "segmentation"


def fire_dbt_warning(message: str) -> bool:
    """Send `message` to dbt's event log as a warning; False when dbt is not running it.

    Imported here, not at module level, so the package works without dbt (tests,
    the report) and only a dbt run pays for the import.
    """
    try:
        from dbt.events.types import JinjaLogWarning
        from dbt_common.events.functions import fire_event
    except ImportError:
        return False
    fire_event(JinjaLogWarning(msg=message))
    return True


class DbtWarningHandler(logging.Handler):
    """Collects each warning's text and forwards it to dbt."""

    def __init__(self, collected: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.collected = collected

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.collected.append(message)
        fire_dbt_warning(f"{record.name}: {message}")


@contextmanager
def captured_warnings(logger_name: str = LOGGER_NAME) -> Iterator[list[str]]:
    """Within the block, warnings of `logger_name` and its children go to dbt and the list.

    The list is yielded at once and filled as warnings happen, so it is complete
    when the block ends. Records stop propagating meanwhile: a root handler would
    print each warning a second time, raw, on stderr. Both are undone even if
    the block raises.
    """
    collected: list[str] = []
    handler = DbtWarningHandler(collected)
    logger = logging.getLogger(logger_name)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield collected
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
