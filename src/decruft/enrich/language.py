"""Language of an article body, deterministic and fast.

langdetect is accurate on news prose but random by design and slow on long texts, so
its seed is fixed (same text, same answer on every run) and it reads only a bounded
prefix of the body. Its profiles load once per process.
"""
from __future__ import annotations

import math
import random
import re
import threading
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


_normalised_char = lru_cache(maxsize=65536)(NGram.normalize)
_SPACE_RUN = re.compile(" {2,}")  # one character repeated: cannot backtrack


class FastDetector(Detector):
    """langdetect's detector with less Python in its two hot loops, for the same answers.

    The loops run per character and per trial step. The n-grams are those of langdetect's
    NGram (with the character normalisation memoised) and the probability updates do the same
    arithmetic in the same order on numpy rows, so the probabilities are langdetect's own to
    the last bit (a test compares the two).
    """

    def append(self, text: str) -> None:
        """langdetect's ``append``: its URL and e-mail masks, then runs of spaces made one (its
        loop over every character, as one substitution)."""
        text = NGram.normalize_vi(self.MAIL_RE.sub(" ", self.URL_RE.sub(" ", text)))
        self.text += _SPACE_RUN.sub(" ", text[:self.max_text_length])

    def cleaning_text(self) -> None:
        """langdetect's, which drops Latin letters from a text mostly in another script: an
        ASCII text has no other script."""
        if not self.text.isascii():
            super().cleaning_text()

    def _gram_rows(self) -> list[np.ndarray]:
        """The probability rows of langdetect's n-grams, in its order, word by word: n-grams
        never span a space, so each word's (with the space that ends it) are worked out once
        per process (for the one factory's profiles)."""
        words = "".join(map(_normalised_char, self.text)).split(" ")
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
        draws = _SeededDraws(self.seed)
        for _ in range(self.n_trial):
            weight = (self.alpha + draws.gauss() * self.ALPHA_WIDTH) / self.BASE_FREQ
            prob = self._trial(rows, weight, draws)
            self.langprob = [total + p / self.n_trial for total, p in zip(self.langprob, prob)]

    def _trial(self, rows: list[np.ndarray], weight: float, draws: "_SeededDraws") -> list[float]:
        """One trial: multiply by a random n-gram's probabilities plus ``weight``, normalising
        after the first and then every fifth, until one language passes the threshold or the
        iterations run out. The factors of the next draws are stacked ahead, and each five are
        multiplied in by one reduction, which multiplies in the same order."""
        prob = np.array(self._init_probability())
        planned, done, step = 0, 0, 1
        while True:
            if done + step > planned:  # stack more (from the trial's first draw: rare)
                planned = max(2 * planned, _DRAWS_AHEAD)
                picked, ends = draws.peek(len(rows), planned)
                factors = np.array([rows[i] for i in picked])
                factors += weight
            block = factors[done:done + step]
            block[0] *= prob
            prob = np.multiply.reduce(block, axis=0)
            done += step
            values = prob.tolist()
            total = sum(values)  # Python's sum, in langdetect's order
            prob /= total
            # the largest after the division is the largest divided: rounding keeps the order
            if max(values) / total > self.CONV_THRESHOLD or done - 1 >= self.ITERATION_LIMIT:
                draws.advance(ends[done - 1])
                return prob.tolist()
            step = 5


#: Draws a trial stacks at first: most converge within fifty iterations.
_DRAWS_AHEAD = 64


class _SeededDraws:
    """The draws langdetect's generator makes after ``seed(seed)``, as Python's ``random``
    makes them (``randrange`` by rejection on the top bits of a 32-bit word, ``gauss`` from two
    53-bit floats with its second value kept), read from the words its Mersenne twister gives
    after that seed. Every text starts from the same seed, so those words are made once per
    process and a text's draws cost a few numpy operations."""

    def __init__(self, seed: int):
        self._words = _seeded_words(seed)
        self._at = 0  # the next word to read
        self._gauss_next: float | None = None

    def peek(self, count: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The next ``n`` draws of ``randrange(count)``, and the word after each (read on from
        there with ``advance``)."""
        shift = 32 - count.bit_length()
        span = 2 * n + 16  # a draw is accepted with probability above one half
        while True:
            candidates = self._words.upto(self._at + span)[self._at:self._at + span] >> shift
            accepted = np.flatnonzero(candidates < count)
            if len(accepted) >= n:
                accepted = accepted[:n]
                return candidates[accepted], accepted + (self._at + 1)
            span *= 2

    def advance(self, to: int) -> None:
        self._at = int(to)

    def gauss(self) -> float:
        """``random.gauss(0.0, 1.0)``."""
        z, self._gauss_next = self._gauss_next, None
        if z is None:
            x2pi = self._random() * math.tau
            g2rad = math.sqrt(-2.0 * math.log(1.0 - self._random()))
            z, self._gauss_next = math.cos(x2pi) * g2rad, math.sin(x2pi) * g2rad
        return z

    def _random(self) -> float:
        """``random.random()``: 53 bits from two words."""
        first, second = self._words.upto(self._at + 2)[self._at:self._at + 2].tolist()
        self._at += 2
        return ((first >> 5) * 67108864.0 + (second >> 6)) * (1.0 / 9007199254740992.0)


class _WordStream:
    """The 32-bit words of a Mersenne twister from a seed, in order, made as far as read."""

    def __init__(self, seed: int):
        self._random = random.Random(seed)
        self._words = np.empty(0, dtype=np.uint32)
        self._lock = threading.Lock()  # one twister: threads must not make words at once

    def upto(self, n: int) -> np.ndarray:
        """The words made so far, at least ``n``."""
        words = self._words
        if n > len(words):
            with self._lock:
                words = self._words
                if n > len(words):
                    more = max(n - len(words), len(words), 4096)
                    made = self._random.getrandbits(32 * more).to_bytes(4 * more, "little")
                    words = self._words = np.concatenate((words, np.frombuffer(made, dtype="<u4")))
        return words


@lru_cache(maxsize=4)
def _seeded_words(seed: int) -> _WordStream:
    return _WordStream(seed)


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


def _letters(text: str) -> int:
    return sum(map(str.isalpha, text))


def _normalise_code(code: str | None) -> str | None:
    """'en-US', 'en_GB', 'EN' -> 'en'; langdetect's 'zh-cn' -> 'zh'."""
    if not code:
        return None
    lowered = code.strip().lower().replace("_", "-")
    return CODE_ALIASES.get(lowered, lowered.split("-")[0] or None)


def _probabilities(text: str) -> dict[str, float]:
    detector = FastDetector(detector_factory())
    detector.n_trial = TRIALS
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
    if _letters(prefix) < MIN_LETTERS:
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
