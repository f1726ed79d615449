"""The check registry and the runner: discovery, needs, isolation of a failing check, one-module checks."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from dataaudit.api import run_checks
from dataaudit.checks import Check, Finding, RunStatus, Status, all_checks
from dataaudit.checks.base import AuditContext
from dataaudit.config import Config
from dataaudit.decide.conditions import CONDITION_IDS
from dataaudit.decide.verdict import decide
from dataaudit.errors import ConfigError
from dataaudit.index import build_index
from dataaudit.load.records import Dataset, InputFile, Record


def _context(texts: list[str], labels: list[str]) -> AuditContext:
    records = [Record("t.jsonl", i + 1, "text_label", t, None, label) for i, (t, label) in enumerate(zip(texts, labels))]
    dataset = Dataset("t", [InputFile("t.jsonl", "0" * 64, len(records))], records, [], len(records), 0)
    return AuditContext(config=Config(), train=build_index("train", dataset, str.casefold))


def test_registry_finds_every_check_once_in_order():
    checks = all_checks()
    ids = [c.id for c in checks]
    assert len(ids) == len(set(ids))
    assert {"format", "size", "balance", "agreement", "duplicates", "coverage", "prompt_log", "maintenance", "economics"} <= set(ids)
    assert [c.order for c in checks] == sorted(c.order for c in checks)


def test_every_finding_names_a_known_condition():
    ctx = _context(["hello there", "Hello there", "good bye"], ["a", "b", "a"])
    results, findings, warnings = run_checks(ctx)
    assert warnings == []
    assert findings and all(f.condition in CONDITION_IDS for f in findings)
    assert results.runs["coverage"].status == RunStatus.NOT_RUN and "production=" in results.runs["coverage"].reason  # called from Python: the parameter, not the flag


def test_a_check_that_raises_is_isolated_and_the_audit_goes_on():
    def broken(ctx):
        raise ZeroDivisionError("a bug in one check")

    fine = Check(id="fine", order=1, measure=lambda ctx: len(ctx.train.records),
                 judge=lambda result, ctx: [Finding("scale", Status.PASS, f"{result} records")])
    failing = Check(id="failing", order=2, measure=broken, judge=lambda result, ctx: [Finding("scale", Status.FAIL, "never")])
    later = Check(id="later", order=3, measure=lambda ctx: ctx.results["fine"] * 2)
    results, findings, warnings = run_checks(_context(["a", "b"], ["x", "y"]), (fine, failing, later))
    assert results["fine"] == 2 and results["later"] == 4 and results["failing"] is None
    assert results.runs["failing"].status == RunStatus.ERROR and "ZeroDivisionError: a bug in one check" in results.runs["failing"].reason
    assert [f.summary for f in findings] == ["2 records"]  # the failing check's judge is not called
    assert len(warnings) == 1 and "'failing'" in warnings[0]
    assert decide(findings, {}).status == "ready"  # judged on what the working checks found


def test_a_failed_checks_exception_is_said_as_an_excerpt_masked_and_cut():
    """The exception quotes the value it choked on: 70,000 characters of it in a warning pushed every section out of
    report.md's size bound, and an address in it went into report.json as typed."""
    from dataaudit.api import FAILURE_CHARS

    def choking(ctx):
        raise ValueError("could not convert string to float: 'mail ann@example.org " + "lorem " * 12000 + "'")

    failing = Check(id="failing", order=2, measure=choking, judge=lambda result, ctx: [])
    results, _, warnings = run_checks(_context(["a", "b"], ["x", "y"]), (failing,))
    reason = results.runs["failing"].reason
    assert reason.startswith("ValueError: could not convert string to float: 'mail <EMAIL") and len(reason) <= FAILURE_CHARS
    assert "ann@example.org" not in warnings[0] and len(warnings[0]) < FAILURE_CHARS + 100


def test_a_condition_whose_check_failed_is_unknown_never_left_out():
    """A failed size check left 'scale' out of the verdict, which then read 'ready' (exit 0) on the rest."""
    def broken(ctx):
        raise ZeroDivisionError("a bug in one check")

    fine = Check(id="fine", order=1, measure=lambda ctx: 1, judge=lambda result, ctx: [Finding("format", Status.PASS, "well-formed")],
                 conditions=frozenset({"format"}))
    failing = Check(id="failing", order=2, measure=broken, conditions=frozenset({"scale"}))
    results, findings, warnings = run_checks(_context(["a", "b"], ["x", "y"]), (fine, failing))
    verdict = decide(findings, {})
    scale = next(c for c in verdict.conditions if c.id == "scale")
    assert scale.status == "unknown" and scale.evidence == {"check_failed": "failing"}
    assert scale.summary == "the failing check failed (ZeroDivisionError: a bug in one check), so scale is not fully judged"
    assert verdict.status == "insufficient_evidence" and verdict.exit_code == 3
    other_fails = findings + [Finding("scale", Status.FAIL, "12 usable examples")]
    assert next(c for c in decide(other_fails, {}).conditions if c.id == "scale").status == "fail"  # a failure still fails
    passes = findings + [Finding("scale", Status.PASS, "600 usable examples")]
    assert next(c for c in decide(passes, {}).conditions if c.id == "scale").status == "unknown"  # a pass would be a guess


def test_every_check_that_judges_names_the_conditions_it_judges():
    ctx = _context(["hello there", "Hello there", "good bye"], ["a", "b", "a"])
    _, findings, _ = run_checks(ctx)
    by_check = {c.id: c.conditions for c in all_checks()}
    judged = {f.condition for f in findings}
    assert judged <= set().union(*by_check.values())
    assert by_check["size"] == {"scale"} and by_check["duplicates"] == {"hygiene"} and by_check["agreement"] == {"consistency"}


def test_a_config_built_in_code_is_validated_like_a_file():
    from dataaudit.api import audit

    with pytest.raises(ConfigError, match="task_type: 'bogus' is not one of"):
        audit("unused.jsonl", Config(task_type="bogus"), embed=False)
    with pytest.raises(TypeError, match="takes a Config .* not a str; pass a config file's path as config_path="):
        audit("unused.jsonl", "decision.toml", embed=False)


def test_user_errors_are_not_isolated():
    def bad_config(ctx):
        raise ConfigError("dataaudit.toml: tokens.target_model: unknown model 'gpt-9'")

    with pytest.raises(ConfigError):
        run_checks(_context(["a"], ["x"]), (Check(id="bad", order=1, measure=bad_config),))


# README "Adding a check", as written there less its margin notes (README and this copy change together:
# test_the_readme_recipe_is_this_one holds them to it).
SHOUTING_RECIPE = '''
from dataclasses import dataclass
from dataaudit.checks.base import Check, Finding, Status

@dataclass
class ShoutingConfig:
    max_share: float = 0.2  # warn above this share of inputs in capitals

@dataclass(frozen=True)
class ShoutingResult:
    shouted: int
    share: float

def measure(ctx):
    n = sum(1 for r in ctx.train.records if r.input_text.isupper())
    return ShoutingResult(n, n / max(len(ctx.train.records), 1))

def judge(result, ctx):
    if result is None:
        return []
    bound = ctx.config.section("shouting").max_share
    status = Status.WARN if result.share > bound else Status.PASS
    return [Finding("format", status, f"{result.share:.0%} of inputs are in capitals", {"shouted": result.shouted})]

CHECK = Check(id="shouting", order=15, measure=measure, judge=judge, conditions=frozenset({"format"}),
              config_section=("shouting", ShoutingConfig))
'''


# The recipe's module and section as the tests register them: a reader who follows the README adds a real
# dataaudit/checks/shouting.py, which would shadow a plugin of the same name, and their check judges `format` too.
UNDER_TEST = "shouting_under_test"


def under_test(source: str = SHOUTING_RECIPE) -> str:
    """The recipe (or a variant of it) under the tests' own module, check and section name."""
    return (source.replace('"shouting"', f'"{UNDER_TEST}"').replace("ShoutingConfig", "ShoutingUnderTestConfig")
            .replace("inputs are in capitals", "inputs are in capitals (under test)"))


def _readme_recipe() -> list[str]:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n### Adding a check\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```python\n", 1)[1].split("```", 1)[0].splitlines()


def test_the_readme_recipe_is_this_one():
    """The README's recipe is what a reader copies: a recipe the tests no longer run could drift into one that fails."""
    recipe = _readme_recipe()
    assert recipe[0] == "# dataaudit/checks/shouting.py"  # where the module goes, not part of it
    # A margin note stands three or more spaces after the code (the recipe's own comments, two).
    code = [re.sub(r" {3,}# .*$", "", line) for line in recipe[1:]]
    assert code == SHOUTING_RECIPE.strip("\n").splitlines()


def test_a_new_check_is_one_module_with_its_own_config_section(add_check):
    """What the README's 'Adding a check' walks through: a module defining CHECK, nothing else touched."""
    from dataaudit.config import config_from_dict

    add_check(UNDER_TEST, under_test())
    assert UNDER_TEST in [c.id for c in all_checks()]
    config = config_from_dict({UNDER_TEST: {"max_share": 0.1}})
    assert config.section(UNDER_TEST).max_share == 0.1 and config.to_dict()[UNDER_TEST] == {"max_share": 0.1}
    with pytest.raises(ConfigError, match=UNDER_TEST):
        config_from_dict({UNDER_TEST: {"max_shares": 0.1}})
    ctx = dataclasses.replace(_context(["HELLO", "hi", "ok"], ["a", "b", "a"]), config=config)
    results, findings, _ = run_checks(ctx)
    assert results[UNDER_TEST].shouted == 1
    assert any(f.summary == "33% of inputs are in capitals (under test)" and f.status == "warn" for f in findings)


def test_the_recipe_check_failing_leaves_its_condition_unknown(add_check):
    """The recipe had no conditions=: a copy of it that raised left `format` judged `pass` on the other checks."""
    add_check(UNDER_TEST, under_test(SHOUTING_RECIPE.replace("n = sum(", "n = 1 // 0 + sum(")))
    _, findings, warnings = run_checks(_context(["HELLO", "hi"], ["a", "b"]))
    form = next(c for c in decide(findings, {}).conditions if c.id == "format")
    assert form.status == "unknown" and form.evidence["check_failed"] == UNDER_TEST
    assert [w for w in warnings if f"'{UNDER_TEST}' failed" in w] != []


def test_the_recipe_judge_is_called_with_none_when_its_check_did_not_run(add_check):
    add_check(UNDER_TEST, under_test(SHOUTING_RECIPE.replace("order=15,", "order=15, needs=frozenset({Need.PRODUCTION}),")
                                     .replace("import Check,", "import Check, Need,")))
    results, findings, warnings = run_checks(_context(["HELLO", "hi"], ["a", "b"]))
    assert results[UNDER_TEST] is None and results.runs[UNDER_TEST].status == RunStatus.NOT_RUN
    assert not any(UNDER_TEST in w for w in warnings) and not any("(under test)" in f.summary for f in findings)


@pytest.mark.parametrize("conditions, message", [
    ("", f"dataaudit.checks.{UNDER_TEST}: check '{UNDER_TEST}' has a judge but no conditions=: name the conditions its findings judge"),
    ("conditions=frozenset({'formatting'}), ", f"dataaudit.checks.{UNDER_TEST}: check '{UNDER_TEST}': unknown condition 'formatting' in conditions="),
])
def test_the_registry_refuses_a_check_that_judges_unnamed_or_unknown_conditions(add_check, conditions, message):
    add_check(UNDER_TEST, under_test(SHOUTING_RECIPE.replace('conditions=frozenset({"format"}),', conditions)))
    with pytest.raises(RuntimeError) as refused:
        all_checks()
    assert str(refused.value).startswith(message)


def test_the_checks_without_conditions_judge_nothing():
    """economics and embeddings name no condition by design: they report, they never judge."""
    unnamed = {c.id for c in all_checks() if not c.conditions}
    assert unnamed == {"economics", "embeddings"} and not any(c.judges for c in all_checks() if c.id in unnamed)


def test_a_check_with_nothing_to_measure_is_not_applicable_in_the_typed_result_as_in_report_json():
    """report.json said not_applicable where report.checks.runs said RAN: the mapping lived in the renderer only."""
    from dataaudit.report import run_entry

    nothing = Check(id="nothing", order=1, measure=lambda ctx: None)
    reads_it = Check(id="reads_it", order=2, measure=lambda ctx: sorted(ctx.not_run))
    results, _, _ = run_checks(_context(["a", "b"], ["x", "y"]), (nothing, reads_it))
    run = results.runs["nothing"]
    assert run.status == RunStatus.NOT_APPLICABLE and run.reason == "nothing to measure in these inputs"
    assert run_entry(run, results["nothing"]) == {"status": "not_applicable", "reason": "nothing to measure in these inputs",
                                                  "reused": False}
    assert results.runs["reads_it"].status == RunStatus.RAN and results["reads_it"] == []  # it ran: not in ctx.not_run


def test_a_reused_empty_result_stays_not_applicable():
    nothing = Check(id="nothing", order=1, measure=lambda ctx: 1 / 0)  # never measured: the earlier result is reused
    results, _, warnings = run_checks(_context(["a"], ["x"]), (nothing,), reuse={"nothing": None})
    assert warnings == [] and results.runs["nothing"].status == RunStatus.NOT_APPLICABLE and results.runs["nothing"].reused
