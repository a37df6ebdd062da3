"""What the data generator learns from a real Talk export, and the comment text it writes.

The calibration reads the Scarlets and Blues export (``/work/shared/data/scarlets-and-blues``,
or ``--calibration DIR``): comment lengths, the share of comments with hashtags, mentions and
item references, hashtags per comment, comments per discussion, the share of comments about an
item, and the concentration of comments on a few people. docs/benchmarks.md lists the figures.

Comment text is real text recombined: a body is a real comment (its hashtags, mentions and
item references taken out) with the words of each line shuffled, so lengths, line breaks,
lists, links and vocabulary are those of real Talk; hashtags, mentions and item references are
then written in at the measured rates, naming this project's people, tags and items.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DIRS = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "scarlets-and-blues",
    Path("/work/shared/data/scarlets-and-blues"),
)
HASHTAG = re.compile(r"(?<![\w&/#])#[\w-]+")
MENTION = re.compile(r"(?<![\w/.@])@[\w.-]+")
ITEM_REF = re.compile(r"(?<![\w/])\^[\w-]+")
#: A line's leading Markdown marker stays first when its words are shuffled.
MARKER = re.compile(r"^(?:[-*+>]|\d+[.)]|#{1,6})$")


def calibration_dir(given: str | None) -> Path:
    for candidate in (
        [Path(given)] if given else [Path(os.environ.get("TALK_BENCH_DATA", "")), *DEFAULT_DIRS]
    ):
        if str(candidate) and (candidate / "items.csv").is_file():
            return candidate.resolve()
    raise SystemExit("No calibration data: pass --calibration DIR (the Scarlets and Blues export).")


@dataclass
class Calibration:
    """The measured shapes of the real export, and the text generation draws from."""

    comments: int
    templates: list[str]  # real bodies without hashtags, mentions and item references
    titles: list[str]  # real discussion titles
    tag_names: list[str]  # real tag names, most used first
    items: list[dict[str, str]]  # real item rows (title, catalogue data)
    hashtag_share: float
    tags_per_comment: dict[int, int]  # number of distinct hashtags → comments
    mention_share: float
    item_ref_share: float
    item_share: float  # comments in discussions about an item
    discussion_sizes: list[int]  # comments per discussion, one per real discussion
    length_percentiles: dict[int, int] = field(default_factory=dict)
    top_tenth_share: float = 0.0  # comments written by the most active tenth of people
    one_comment_people: float = 0.0

    @classmethod
    def measure(cls, folder: Path) -> Calibration:
        raw = json.loads(next(folder.glob("*comments*.json")).read_text())
        tags = json.loads(next(folder.glob("*tags*.json")).read_text())
        with (folder / "items.csv").open(newline="") as handle:
            items = list(csv.DictReader(handle))
        bodies = [c["comment_body"] or "" for c in raw]
        tagged = [len(set(HASHTAG.findall(b))) for b in bodies]
        per_discussion = Counter(c["discussion_id"] for c in raw)
        per_person = sorted(Counter(c["comment_user_id"] for c in raw).values(), reverse=True)
        lengths = sorted(len(b) for b in bodies)
        templates = []
        for body in bodies:
            stripped = ITEM_REF.sub("", MENTION.sub("", HASHTAG.sub("", body))).strip()
            if stripped:
                templates.append(stripped)
        return cls(
            comments=len(raw),
            templates=templates,
            titles=sorted({c["discussion_title"].strip() for c in raw if c["discussion_title"]}),
            tag_names=[name for name, _ in Counter(t["name"] for t in tags).most_common()],
            items=items,
            hashtag_share=sum(1 for n in tagged if n) / len(bodies),
            tags_per_comment=dict(sorted(Counter(n for n in tagged if n).items())),
            mention_share=sum(1 for b in bodies if MENTION.search(b)) / len(bodies),
            item_ref_share=sum(1 for b in bodies if ITEM_REF.search(b)) / len(bodies),
            item_share=sum(1 for c in raw if c["comment_focus_id"]) / len(raw),
            discussion_sizes=sorted(per_discussion.values()),
            length_percentiles={
                p: lengths[round(p / 100 * (len(lengths) - 1))] for p in (10, 25, 50, 75, 90, 99)
            },
            top_tenth_share=sum(per_person[: max(1, len(per_person) // 10)]) / len(raw),
            one_comment_people=sum(1 for n in per_person if n == 1) / len(per_person),
        )

    def summary(self) -> list[str]:
        sizes = self.discussion_sizes
        return [
            f"comments {self.comments}, discussions {len(sizes)}, templates {len(self.templates)}",
            f"length (characters) p10/25/50/75/90/99: {self.length_percentiles}",
            f"with hashtags {self.hashtag_share:.1%}, per tagged comment {self.tags_per_comment}",
            f"with mentions {self.mention_share:.1%}, item refs {self.item_ref_share:.2%}",
            f"about an item {self.item_share:.1%}; per discussion median "
            f"{sizes[len(sizes) // 2]}, max {sizes[-1]}, one comment "
            f"{sum(1 for s in sizes if s == 1) / len(sizes):.0%}",
            f"most active tenth of people wrote {self.top_tenth_share:.0%}; "
            f"{self.one_comment_people:.0%} of people wrote one comment",
        ]


def shuffled(template: str, rng: random.Random) -> str:
    """``template`` with the words of each line in a new order (a leading list, quote or
    heading marker stays first), so a real comment's shape carries new text."""
    lines = []
    for line in template.split("\n"):
        words = line.split()
        head = [words.pop(0)] if words and MARKER.match(words[0]) else []
        rng.shuffle(words)
        lines.append(" ".join(head + words))
    return "\n".join(lines)


def insert_words(body: str, words: list[str], rng: random.Random) -> str:
    """``body`` with each of ``words`` written between two of its words (never first on a line,
    where ``#`` could read as a heading)."""
    lines = body.split("\n")
    for word in words:
        candidates = [i for i, line in enumerate(lines) if line.strip()]
        if not candidates:
            lines.append(word)
            continue
        index = rng.choice(candidates)
        parts = lines[index].split(" ")
        parts.insert(rng.randint(1, len(parts)), word)
        lines[index] = " ".join(parts)
    return "\n".join(lines)


def made_up_tag_names(count: int, calibration: Calibration, rng: random.Random) -> list[str]:
    """``count`` tag names, most popular first: the real ones, then names made of the
    templates' words (``faded-ink``, ``ward_roll``) as volunteers coin them."""
    names = list(calibration.tag_names[:count])
    seen = set(names)
    words = sorted(
        {w.lower() for t in calibration.templates for w in re.findall(r"[A-Za-z]{4,12}", t)}
    )
    while len(names) < count:
        joiner = rng.choice(("-", "_", ""))
        name = joiner.join(rng.sample(words, rng.choice((1, 2, 2))))[:40]
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names
