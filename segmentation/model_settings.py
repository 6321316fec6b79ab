"""The vars a Python model reads, handed over by its pre-hook as one JSON DuckDB variable.

A Python model gets only the config keys named in literal `dbt.config.get`
calls, and YAML config renders a var as text, once, when the project is
parsed. A pre-hook renders when the model runs, with the invocation's vars:
`set_python_model_settings()` (macros/python_model_settings.sql) sets
`<model>_settings` to a JSON object of every var whose rule in
macros/validate_vars.sql names the model, after validate_vars has checked
them. Defaults stay in dbt_project.yml; the model parses the object at its
edge into keyword arguments.
"""

from __future__ import annotations

import json
from collections.abc import Mapping


def read_settings(session, model_name: str) -> dict[str, object]:
    """The vars `model_name`'s pre-hook handed over, by var name."""
    [(text,)] = session.execute("select getvariable(?)", [f"{model_name}_settings"]).fetchall()
    if text is None:
        raise RuntimeError(
            f"{model_name} was handed no settings: its YAML config needs the pre-hook "
            "set_python_model_settings() (macros/python_model_settings.sql)"
        )
    return json.loads(text)


def setting(settings: Mapping[str, object], name: str) -> object:
    """One var's value from the settings; a var not handed over says which rule to mark."""
    if name not in settings:
        raise KeyError(
            f"var {name} was not handed to the model that reads it: give its rule in "
            "macros/validate_vars.sql 'python_model' naming that model"
        )
    return settings[name]
