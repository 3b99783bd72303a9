"""Rule concepts load from TOML, can be switched off or extended, and fail loudly."""
from __future__ import annotations

import functools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from decruft.extract.rules import RuleError, default_rules, load_rules
from decruft.extract.text import clean_text

CONCEPTS = {"navigation", "login", "cookie", "share", "newsletter", "caption", "related", "error_page",
            "comments", "url", "legal", "ad"}


def reason(rules, line: str):
    found = rules.classify(line.lower())
    return found[0] if found else None


def test_packaged_concepts_are_all_there():
    rules = default_rules()
    assert CONCEPTS <= {concept.name for concept in rules.concepts}
    assert rules.date is not None and rules.byline is not None and rules.credit is not None


@pytest.mark.parametrize("line, concept", [
    ("Skip to main content", "navigation"),
    ("Direkt zum Inhalt", "navigation"),
    ("Aller au contenu", "navigation"),
    ("Saltar al contenido", "navigation"),
    ("Vai al contenuto", "navigation"),
    ("Ir para o conteúdo", "navigation"),
    ("Naar de inhoud", "navigation"),
    ("Sign in", "login"),
    ("Already have an account? sign in", "login"),
    ("Mot de passe oublié ?", "login"),
    ("Accept all cookies", "cookie"),
    ("Share on Facebook", "share"),
    ("Teilen", "share"),
    ("Compartilhe", "share"),
    ("Sign up for our newsletter", "newsletter"),
    ("Image: picture-alliance/dpa", "caption"),
    ("Foto: Reuters", "caption"),
    ("Getty Images/AFP/G. Ourfalian", "caption"),
    ("More stories", "related"),
    ("Lesen Sie auch: Der Fall X", "related"),
    ("Leggi anche", "related"),
    ("Page not found", "error_page"),
    ("This page is not available", "error_page"),
    ("Comments (12)", "comments"),
    ("Leave a comment", "comments"),
    ("https://p.dw.com/p/2SbNt", "url"),
    ("© 2019 Example Media. All rights reserved.", "legal"),
    ("Datenschutzerklärung", "legal"),
    ("Advertisement", "ad"),
    ("Publicidad", "ad"),
])
def test_generic_lines_get_their_concept(line, concept):
    assert reason(default_rules(), line) == concept


@pytest.mark.parametrize("line", [
    "Rebel leader killed",
    "Russia hits back",
    "Shares of the company rose 3% on Tuesday after the results.",
    "Register of deeds office opens a new branch in the city centre, officials said on Monday.",
    "Regime forces have regained areas on the edge of Aleppo that rebels had taken over the past two weeks.",
])
def test_article_lines_are_not_cruft(line):
    assert reason(default_rules(), line) is None


def test_metadata_patterns():
    rules = default_rules()
    assert rules.credit.match("mkg/rc (Reuters, AFP, dpa, AP)")
    assert rules.byline.match("By Jane Roe and John Doe")
    assert rules.date.search("Wednesday 05 October 2016 18:25")
    assert rules.date.search("sexta-feira, 22 de outubro de 2010")


def test_user_config_disables_and_adds(tmp_path):
    config = tmp_path / "rules.toml"
    config.write_text("disabled = ['share']\n[patterns]\ncaption = ['^Fotograf: ']\n"
                      "[barriers]\nrelated = ['^Weiterlesen$']\n[phrases]\nlegal = ['Nachdruck verboten']\n",
                      encoding="utf-8")
    rules = load_rules(config)
    assert "share" not in {concept.name for concept in rules.concepts}
    assert reason(rules, "Share on Facebook") is None
    assert reason(rules, "Fotograf: Max Muster") == "caption"
    assert rules.classify("weiterlesen") == ("related", True)
    assert ("nachdruck verboten", "legal") in rules.phrases
    text = "Skip to content\n" + "\n".join(["A long sentence of the article body that carries on and ends here."] * 3)
    assert clean_text(text, rules=rules).removed[0].reason == "navigation"


def test_invalid_regex_names_the_file(tmp_path):
    config = tmp_path / "broken.toml"
    config.write_text("[patterns]\ncaption = ['(unclosed']\n", encoding="utf-8")
    with pytest.raises(RuleError, match="broken.toml"):
        load_rules(config)


def test_capturing_groups_are_refused(tmp_path):
    config = tmp_path / "groups.toml"
    config.write_text("[patterns]\ncaption = ['(Foto|Bild): ']\n", encoding="utf-8")
    with pytest.raises(RuleError, match="non-capturing"):
        load_rules(config)


def test_unknown_keys_are_refused(tmp_path):
    config = tmp_path / "typo.toml"
    config.write_text("disable = ['share']\n", encoding="utf-8")
    with pytest.raises(RuleError, match="typo.toml"):
        load_rules(config)


def test_bad_packaged_file_names_the_file(tmp_path):
    (tmp_path / "bad.toml").write_text("[caption]\npatterns = ['[oops']\n", encoding="utf-8")
    with pytest.raises(RuleError, match="bad.toml"):
        load_rules(rules_dir=tmp_path)


_PHRASES = [phrase for phrase, _ in default_rules().phrases]


@given(st.lists(st.one_of(st.sampled_from(_PHRASES), st.text(max_size=30)), max_size=12).map("".join))
def test_phrase_search_finds_exactly_the_phrases_in_a_text(text):
    rules = default_rules()
    lowered = text.lower()
    assert rules.phrases_in(lowered) == [(p, r) for p, r in rules.phrases if p in lowered]


def test_user_phrases_are_searched_too(tmp_path):
    config = tmp_path / "rules.toml"
    config.write_text("[phrases]\nlegal = ['Nachdruck verboten', 'Nachdruck nur mit Genehmigung']\n",
                      encoding="utf-8")
    rules = load_rules(config)
    assert ("nachdruck nur mit genehmigung", "legal") in rules.phrases_in("© x. nachdruck nur mit genehmigung.")


@functools.lru_cache(maxsize=1)
def _all_patterns():
    """The packaged cruft patterns as one alternation of Python's re, in rule order: the reference."""
    from decruft.extract.rules import _GROUP_PREFIX, _lower_pattern

    groups = [(f"{_GROUP_PREFIX[kind]}{c.name}", _lower_pattern(raw))
              for c in default_rules().concepts for kind in ("barriers", "patterns") for raw in getattr(c, kind)]
    return re.compile("|".join(f"(?P<g{i}_{group}>{pattern})" for i, (group, pattern) in enumerate(groups)))


def _reference_judgement(lowered: str):
    """What all cruft patterns together say of a line under Python's re: RE2 must agree."""
    whole = _all_patterns()
    m = whole.match(lowered)
    stripped = lowered.rstrip(".… ")
    if m is None and lowered.endswith(("...", "…")) and stripped:
        m = whole.match(stripped)
    if m is None:
        return None
    group = m.lastgroup.split("_", 1)[1]
    return group.partition("_")[2], group.startswith("b_")


_STARTS = [line.lower() for line in ("Skip to main content", "Sign in", "Share on Facebook", "Foto: Reuters",
                                     "Comments (12)", "https://p.dw.com/p/2SbNt", "© 2019 Example Media",
                                     "More stories", "Advertisement", "Lesen Sie auch", "Page not found")]


@given(st.one_of(st.text(max_size=40), st.tuples(st.sampled_from(_STARTS), st.text(max_size=20)).map("".join),
                 st.tuples(st.sampled_from(_STARTS), st.sampled_from(["", "...", "…", " ..."])).map("".join)))
def test_rules_judge_a_line_as_python_re_alternation_of_all_patterns_does(line):
    lowered = line.lower().strip()
    if lowered:
        assert default_rules().classify(lowered) == _reference_judgement(lowered)


def test_rules_agree_with_python_re_on_every_line_of_the_raw_samples():
    from tests.support import RAW

    lines = {line.strip().lower() for path in RAW.rglob("*.txt")
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    assert len(lines) > 100
    for line in lines:
        assert default_rules().classify(line) == _reference_judgement(line), line
