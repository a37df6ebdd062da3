"""The stylesheet's accessibility numbers, computed rather than trusted, and the small things
every page carries (the icon)."""

import re
from pathlib import Path

import talk
from tests.talk.web.pages import outline

CSS = (Path(talk.__file__).parent / "static" / "talk.css").read_text()


def colour(name):
    return re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", CSS)[1]


def luminance(hex_colour):
    """WCAG 2.2's relative luminance of an sRGB colour."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a, b):
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_focus_outline_has_3_to_1_contrast_against_the_page_and_white_panels():
    # The outline is drawn outside the element (outline-offset), on the page or a white panel.
    assert re.search(
        r":focus-visible \{ outline: 3px solid var\(--focus\); outline-offset: 2px", CSS
    )
    assert contrast(colour("focus"), colour("paper")) >= 3
    assert contrast(colour("focus"), "#ffffff") >= 3


def test_text_boxes_and_buttons_are_large_enough_to_touch():
    plain = re.sub(r"/\*.*?\*/", "", CSS, flags=re.DOTALL)
    rule = re.search(r"\}\s*([^{}]*)\{ min-height: 2\.75rem; \}", plain)
    selectors = {s.strip() for s in rule[1].split(",")}
    # input:not([type]) is the verify and note boxes of the item page (they have no type).
    assert {"input:not([type])", 'input[type="search"]', "select", "button:not(.link-button)"} <= (
        selectors
    )
    assert "min-height: 2rem" in re.search(r"\.verdict-form button \{[^}]*\}", CSS)[0]  # 32px ≥ 24


def test_every_page_names_the_icon_and_favicon_ico_answers(client):
    page = client.get("/")
    icons = [link["href"] for link in outline(page).find("link", rel="icon")]
    assert icons == ["/static/favicon.svg", "/favicon.ico"]
    for path, kind in (("/favicon.ico", "image/"), ("/static/favicon.svg", "image/svg+xml")):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.content_type.startswith(kind), (path, response.content_type)
        assert response.data.startswith(b"<svg" if path.endswith(".svg") else b"\0\0\1\0")
        response.close()
