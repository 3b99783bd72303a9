"""Language of an article body, deterministic and fast.

langdetect is accurate on news prose but random by design and slow on long texts, so
its seed is fixed (same text, same answer on every run) and it reads only a bounded
prefix of the body. Its profiles load once per process.
"""
from __future__ import annotations

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
        self.random.seed(self.seed)
        for _ in range(self.n_trial):
            weight = (self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH) / self.BASE_FREQ
            prob = self._trial(rows, weight)
            self.langprob = [total + p / self.n_trial for total, p in zip(self.langprob, prob)]

    def _trial(self, rows: list[np.ndarray], weight: float) -> list[float]:
        """One trial: multiply by a random n-gram's probabilities plus ``weight``, normalising
        after the first and then every fifth, until one language passes the threshold or the
        iterations run out."""
        prob = np.array(self._init_probability())
        # random.choice(rows) draws as randrange(len(rows)) does, which for a positive count is
        # Random._randbelow(count): the same draws, without randrange's checks on every one
        below, count, done, step = self.random._randbelow, len(rows), 0, 1
        while True:
            for _ in range(step):
                prob *= rows[below(count)] + weight
            done += step
            values = prob.tolist()
            total = sum(values)  # Python's sum, in langdetect's order
            prob /= total
            # the largest after the division is the largest divided (rounding keeps the order),
            # so the list already made gives it without another pass over the array
            if max(values) / total > self.CONV_THRESHOLD or done - 1 >= self.ITERATION_LIMIT:
                return prob.tolist()
            step = 5


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
