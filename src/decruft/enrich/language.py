"""Language of an article body, deterministic and fast.

langdetect is accurate on news prose but random by design and slow on long texts, so
its seed is fixed (same text, same answer on every run) and it reads only a bounded
prefix of the body. Its profiles load once per process.
"""
from __future__ import annotations

import copy
import math
import random
import re
from functools import lru_cache

import numpy as np

from langdetect import DetectorFactory
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.utils.ngram import NGram

__all__ = ["detect_language"]

PREFIX_CHARS = 600  # enough prose to tell a language; bounds the time per document
MIN_LETTERS = 20  # fewer letters than this cannot be told apart reliably
TRIALS = 3  # langdetect's default is 7; three agree on news prose and cost less
HINT_MIN_PROBABILITY = 0.2  # a declared language wins over a close call down to this
CONFIDENT = 0.9  # above this the text overrules a declared language
DRAWS_AHEAD = 51  # a trial's draws made at a time: its first step and ten more (most need fewer)
OUTPUTS_MADE = 4096  # the generator's outputs made at first (a text's trials use a few hundred)

UNDETERMINED = ("und", 0.0)
# langdetect's codes that are not plain ISO 639-1.
CODE_ALIASES = {"zh-cn": "zh", "zh-tw": "zh"}


@lru_cache(maxsize=1)
def detector_factory() -> DetectorFactory:
    """langdetect's profiles, loaded once per process (a third of a second)."""
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.seed = 0
    return factory


#: langdetect's normalisation of each character met so far, as a ``str.translate`` table.
_NORMALISED: dict[int, str] = {}
_SPACE_RUN = re.compile(" {2,}")  # one character repeated: cannot backtrack
# langdetect's cleaning: Latin letters are 'A' to 'z' (with the six signs between the cases);
# letters of other scripts are from U+0300 on, except the Latin Extended Additional block
_LATIN_FIRST, _LATIN_LAST, _OTHER_FROM, _LATIN_ADDITIONAL = ord("A"), ord("z"), 0x300, (0x1E00, 0x1EFF)
_LATIN_LETTER = re.compile("[A-z]")  # one character class: cannot backtrack


class FastDetector(Detector):
    """langdetect's detector with less Python in its two hot loops, for the same answers.

    The loops run per character and per trial step. The n-grams are those of langdetect's
    NGram (with the character normalisation memoised), the random draws are its generator's
    (read a block at a time, see ``SeededDraws``) and the probability updates do the same
    arithmetic in the same order on numpy rows, so the probabilities are langdetect's own to
    the last bit (a test compares the two).
    """

    def append(self, text: str) -> None:
        """langdetect's ``append``: its URL and e-mail masks, then runs of spaces made one (its
        loop over every character, as one substitution)."""
        text = NGram.normalize_vi(self.MAIL_RE.sub(" ", self.URL_RE.sub(" ", text)))
        self.text += _SPACE_RUN.sub(" ", text[:self.max_text_length])

    def cleaning_text(self) -> None:
        """langdetect's, which drops the Latin letters (``A`` to ``z``) of a text with more than
        twice as many letters of other scripts, counted in C: a character from U+0300 on that is
        not in the Latin Extended Additional block (U+1E00-U+1EFF) counts as another script."""
        if self.text.isascii():
            return
        codes = np.frombuffer(self.text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        latin = np.count_nonzero((codes >= _LATIN_FIRST) & (codes <= _LATIN_LAST))
        other = np.count_nonzero((codes >= _OTHER_FROM) & ((codes < _LATIN_ADDITIONAL[0]) | (codes > _LATIN_ADDITIONAL[1])))
        if latin * 2 < other:
            self.text = _LATIN_LETTER.sub("", self.text)

    def _gram_rows(self) -> list[np.ndarray]:
        """The probability rows of langdetect's n-grams, in its order, word by word: n-grams
        never span a space, so each word's (with the space that ends it) are worked out once
        per process (for the one factory's profiles)."""
        words = _normalised(self.text).split(" ")
        last = len(words) - 1
        found: list[np.ndarray] = []
        for i, word in enumerate(words):
            if word:
                found += _word_rows(word + " " if i < last else word)
        return found

    def _detect_block(self) -> None:
        """langdetect's trials with each n-gram's probabilities as a numpy row: the same random
        draws, products and divisions in the same order, so the same floats."""
        self.cleaning_text()
        rows = self._gram_rows()
        if not rows:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        self.langprob = [0.0] * len(self.langlist)
        draws = SeededDraws(self.seed)
        for _ in range(self.n_trial):
            weight = (self.alpha + draws.gauss() * self.ALPHA_WIDTH) / self.BASE_FREQ
            prob = self._trial(rows, weight, draws)
            self.langprob = [total + p / self.n_trial for total, p in zip(self.langprob, prob)]

    def _trial(self, rows: list[np.ndarray], weight: float, draws: SeededDraws) -> list[float]:
        """One trial: multiply by a random n-gram's probabilities plus ``weight``, normalising
        after the first and then every fifth, until one language passes the threshold or the
        iterations run out.

        The draws come a block at a time, their factors as one array, and each step's products
        as one reduction that starts from the probabilities (in langdetect's order: the same
        floats); the draws a trial does not use go back to the next trial."""
        prob = np.array(self._init_probability())
        count, done, step, lead = len(rows), 0, 1, 0
        factors = np.empty((DRAWS_AHEAD + 1, len(prob)))
        while True:
            factors[1:] = [rows[i] for i in draws.choices(count, DRAWS_AHEAD)]
            factors[1:] += weight
            used = 0
            while used + step <= DRAWS_AHEAD:
                factors[used] = prob  # the row before the step's factors, already multiplied in
                prob = np.multiply.reduce(factors[used:used + step + 1])
                used, done = used + step, done + step
                values = prob.tolist()
                total = sum(values)  # Python's sum, in langdetect's order
                prob /= total
                # the largest after the division is the largest divided (rounding keeps the
                # order), so the list already made gives it without another pass over the array
                leading, lead = _leading(values, total, lead)
                if leading / total > self.CONV_THRESHOLD or done - 1 >= self.ITERATION_LIMIT:
                    draws.take(used)
                    return prob.tolist()
                step = 5
            draws.take(used)


def _leading(values: list[float], total: float, lead: int) -> tuple[float, int]:
    """The value the convergence test compares (the largest) and where it is, looking first at
    the last leader: when that is over half the total it is taken without a pass over all the
    values. It is then the largest, or else it and a larger one are both about half the total,
    far under the threshold, so the test gives the same answer either way."""
    if values[lead] * 2 > total:
        return values[lead], lead
    largest = max(values)
    return largest, values.index(largest)


class SeededDraws:
    """The values langdetect's trials draw from ``random.Random(seed)`` (``gauss``, and
    ``choice`` over the n-grams), read off the generator's raw 32-bit outputs, which are made
    once per process and seed, so that a trial gets its next draws as one array.

    CPython's Mersenne Twister makes ``choice(seq)`` from ``getrandbits(k)``, k the bit length
    of ``len(seq)``: one output shifted right by 32 - k, drawn again while not below
    ``len(seq)``; and ``random()`` from two outputs as one 53-bit fraction. A test compares the
    draws with the generator's own.
    """

    def __init__(self, seed: int):
        self._seed = seed
        self._outputs = _raw_outputs(seed, OUTPUTS_MADE)
        self._at = 0  # the next output to use
        self._ahead = np.empty(0, dtype=np.intp)  # where the draws of the last ``choices`` end
        self._gauss_next: float | None = None

    def random(self) -> float:
        """``Random.random()``."""
        high, low = self._next_outputs(2)[:2].tolist()
        self._at += 2
        return ((high >> 5) * 67108864.0 + (low >> 6)) * (1.0 / 9007199254740992.0)

    def gauss(self) -> float:
        """``Random.gauss(0.0, 1.0)``, which makes two values at a time and keeps the second."""
        z, self._gauss_next = self._gauss_next, None
        if z is None:
            angle = self.random() * math.tau
            radius = math.sqrt(-2.0 * math.log(1.0 - self.random()))
            z, self._gauss_next = math.cos(angle) * radius, math.sin(angle) * radius
        return z

    def choices(self, count: int, how_many: int) -> list[int]:
        """The next ``how_many`` draws of ``choice`` over ``count`` items; ``take`` says how many
        of them were used."""
        shift, span = 32 - count.bit_length(), 2 * how_many + 32  # half the outputs or more pass
        while True:
            candidates = self._next_outputs(span)[:span] >> shift
            passed = np.flatnonzero(candidates < count)
            if len(passed) >= how_many:
                self._ahead = passed[:how_many]
                return candidates[self._ahead].tolist()
            span *= 2

    def take(self, used: int) -> None:
        """Use the first ``used`` draws of the last ``choices``: the next start after them."""
        if used:
            self._at += int(self._ahead[used - 1]) + 1

    def _next_outputs(self, count: int) -> np.ndarray:
        """The outputs from the next one on, at least ``count`` of them."""
        while len(self._outputs) < self._at + count:
            self._outputs = _raw_outputs(self._seed, 2 * len(self._outputs))
        return self._outputs[self._at:]


@lru_cache(maxsize=8)
def _raw_outputs(seed: int, count: int) -> np.ndarray:
    """The first ``count`` 32-bit outputs of ``random.Random(seed)``, in order (``getrandbits(32 * n)``
    puts the first in its lowest 32 bits); counts double from ``OUTPUTS_MADE``, so few are kept."""
    bits = random.Random(seed).getrandbits(32 * count)
    return np.frombuffer(bits.to_bytes(4 * count, "little"), dtype="<u4")


def _normalised(text: str) -> str:
    """langdetect's normalisation of every character (one character for one), as one
    ``str.translate``: the characters not met before are added to its table first."""
    new = {ord(char) for char in set(text)}.difference(_NORMALISED)
    _NORMALISED.update((code, NGram.normalize(chr(code))) for code in new)
    return text.translate(_NORMALISED)


@lru_cache(maxsize=16384)
def _gram_row(gram: str) -> np.ndarray:
    """An n-gram's probability per language, as a numpy row (half a kilobyte: the common ones
    are kept)."""
    return np.array(detector_factory().word_lang_prob_map[gram])


@lru_cache(maxsize=65536)
def _word_rows(word: str) -> tuple[np.ndarray, ...]:
    """The rows of the n-grams of one normalised word (and its closing space) that the
    profiles know."""
    return tuple(map(_gram_row, _scan_word(word, detector_factory().word_lang_prob_map)))


def _scan_word(word: str, known: dict) -> list[str]:
    """langdetect's n-gram loop over one word, from a fresh window."""
    found: list[str] = []
    grams, capital_word = " ", False
    for char in word:
        last = grams[-1]
        if last == " ":
            grams, capital_word = " ", False
        elif len(grams) >= NGram.N_GRAM:
            grams = grams[1:]
        grams += char
        capital_word = char.isupper() and (capital_word or last.isupper())
        if capital_word:
            continue
        for n in range(1, NGram.N_GRAM + 1):
            if len(grams) < n:
                break
            gram = grams[-n:]
            if gram != " " and gram in known:
                found.append(gram)
    return found


def _has_letters(text: str, needed: int) -> bool:
    """Whether the text has ``needed`` letters, counted in its first characters first (most
    texts have them there)."""
    return sum(map(str.isalpha, text[:4 * needed])) >= needed or sum(map(str.isalpha, text)) >= needed


def _normalise_code(code: str | None) -> str | None:
    """'en-US', 'en_GB', 'EN' -> 'en'; langdetect's 'zh-cn' -> 'zh'."""
    if not code:
        return None
    lowered = code.strip().lower().replace("_", "-")
    return CODE_ALIASES.get(lowered, lowered.split("-")[0] or None)


@lru_cache(maxsize=1)
def _fresh_detector() -> FastDetector:
    """A detector with no text yet, which each text's is a copy of: making one seeds a generator
    from the system's entropy (most of its cost), which ``SeededDraws`` replaces."""
    detector = FastDetector(detector_factory())
    detector.n_trial = TRIALS
    return detector


def _probabilities(text: str) -> dict[str, float]:
    detector = copy.copy(_fresh_detector())
    detector.append(text)
    try:
        ranked = detector.get_probabilities()
    except LangDetectException:
        return {}
    found: dict[str, float] = {}
    for language in ranked:
        code = _normalise_code(language.lang)
        found[code] = found.get(code, 0.0) + language.prob
    return found


def detect_language(text: str, hint: str | None = None) -> tuple[str, float]:
    """ISO 639-1 code and probability of the text's language, ("und", 0.0) if unclear.

    ``hint`` (a declared language such as a page's ``lang``) decides close calls: it is
    taken when the text gives it some probability and no other language is confident.
    """
    prefix = text[:PREFIX_CHARS]
    if not _has_letters(prefix, MIN_LETTERS):
        return UNDETERMINED
    probabilities = _probabilities(prefix)
    if not probabilities:
        return UNDETERMINED
    best = max(probabilities, key=probabilities.__getitem__)
    declared = _normalise_code(hint)
    if (
        declared in probabilities
        and declared != best
        and probabilities[declared] >= HINT_MIN_PROBABILITY
        and probabilities[best] < CONFIDENT
    ):
        best = declared
    return best, round(probabilities[best], 4)
