"""Every var rule refuses a value out of its range: the cases are generated from the rules.

macros/validate_vars.sql holds one rule per var (`var_rules`). dbt renders the
rules here, and for each rule this module derives the values just outside
what it allows and just inside, by kind:

- integer and number: below `min`, at an exclusive `above`, over `max`; a
  value of the wrong kind (text, true, and for an integer a fraction in range);
  the bounds themselves pass. A number rule with no bound at all fails here:
  every number would pass it, which is how `max_abs_amount: -1` once did.
- choice: a value outside the choices; each choice passes.
- list: an unknown item beside a known one; all the choices, as a list and as
  comma-separated text, pass. features: an unknown column.
- date: an impossible date and a text that is no date; a real date passes.
- boolean: a text and a number; true and false pass.
- text: blank text and a number; a word passes. With a `pattern`, a value
  that breaks it (SQL of its own, a second line, another case) instead of the
  word, and one that keeps it; with `remote_allowed_by`, a URL while that var
  is false.
- texts: a list holding a number, and a number; a list of texts and no
  list item at all pass.
- null: refused unless the rule says what null means.

The macros that judge a value for validate_vars (`var_problem`, then for a
text `text_rule_problem`) judge every case in one dbt invocation. A rule with
a key or kind this module does not know fails: a new kind of bound needs its
out-of-range value written here.
The end-to-end path (a bad var stops `dbt build` before any work, with its
value and what is allowed) is test_settings.py.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
from dbt_project_runner import DbtResult, run_dbt

from benchmarks.project_vars import project_vars

# Keys that only describe a rule; every other key bounds the value and needs cases here.
DESCRIPTIVE_KEYS = frozenset({"var", "is", "null", "python_model"})
BOUND_KEYS = frozenset({"min", "max", "above", "choices", "pattern", "remote_allowed_by"})
KINDS = frozenset(
    {"integer", "number", "choice", "list", "features", "date", "boolean", "text", "texts"}
)
# Per pattern of var_patterns(): a value that keeps it, and one that breaks it.
PATTERN_CASES = {
    "memory_size": ("1.5 GiB", "1GB'; create table injected as select 1; --"),
    "currency_code": ("USD", "usd"),
    "file_pattern": ("{name}/part-*.csv.gz", "export {2024}/{name}.csv"),
    "one_line_name": ("Kunden's $Ausreißer$", "Outliers\nsecond line"),
    "data_set_name": ("acme/weekly-export", "acme'; create table injected as select 1; --"),
}
# How far outside a bound a value goes: the smallest step the kind can take, near enough.
STEPS = {"integer": 1, "number": 0.001}
# Not a column of customer_features nor a customer_id normalisation step.
UNKNOWN_ITEM = "not_a_known_item"

RENDER_RULES = "{{ tojson(var_rules()) }}"
# Each case as validate_vars would judge it: the problem ('' when the value is fine).
# is_date queries DuckDB, which only runs once dbt executes (not while it parses the query).
JUDGE_CASES = """
{%- if execute -%}
{%- set rules = {} -%}
{%- for rule in var_rules() -%}{%- do rules.update({rule['var']: rule}) -%}{%- endfor -%}
{%- set problems = [] -%}
{%- for case in fromjson(env_var('VAR_RULE_CASES')) -%}
    {%- set rule = rules[case['var']] -%}
    {%- do problems.append(var_problem(rule, case['value'])
        or text_rule_problem(rule, case['value'])) -%}
{%- endfor -%}
{{ tojson(problems) }}
{%- endif -%}
"""


@dataclass(frozen=True)
class Case:
    """A value for a var, why it is chosen, and whether the var's rule must allow it."""

    var: str
    value: object
    why: str
    allowed: bool


def numeric_cases(rule: dict) -> list[Case]:
    name, kind = rule["var"], rule["is"]
    step = STEPS[kind]
    cases = [Case(name, "1", "a number written as text", False)]
    cases.append(Case(name, True, "a boolean", False))
    inside = []
    if "min" in rule:
        cases.append(Case(name, rule["min"] - step, f"below min {rule['min']}", False))
        inside.append(Case(name, rule["min"], "min itself", True))
    if "above" in rule:
        cases.append(Case(name, rule["above"], f"at the exclusive bound {rule['above']}", False))
        inside.append(Case(name, rule["above"] + step, "just above the exclusive bound", True))
    if "max" in rule:
        cases.append(Case(name, rule["max"] + step, f"over max {rule['max']}", False))
        inside.append(Case(name, rule["max"], "max itself", True))
    if kind == "integer" and inside:
        fraction = inside[0].value + 0.5
        if "max" not in rule or fraction < rule["max"]:
            cases.append(Case(name, fraction, "a fraction in range", False))
    return cases + inside


def kind_cases(rule: dict) -> list[Case]:
    """The values just outside and just inside a rule, by its kind (module docstring)."""
    name, kind = rule["var"], rule["is"]
    if kind in STEPS:
        return numeric_cases(rule)
    if kind == "choice":
        outside = "not-" + "-".join(str(choice) for choice in rule["choices"])
        return [
            Case(name, outside, "not one of the choices", False),
            *(Case(name, choice, "a choice", True) for choice in rule["choices"]),
        ]
    if kind == "list":
        choices = list(rule["choices"])
        return [
            Case(name, [choices[0], UNKNOWN_ITEM], "an unknown item beside a known one", False),
            Case(name, choices, "every choice", True),
            Case(name, ", ".join(choices), "every choice as comma-separated text", True),
        ]
    if kind == "features":
        return [Case(name, [UNKNOWN_ITEM], "an unknown column", False)]
    if kind == "date":
        return [
            Case(name, "2021-02-30", "an impossible date", False),
            Case(name, "not-a-date", "no date at all", False),
            Case(name, "2021-02-28", "a date", True),
        ]
    if kind == "boolean":
        return [
            Case(name, "maybe", "a text", False),
            Case(name, 1, "a number", False),
            Case(name, True, "true", True),
            Case(name, False, "false", True),
        ]
    if kind == "texts":
        return [
            Case(name, ["NULL", 3], "a list holding a number", False),
            Case(name, 5, "a number", False),
            Case(name, ["N/A", "#N/A"], "a list of texts", True),
            Case(name, [], "no item at all", True),
        ]
    cases = [Case(name, "  ", "blank text", False), Case(name, 5, "a number", False)]
    if "remote_allowed_by" in rule:
        url = "https://example.com/exports"
        cases.append(Case(name, url, f"a URL while {rule['remote_allowed_by']} is false", False))
    if "pattern" in rule:
        keeps, breaks = PATTERN_CASES[rule["pattern"]]
        return [
            *cases,
            Case(name, breaks, f"breaks pattern {rule['pattern']}", False),
            Case(name, keeps, f"keeps pattern {rule['pattern']}", True),
        ]
    return [*cases, Case(name, "word", "a word", True)]


def rule_cases(rule: dict) -> list[Case]:
    """Every case of one rule: its kind's, then null."""
    null = rule.get("null")
    return [
        *kind_cases(rule),
        Case(rule["var"], None, f"null ({null})" if null else "null", "null" in rule),
    ]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var_rules")


def _rendered(result: DbtResult) -> object:
    """The JSON a `dbt compile --inline` printed (its last line that is JSON)."""
    assert result.ok, result.output[-3000:]
    for line in reversed(result.output.splitlines()):
        if line.startswith(("[", "{")):
            return json.loads(line)
    raise AssertionError(f"no JSON in:\n{result.output[-3000:]}")


@pytest.fixture(scope="module")
def rules(workdir: Path) -> dict[str, dict]:
    """var_rules() as dbt renders it, by var."""
    rendered = _rendered(run_dbt(workdir, ["compile", "--quiet", "--inline", RENDER_RULES]))
    return {rule["var"]: rule for rule in rendered}


@pytest.fixture(scope="module")
def verdicts(workdir: Path, rules: dict[str, dict]) -> dict[str, list[tuple[Case, str]]]:
    """Each var's cases with the problem var_problem found in each ('' for none)."""
    cases = [
        case
        for rule in rules.values()
        if set(rule) <= DESCRIPTIVE_KEYS | BOUND_KEYS and rule["is"] in KINDS
        for case in rule_cases(rule)
    ]
    env = {"VAR_RULE_CASES": json.dumps([asdict(case) for case in cases])}
    problems = _rendered(run_dbt(workdir, ["compile", "--quiet", "--inline", JUDGE_CASES], env=env))
    assert len(problems) == len(cases)
    by_var: dict[str, list[tuple[Case, str]]] = {}
    for case, problem in zip(cases, problems, strict=True):
        by_var.setdefault(case.var, []).append((case, problem))
    return by_var


def test_every_project_var_has_a_rule_and_every_rule_a_default(rules: dict[str, dict]) -> None:
    """A var without a rule goes unchecked; a rule without a default checks a var nobody has."""
    assert set(project_vars()) == set(rules)


@pytest.mark.parametrize("var", sorted(project_vars()))
def test_the_rule_is_one_this_test_can_break(rules: dict[str, dict], var: str) -> None:
    rule = rules[var]
    assert rule["is"] in KINDS, f"var {var}: kind {rule['is']!r} has no out-of-range cases here"
    unknown = set(rule) - DESCRIPTIVE_KEYS - BOUND_KEYS
    assert not unknown, f"var {var}: rule keys {sorted(unknown)} have no out-of-range cases here"
    if "pattern" in rule:
        assert rule["pattern"] in PATTERN_CASES, (
            f"var {var}: pattern {rule['pattern']!r} has no values here that keep and break it"
        )
    if rule["is"] in STEPS:
        assert {"min", "above", "max"} & set(rule), (
            f"var {var}: an {rule['is']} rule without min, above or max lets every value pass"
        )
    if rule["is"] in ("choice", "list"):
        assert rule.get("choices"), (
            f"var {var}: a {rule['is']} rule without choices lets nothing pass"
        )


FRACTION_WORDS = ("share", "quantile", "jaccard")


@pytest.mark.parametrize(
    "var", sorted(v for v in project_vars() if any(word in v for word in FRACTION_WORDS))
)
def test_a_share_is_bounded_to_a_fraction(rules: dict[str, dict], var: str) -> None:
    """A share, quantile or Jaccard index is a fraction: its rule keeps it within 0 and 1."""
    rule = rules[var]
    assert rule["is"] == "number"
    assert rule.get("min", rule.get("above", -1)) >= 0, f"var {var}: no lower bound of 0"
    assert rule.get("max", 2) <= 1, f"var {var}: no upper bound of 1"


@pytest.mark.parametrize("var", sorted(project_vars()))
def test_a_value_out_of_range_is_refused(verdicts, var: str) -> None:
    passed = [
        f"{case.value!r} ({case.why})"
        for case, problem in verdicts[var]
        if not case.allowed and not problem
    ]
    assert passed == [], f"var {var} lets through: {', '.join(passed)}"


@pytest.mark.parametrize("var", sorted(project_vars()))
def test_a_value_in_range_passes(verdicts, var: str) -> None:
    refused = [
        f"{case.value!r} ({case.why}: {problem})"
        for case, problem in verdicts[var]
        if case.allowed and problem
    ]
    assert refused == [], f"var {var} refuses: {', '.join(refused)}"
