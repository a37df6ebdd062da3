"""The made-up text of the scale benchmarks: comment bodies with hashtags.

Text is drawn from a fixed vocabulary: 40 English function words and 4,000 made-up content words
with a Zipf-like distribution (s = 1.05), 10–60 words per comment, plus, in one comment in three,
one of 50,000 rare words. One comment in three (drawn independently) carries 1–3 different
hashtags, written ``#name`` between its words: each is one of 3,000 tag names drawn by the same
Zipf distribution, or, one time in twenty, one of 50,000 rare tag names (the long tail of tags
used once or twice). Hashtags are drawn from their own random stream, so the words of every
comment are those an earlier run without hashtags drew.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

FUNCTION_WORDS = [
    "the",
    "of",
    "and",
    "a",
    "to",
    "in",
    "is",
    "it",
    "that",
    "was",
    "for",
    "on",
    "are",
    "as",
    "with",
    "his",
    "they",
    "at",
    "be",
    "this",
    "from",
    "have",
    "or",
    "by",
    "one",
    "had",
    "not",
    "but",
    "what",
    "all",
    "were",
    "when",
    "we",
    "there",
    "can",
    "an",
    "your",
    "which",
    "their",
]
SYLLABLES = [
    "ka",
    "lo",
    "mer",
    "dun",
    "pi",
    "ta",
    "ve",
    "ros",
    "al",
    "bri",
    "cen",
    "dor",
    "el",
    "fa",
    "gil",
    "ho",
    "ir",
    "jun",
    "kel",
    "mar",
    "nor",
    "ob",
    "pel",
    "quin",
    "ras",
    "sel",
    "tor",
    "ul",
    "vin",
    "wes",
    "xan",
    "yor",
    "zel",
    "ash",
    "bel",
    "cor",
    "dil",
    "fen",
    "gor",
    "hal",
]
CONTENT_WORDS = 4000
RARE_WORDS = 50_000
ZIPF_S = 1.05
TAG_NAMES = 3000
RARE_TAG_NAMES = 50_000
TAGGED_SHARE = 1 / 3
RARE_TAG_SHARE = 1 / 20
TAGS_PER_COMMENT = (1, 3)


# --------------------------------------------------------------------------- text


def made_up_words(count: int, rng: random.Random, syllables: int) -> list[str]:
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, syllables))))
    return sorted(words, key=lambda w: (len(w), w))


def zipf_cumulative(count: int) -> list[float]:
    return list(itertools.accumulate(1 / (rank**ZIPF_S) for rank in range(1, count + 1)))


@dataclass
class Vocabulary:
    words: list[str]  # by rank: function words first, then content words
    cumulative: list[float]
    rare: list[str]

    @classmethod
    def build(cls, rng: random.Random) -> Vocabulary:
        content = made_up_words(CONTENT_WORDS, rng, 3)
        rng.shuffle(content)
        rare = [w for w in made_up_words(RARE_WORDS + CONTENT_WORDS, rng, 5) if w not in content]
        words = FUNCTION_WORDS + content
        return cls(words, zipf_cumulative(len(words)), rare[:RARE_WORDS])

    def draw(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=k)

    def comment(self, rng: random.Random) -> str:
        words = self.draw(rng, rng.randint(10, 60))
        if rng.random() < 1 / 3:
            words.insert(rng.randrange(len(words)), rng.choice(self.rare))
        words[0] = words[0].capitalize()
        return " ".join(words) + "."


@dataclass
class Hashtags:
    names: list[str]  # by Zipf rank
    cumulative: list[float]
    rare: list[str]

    @classmethod
    def build(cls, rng: random.Random) -> Hashtags:
        names = made_up_words(TAG_NAMES + RARE_TAG_NAMES, rng, 4)
        rng.shuffle(names)
        return cls(names[:TAG_NAMES], zipf_cumulative(TAG_NAMES), names[TAG_NAMES:])

    def draw(self, rng: random.Random) -> tuple[str, ...]:
        """The hashtags of one comment: none for two comments in three."""
        if rng.random() >= TAGGED_SHARE:
            return ()
        wanted = rng.randint(*TAGS_PER_COMMENT)
        names: list[str] = []
        while len(names) < wanted:
            if rng.random() < RARE_TAG_SHARE:
                name = rng.choice(self.rare)
            else:
                name = rng.choices(self.names, cum_weights=self.cumulative)[0]
            if name not in names:
                names.append(name)
        return tuple(names)


@dataclass(frozen=True)
class Draft:
    body: str
    hashtags: tuple[str, ...]  # as the site's parser finds them in ``body``, in order


def drafts(
    vocabulary: Vocabulary,
    hashtags: Hashtags,
    text_rng: random.Random,
    tag_rng: random.Random,
    count: int,
) -> Iterator[Draft]:
    """``count`` comment bodies, with hashtags written between their words."""
    for _ in range(count):
        words = vocabulary.comment(text_rng).split(" ")
        names = hashtags.draw(tag_rng)
        for name in names:  # before the last word, so never after the full stop
            words.insert(tag_rng.randrange(len(words)), f"#{name}")
        yield Draft(" ".join(words), names)
