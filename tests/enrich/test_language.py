"""Language detection: right on news prose, deterministic, 'und' when too short, langdetect's answers."""
from __future__ import annotations


import gzip
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langdetect.detector import Detector

from decruft.enrich.language import (PREFIX_CHARS, TRIALS, FastDetector, SeededDraws, _leading, detect_language,
                                     detector_factory)
from tests.support import RAW, SHARED_EVAL


SAMPLES = {
    "en": "Regime forces have regained areas on the edge of Aleppo that rebels had taken over the "
          "past two weeks. The most recent combat has left more than 450 people dead.",
    "de": "Die Regierungstruppen haben Gebiete am Rand von Aleppo zurückerobert, die die Rebellen in "
          "den vergangenen zwei Wochen eingenommen hatten. Mehr als 450 Menschen starben.",
    "fr": "Les forces du régime ont repris des zones en bordure d'Alep que les rebelles avaient "
          "conquises ces deux dernières semaines. Plus de 450 personnes sont mortes.",
    "es": "Las fuerzas del régimen han recuperado zonas en las afueras de Alepo que los rebeldes "
          "habían tomado en las últimas dos semanas. Más de 450 personas han muerto.",
    "it": "Le forze del regime hanno riconquistato le zone alla periferia di Aleppo che i ribelli "
          "avevano preso nelle ultime due settimane. Sono morte più di 450 persone.",
    "pt": "As forças do regime recuperaram áreas na periferia de Aleppo que os rebeldes tinham "
          "tomado nas últimas duas semanas. Mais de 450 pessoas morreram nos combates.",
    "nl": "Regeringstroepen hebben gebieden aan de rand van Aleppo heroverd die de rebellen de "
          "afgelopen twee weken hadden ingenomen. Meer dan 450 mensen kwamen om.",
}


@pytest.mark.parametrize(("expected", "text"), SAMPLES.items())
def test_detects_news_prose(expected, text):
    language, score = detect_language(text)
    assert language == expected
    assert 0.5 < score <= 1.0


@pytest.mark.parametrize("name", sorted(p.name for p in RAW.glob("*.txt")))
def test_seed_pages_are_english(name):
    assert detect_language((RAW / name).read_text(encoding="utf-8"))[0] == "en"


@pytest.mark.parametrize("text", ["", "   ", "12:30 - 14.11.2019", "Hello there", "© 2019 ABC ..."])
def test_too_short_is_undetermined(text):
    assert detect_language(text) == ("und", 0.0)
    assert detect_language(text, hint="en") == ("und", 0.0)


def test_deterministic():
    text = "Ceci est un texte assez court mais lisible pour deviner la langue du document."
    assert len({detect_language(text) for _ in range(20)}) == 1


def test_hint_decides_close_calls_only():
    close_call = "Hotel Restaurant Bar Pizza Pasta Espresso Cappuccino Taxi Bus"
    unhinted, _ = detect_language(close_call)
    assert detect_language(SAMPLES["de"], hint="en")[0] == "de"
    assert detect_language(SAMPLES["en"], hint="en-GB")[0] == "en"
    hinted, _ = detect_language(close_call, hint="it")
    assert hinted in {"it", unhinted}


def test_codes_are_iso_639_1():
    language, _ = detect_language("这是一个关于叙利亚阿勒颇局势的新闻报道，政府军已经夺回了几个地区。")
    assert language == "zh"


def test_reads_a_bounded_prefix():
    english = SAMPLES["en"] * 5
    assert detect_language(english + SAMPLES["de"] * 200)[0] == "en"



MORE_SCRIPTS = [
    "NATO and the USA said the UN-backed talks in GENEVA would resume. "
    "See https://example.com/a?b=1 or mail desk@example.com.",
    "Правительственные войска вернули районы на окраине Алеппо, которые повстанцы заняли за две недели.",
    "قالت الحكومة إن القوات استعادت مناطق على أطراف حلب ی والمزيد من الأخبار",
    "政府军夺回了叛军在过去两周占领的阿勒颇郊区，战斗造成四百五十多人死亡。",
    "政府軍は反政府勢力が過去二週間に占拠したアレッポ郊外を奪還した。カタカナ ひらがな",
    "정부군은 반군이 지난 2주 동안 점령한 알레포 외곽 지역을 탈환했다고 밝혔다.",
    "Lực lượng chính phủ đã giành lại các khu vực ở ngoại ô Aleppo mà phiến quân chiếm giữ.",
    "Forțele guvernamentale au recâștigat zone de la marginea orașului, spun surse din ț și ș.",
    # URLs, e-mail addresses and runs of spaces (masked and collapsed by langdetect's append)
    "  Read   the report at https://example.org/a/b?c=1   or write to press.office@example.org  today.   ",
    # mostly Cyrillic with Latin words, which langdetect's cleaning drops
    "Правительство заявило, что Reuters и BBC сообщили о переговорах в Женеве в понедельник вечером.",
]


def _langprob(detector_class: type[Detector], text: str) -> list[float] | None:
    detector = detector_class(detector_factory())
    detector.n_trial = TRIALS
    detector.append(text)
    detector.get_probabilities()
    return detector.langprob


@pytest.mark.parametrize("text", [*SAMPLES.values(), *MORE_SCRIPTS])
def test_fast_detector_gives_langdetects_probabilities_exactly(text):
    assert _langprob(FastDetector, text) == _langprob(Detector, text)


def test_fast_detector_agrees_with_langdetect_on_dev_pages():
    """Every 7th page of both text splits (their first characters, as detection reads them)."""
    paths = sorted(SHARED_EVAL.glob("*.text.jsonl.gz"))
    if not paths:
        pytest.skip("the dev splits are not beside the project")
    for path in paths:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines):
                if number % 7 == 0:
                    text = json.loads(line)["text"][:PREFIX_CHARS]
                    assert _langprob(FastDetector, text) == _langprob(Detector, text), (path.name, number)


#: What langdetect asks of its generator in a trial: a gauss, or choices over a count of n-grams
#: of which some are used.
DRAW_STEPS = st.lists(st.one_of(st.just(None),
                                st.tuples(st.integers(1, 5000), st.integers(1, 60), st.integers(0, 60))),
                      max_size=40)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32), steps=DRAW_STEPS)
def test_seeded_draws_are_the_generators_own(seed, steps):
    generator, draws = random.Random(seed), SeededDraws(seed)
    for step in steps:
        if step is None:
            assert draws.gauss() == generator.gauss(0.0, 1.0)
            continue
        count, ahead, used = step
        used = min(used, ahead)
        expected = [generator.choice(range(count)) for _ in range(used)]
        assert draws.choices(count, ahead)[:used] == expected
        draws.take(used)
    assert draws.random() == generator.random()


def test_seeded_draws_reach_past_the_outputs_made_at_first():
    generator, draws = random.Random(0), SeededDraws(0)
    for _ in range(300):
        assert draws.choices(3, 51) == [generator.choice(range(3)) for _ in range(51)]
        draws.take(51)


def test_an_outlet_with_one_language_decides_a_close_call():
    """A text split between Portuguese and Spanish (two to one) is Spanish on a Spanish outlet's
    page, as it would be with ``lang="es"`` declared; without an outlet the text's best guess."""
    import decruft

    page = ("El gobierno y el governo en Lisboa\n\neso se governo tem entre en Madrid presidente las sua "
            "hasta contra futebol em Lisboa gobierno.")
    alone = decruft.clean(page, name="x.txt")
    on_outlet = decruft.clean(page, name="x.txt", metadata={"url": "https://elpais.com/x/2020/01/01/a.html"})
    assert (alone["outlet_id"], alone["language"]) == ("unknown", "pt")
    assert (on_outlet["outlet_id"], on_outlet["language"]) == ("elpais", "es")


@given(values=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=55).filter(lambda v: sum(v) > 0),
       lead=st.integers(0, 54), threshold=st.sampled_from([0.9, Detector.CONV_THRESHOLD]))
def test_the_leader_decides_convergence_as_the_largest_would(values, lead, threshold):
    total, lead = sum(values), lead % len(values)
    leading, where = _leading(values, total, lead)
    assert values[where] == leading
    assert (leading / total > threshold) == (max(values) / total > threshold)
