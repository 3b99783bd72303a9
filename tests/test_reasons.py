"""One registry of reason codes: every code any module, rule file or outlet profile can write is
in ``decruft.reasons``, and docs/schema.md lists exactly the registry's codes and meanings (and
those of the step counters' other names, ``decruft.steps``)."""
from __future__ import annotations

import ast
import re
import tomllib

import pytest

from tests.support import PROJECT
from decruft.extract.rules import RuleError, load_rules
from decruft.outlets import RegistryError, load_registry
from decruft.reasons import LineReason, RejectReason, SkipReason
from decruft.steps import Container, ExtractPath, Stage

SOURCE = PROJECT / "src" / "decruft"
DOC = (PROJECT / "docs" / "schema.md").read_text()


def documented(heading: str) -> dict[str, str]:
    table = DOC.split(heading, 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `([a-z_+-]+)` \| (.+) \|$", table, flags=re.M))


@pytest.mark.parametrize("heading, registry", [("## Reason codes of removed lines", LineReason),
                                               ("## Reject reasons", RejectReason),
                                               ("## Skipped container records", SkipReason),
                                               ("## Containers", Container),
                                               ("## Extractor paths", ExtractPath),
                                               ("## Stages", Stage)])
def test_the_schema_page_lists_exactly_the_registry(heading, registry):
    assert documented(heading) == {reason.value: reason.meaning for reason in registry}


def emitted_literals() -> dict[str, set[str]]:
    """String literals the code writes as reasons: a Reject's reason, a line's reason."""
    found: dict[str, set[str]] = {"reject": set(), "line": set(), "any": set()}
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Reject":
                args = node.args[2:3] + [k.value for k in node.keywords if k.arg == "reason"]
                found["reject"] |= {a.value for a in args if isinstance(a, ast.Constant)}
            elif isinstance(node, ast.Assign) and any(getattr(t, "attr", getattr(t, "id", None)) == "reason"
                                                      for t in node.targets):
                found["any"] |= {c.value for c in ast.walk(node.value)
                                 if isinstance(c, ast.Constant) and isinstance(c.value, str)}
            elif isinstance(node, ast.BoolOp) and getattr(node.values[0], "attr", None) == "reason":
                found["line"] |= {v.value for v in node.values[1:] if isinstance(v, ast.Constant)}
    return found


def test_every_reason_the_code_writes_is_registered():
    literals = emitted_literals()
    assert literals["reject"] <= {r.value for r in RejectReason}
    assert literals["line"] <= {r.value for r in LineReason}
    assert literals["any"] <= {r.value for r in LineReason} | {r.value for r in RejectReason}


def test_every_extractor_name_the_extractors_write_is_a_path():
    """A new extractor path in extract/ must be named in ``steps.ExtractPath`` (and so documented)."""
    nodes = [node for module in ("html.py", "text.py")
             for node in ast.walk(ast.parse((SOURCE / "extract" / module).read_text()))]
    literals = {node.value for node in nodes if isinstance(node, ast.Constant) and isinstance(node.value, str)
                and re.fullmatch(r"(text|trafilatura)([+-][a-z_]+)?|none", node.value)}
    named = {ExtractPath[node.attr].value for node in nodes if isinstance(node, ast.Attribute)
             and isinstance(node.value, ast.Name) and node.value.id == "ExtractPath"}
    assert {"text", "trafilatura", "text-fallback"} <= literals | named <= {path.value for path in ExtractPath}


def test_every_rule_concept_and_outlet_reason_is_registered():
    concepts = {name for path in (SOURCE / "extract" / "rules").glob("*.toml")
                for name in tomllib.loads(path.read_text())}
    assert concepts <= {r.value for r in LineReason}
    reasons = {c.reason for outlet in load_registry() for c in outlet.cruft}
    assert reasons <= set(LineReason)


def test_an_unregistered_reason_in_a_profile_or_rules_file_is_refused(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text('[patterns]\nmy_reason = ["^buy now$"]\n')
    with pytest.raises(RuleError, match="'my_reason' is not a reason code"):
        load_rules(rules)
    outlets = tmp_path / "outlets"
    outlets.mkdir()
    (outlets / "x.toml").write_text('id = "x"\nname = "X"\ncountry = "US"\ndomains = ["x.example"]\n'
                                    'languages = ["en"]\ntimezone = "UTC"\n'
                                    '[[cruft]]\nreason = "my_reason"\npatterns = ["^buy now$"]\n')
    with pytest.raises(RegistryError, match="unknown cruft reason 'my_reason'"):
        load_registry((outlets,))
