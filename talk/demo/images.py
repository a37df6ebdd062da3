"""The demo's images (herbarium sheets and register pages), drawn from the seed.

The files shipped in ``talk/static/demo/`` are the output of :func:`demo_images`; regenerate them
with ``python -m talk.demo.images``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from talk.demo.catalogue import DEFAULT_SEED, IMAGE_DIR, REGISTER_PAGES, SPECIES, Species

PAPER = "#f3eddc"
STEM = "#5a6337"
LEAF = ("#5b6b3a", "#6d7a43", "#4f5c33", "#66713f")
INK = "#3b2f25"


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


class _Drawing:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.parts: list[str] = []
        self.anchors: list[tuple[float, float]] = []  # where mounting strips may go

    def add(self, tag: str, **attrs: float | str) -> None:
        rendered = " ".join(
            f'{key.rstrip("_").replace("_", "-")}="{_n(v) if isinstance(v, float) else v}"'
            for key, v in attrs.items()
        )
        self.parts.append(f"<{tag} {rendered}/>")

    def text(self, x: float, y: float, content: str, size: float, **attrs: str) -> None:
        extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
        self.parts.append(
            f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}"{extra}>{escape(content)}</text>'
        )

    def leaf(self, x: float, y: float, length: float, angle: float, colour: str) -> None:
        self.add(
            "ellipse",
            cx=x,
            cy=y,
            rx=length,
            ry=length * self.rng.uniform(0.28, 0.4),
            transform=f"rotate({_n(angle)} {_n(x)} {_n(y)})",
            fill=colour,
        )

    def squiggle(self, x: float, y: float, width: float, colour: str, height: float = 3) -> None:
        """A line of 'handwriting'."""
        d: list[str] = []
        pen = x
        while pen < x + width - 4:
            letters = self.rng.randint(2, 7)
            d.append(f"M{_n(pen)} {_n(y)}")
            for _ in range(letters):
                tall = self.rng.random() < 0.18  # an ascender
                h = (2.2 if tall else self.rng.uniform(0.5, 1.0)) * height
                d.append(f"q1.2 {_n(-h)} 2.4 0")
            pen += letters * 2.4 + self.rng.uniform(2.5, 4)
        self.add("path", d="".join(d), fill="none", stroke=colour, stroke_width="0.6")

    def svg(self) -> str:
        body = "\n".join(self.parts)
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 420" width="300" '
            f'height="420" font-family="Georgia, serif">\n{body}\n</svg>\n'
        )


def _quad(
    p0: tuple[float, float], c: tuple[float, float], p1: tuple[float, float]
) -> Callable[[float], tuple[float, float]]:
    def at(t: float) -> tuple[float, float]:
        u = 1 - t
        return (
            u * u * p0[0] + 2 * u * t * c[0] + t * t * p1[0],
            u * u * p0[1] + 2 * u * t * c[1] + t * t * p1[1],
        )

    return at


def _stem(
    d: _Drawing,
    base: tuple[float, float],
    top: tuple[float, float],
    width: float,
    colour: str = STEM,
) -> Callable[[float], tuple[float, float]]:
    rng = d.rng
    control = ((base[0] + top[0]) / 2 + rng.uniform(-45, 45), (base[1] + top[1]) / 2)
    d.add(
        "path",
        d=f"M{_n(base[0])} {_n(base[1])} Q{_n(control[0])} {_n(control[1])} "
        f"{_n(top[0])} {_n(top[1])}",
        fill="none",
        stroke=colour,
        stroke_width=_n(width),
        stroke_linecap="round",
    )
    at = _quad(base, control, top)
    d.anchors.append(at(rng.uniform(0.2, 0.45)))
    return at


def _flower(d: _Drawing, x: float, y: float, colour: str, size: float) -> None:
    for k in range(5):
        a = 2 * math.pi * k / 5 + d.rng.uniform(-0.2, 0.2)
        d.add(
            "circle",
            cx=x + math.cos(a) * size,
            cy=y + math.sin(a) * size,
            r=size * 0.85,
            fill=colour,
            stroke="#6b5a2a",
            stroke_width="0.3",
        )
    d.add("circle", cx=x, cy=y, r=size * 0.45, fill="#7a6428")


def _roots(d: _Drawing, x: float, y: float) -> None:
    for _ in range(d.rng.randint(3, 6)):
        ex, ey = x + d.rng.uniform(-22, 22), y + d.rng.uniform(8, 22)
        d.add(
            "path",
            d=f"M{_n(x)} {_n(y)} Q{_n((x + ex) / 2 + d.rng.uniform(-8, 8))} "
            f"{_n(y + 6)} {_n(ex)} {_n(ey)}",
            fill="none",
            stroke="#7b6446",
            stroke_width="0.8",
        )


def _draw_herb(d: _Drawing, sp: Species) -> None:
    rng = d.rng
    base = (150 + rng.uniform(-15, 15), 320.0)
    for _stem_no in range(rng.randint(1, 2)):
        top = (150 + rng.uniform(-60, 60), 80 + rng.uniform(0, 40))
        at = _stem(d, base, top, 2.0)
        for i in range(rng.randint(4, 7)):
            t = 0.1 + i * 0.12
            x, y = at(t)
            side = 1 if i % 2 else -1
            length = rng.uniform(14, 26) * (1.1 - t * 0.6)
            d.leaf(x + side * length * 0.85, y - 3, length, side * -28, rng.choice(LEAF))
        for k in range(rng.randint(1, 3)):
            fx, fy = at(1.0 - k * 0.08)
            _flower(d, fx + k * rng.uniform(-14, 14), fy - 4, sp.colour, rng.uniform(3.5, 5.5))
    _roots(d, *base)


def _draw_spike(d: _Drawing, sp: Species) -> None:
    rng = d.rng
    base = (150 + rng.uniform(-10, 10), 318.0)
    for k in range(rng.randint(4, 6)):
        angle = -160 + k * 28 + rng.uniform(-8, 8)
        length = rng.uniform(30, 48)
        rad = math.radians(angle)
        d.leaf(
            base[0] + math.cos(rad) * length * 0.9,
            base[1] + math.sin(rad) * length * 0.9,
            length,
            angle,
            rng.choice(LEAF),
        )
    top = (base[0] + rng.uniform(-25, 25), 70 + rng.uniform(0, 20))
    at = _stem(d, base, top, 2.6)
    flowers = rng.randint(10, 16)
    for k in range(flowers):
        t = 0.55 + 0.45 * k / flowers
        x, y = at(t)
        side = 1 if k % 2 else -1
        size = 7.5 * (1.15 - t * 0.5)
        d.leaf(x + side * size, y, size, side * 25 + 90, sp.colour)
    _roots(d, *base)


def _draw_fern(d: _Drawing, sp: Species) -> None:
    rng = d.rng
    tapering = sp.name.startswith("Polypodium")
    for _frond in range(rng.randint(2, 3)):
        base = (150 + rng.uniform(-20, 20), 330.0)
        top = (150 + rng.uniform(-80, 80), 60 + rng.uniform(0, 50))
        at = _stem(d, base, top, 1.6, "#6b5a35")
        pairs = rng.randint(12, 18)
        for k in range(1, pairs):
            t = 0.12 + 0.86 * k / pairs
            x, y = at(t)
            width = (1 - t * 0.8) if tapering else math.sin(math.pi * min(t * 1.15, 1.0))
            length = 6 + 20 * width
            colour = rng.choice(LEAF)
            d.leaf(x - length * 0.9, y - 2, length, 12, colour)
            d.leaf(x + length * 0.9, y - 2, length, -12, colour)
            if k % 3 == 0:
                d.add("circle", cx=x - length * 0.8, cy=y - 1, r=1.1, fill=sp.colour)
                d.add("circle", cx=x + length * 0.8, cy=y - 1, r=1.1, fill=sp.colour)


def _draw_grass(d: _Drawing, sp: Species) -> None:
    rng = d.rng
    base = (150 + rng.uniform(-10, 10), 325.0)
    for _blade in range(rng.randint(6, 9)):
        end = (base[0] + rng.uniform(-95, 95), rng.uniform(150, 260))
        _stem(d, base, end, 1.6, rng.choice(LEAF))
    for _culm in range(rng.randint(2, 3)):
        top = (base[0] + rng.uniform(-55, 55), rng.uniform(55, 90))
        at = _stem(d, base, top, 1.0, "#8a8a4a")
        for k in range(rng.randint(8, 13)):
            x, y = at(0.78 + 0.22 * k / 13)
            dx, dy = rng.uniform(-14, 14), rng.uniform(-2, 10)
            d.add("line", x1=x, y1=y, x2=x + dx, y2=y + dy, stroke="#8a8a4a", stroke_width="0.5")
            d.leaf(x + dx, y + dy, rng.uniform(2.5, 4), rng.uniform(-90, 90), sp.colour)
    _roots(d, *base)


def _draw_twig(d: _Drawing, sp: Species) -> None:
    rng = d.rng
    base = (130 + rng.uniform(-20, 20), 335.0)
    top = (170 + rng.uniform(-30, 30), 65 + rng.uniform(0, 25))
    at = _stem(d, base, top, 3.4, "#6e5536")
    sx, sy = at(0.45)
    side = _stem(
        d, (sx, sy), (sx + rng.choice((-1, 1)) * rng.uniform(50, 80), sy - 90), 2.2, "#6e5536"
    )
    for branch, count in ((at, 8), (side, 4)):
        for k in range(count):
            x, y = branch(0.25 + 0.75 * k / count)
            direction = 1 if k % 2 else -1
            length = rng.uniform(16, 24)
            lx, ly = x + direction * length, y - length * 0.4
            d.add("line", x1=x, y1=y, x2=lx, y2=ly, stroke="#6e5536", stroke_width="0.8")
            d.leaf(lx + direction * length * 0.6, ly - 2, length, direction * -30, rng.choice(LEAF))
    for _fruit in range(rng.randint(3, 6)):
        x, y = at(rng.uniform(0.5, 0.95))
        d.add(
            "circle",
            cx=x + rng.uniform(-12, 12),
            cy=y + rng.uniform(4, 10),
            r=3.6,
            fill=sp.colour,
            stroke="#3a2a1a",
            stroke_width="0.4",
        )


def _draw_umbel(d: _Drawing, sp: Species) -> None:
    rng = d.rng
    base = (150 + rng.uniform(-10, 10), 330.0)
    top = (150 + rng.uniform(-20, 20), 115 + rng.uniform(0, 20))
    at = _stem(d, base, top, 3.0)
    for k in range(3):
        x, y = at(0.15 + k * 0.15)
        direction = 1 if k % 2 else -1
        for j in range(3):
            d.leaf(
                x + direction * (14 + j * 12),
                y - 4 - j * 3,
                rng.uniform(9, 13),
                direction * -20,
                rng.choice(LEAF),
            )
    cx, cy = top
    rays = rng.randint(9, 14)
    for k in range(rays):
        a = math.radians(-160 + 140 * k / (rays - 1))
        radius = rng.uniform(42, 56)
        ex, ey = cx + math.cos(a) * radius, cy + math.sin(a) * radius * 0.8
        d.add("line", x1=cx, y1=cy, x2=ex, y2=ey, stroke=STEM, stroke_width="0.7")
        for _floret in range(6):
            d.add(
                "circle",
                cx=ex + rng.uniform(-5, 5),
                cy=ey + rng.uniform(-4, 3),
                r=1.8,
                fill=sp.colour,
                stroke="#b3a784",
                stroke_width="0.3",
            )


DRAW = {
    "herb": _draw_herb,
    "spike": _draw_spike,
    "fern": _draw_fern,
    "grass": _draw_grass,
    "twig": _draw_twig,
    "umbel": _draw_umbel,
}


def _sheet_svg(rng: random.Random, sp: Species) -> str:
    d = _Drawing(rng)
    d.add("rect", x=0.0, y=0.0, width=300.0, height=420.0, fill=PAPER)
    d.add("rect", x=4.0, y=4.0, width=292.0, height=412.0, fill="none", stroke="#d9cfb6")
    DRAW[sp.form](d, sp)
    for x, y in d.anchors[:4]:
        d.add(
            "rect",
            x=x - 9,
            y=y - 2.5,
            width=18.0,
            height=5.0,
            fill="#fbf8ef",
            stroke="#d8d0bc",
            stroke_width="0.4",
            transform=f"rotate(-12 {_n(x)} {_n(y)})",
        )
    bx = 232.0
    while bx < 286:  # barcode
        width = rng.choice((0.8, 1.2, 2.0))
        d.add("rect", x=bx, y=16.0, width=width, height=16.0, fill="#222")
        bx += width + rng.choice((0.8, 1.2, 1.8))
    d.add("rect", x=166.0, y=336.0, width=124.0, height=70.0, fill="#fbf8ef", stroke="#9c927c")
    d.text(228, 346, "HERBARIUM OF THE", 5, text_anchor="middle", fill="#555")
    d.text(228, 353, "WESSEX NATURALISTS' SOCIETY", 5.2, text_anchor="middle", fill="#333")
    d.text(228, 365, sp.name, 8, text_anchor="middle", font_style="italic", fill="#222")
    d.text(228, 373, sp.family, 5.5, text_anchor="middle", fill="#444")
    for row in range(3):
        y = 384 + row * 8
        d.add("line", x1=172.0, y1=y + 1, x2=284.0, y2=y + 1, stroke="#cfc6b0", stroke_width="0.4")
        d.squiggle(176, y, rng.uniform(50, 100), "#4a3b2c", 2.6)
    for k in range(6):  # scale bar
        d.add(
            "rect",
            x=14.0 + k * 10,
            y=398.0,
            width=10.0,
            height=4.0,
            fill="#222" if k % 2 == 0 else "#fff",
            stroke="#222",
            stroke_width="0.4",
        )
    d.text(14, 395, "0", 4.5, fill="#333")
    d.text(66, 395, "5 cm", 4.5, fill="#333")
    return d.svg()


def _register_svg(rng: random.Random, page: int) -> str:
    d = _Drawing(rng)
    d.add("rect", x=0.0, y=0.0, width=300.0, height=420.0, fill="#efe4c8")
    d.add("rect", x=0.0, y=0.0, width=14.0, height=420.0, fill="#d9caa4", opacity="0.7")
    d.text(157, 30, "ACCESSIONS", 11, text_anchor="middle", fill="#4a3b2c", letter_spacing="2")
    d.text(
        157,
        40,
        "Wessex Naturalists' Society: Herbarium",
        5.5,
        text_anchor="middle",
        font_style="italic",
        fill="#5a4a38",
    )
    columns = (22.0, 56.0, 92.0, 214.0, 284.0)
    for label, x in zip(("No.", "Date", "Description", "Donor"), columns, strict=False):
        d.text(x + 3, 56, label, 5, fill="#7a5a3a")
    for x in columns:
        d.add("line", x1=x, y1=48.0, x2=x, y2=404.0, stroke="#c46a5a", stroke_width="0.6")
    first = 1180 + page * 23
    for row in range(24):
        y = 72.0 + row * 14
        d.add("line", x1=16.0, y1=y + 2, x2=292.0, y2=y + 2, stroke="#a9bcd0", stroke_width="0.4")
        ink = rng.choice((INK, "#5a4632", "#2e2a3a"))
        d.text(25, y, f"{first + row}", 6, font_style="italic", fill=ink)
        d.squiggle(59, y - 1, rng.uniform(18, 30), ink)
        d.squiggle(95, y - 1, rng.uniform(50, 115), ink)
        d.squiggle(217, y - 1, rng.uniform(28, 62), ink)
        if rng.random() < 0.08:  # struck through
            d.add(
                "line", x1=22.0, y1=y - 2, x2=284.0, y2=y - 2, stroke="#b0413a", stroke_width="0.7"
            )
    d.text(150, 414, f"{page + 41}", 6, text_anchor="middle", fill="#6a5a48")
    return d.svg()


def demo_images(seed: int = DEFAULT_SEED) -> dict[str, str]:
    """The demo's SVG images by file name (the files shipped in ``talk/static/demo/``)."""
    rng = random.Random(seed)  # noqa: S311 (drawing, not security)
    images = {sp.image: _sheet_svg(rng, sp) for sp in SPECIES}
    for page in range(REGISTER_PAGES):
        images[f"register-page-{page + 1}.svg"] = _register_svg(rng, page)
    return images


def write_demo_images(folder: Path = IMAGE_DIR) -> Iterator[Path]:
    """Regenerate the shipped images (``python -m talk.demo.images``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, svg in demo_images().items():
        path = folder / name
        path.write_text(svg, encoding="utf-8")
        yield path


if __name__ == "__main__":
    for written in write_demo_images():
        print(written)  # noqa: T201
