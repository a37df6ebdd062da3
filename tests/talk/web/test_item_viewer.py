"""The item page's zoomable image: deep zoom from the item's IIIF Image API service when its
image is an Image API request, the plain image otherwise, and the viewer shipped with the
package (no CDN), started from a static script (no inline script, for the CSP)."""

from pathlib import Path
from types import SimpleNamespace

import pytest

import talk
from talk.services.items import iiif_info_url
from tests.talk.web.pages import outline, text

STATIC = Path(talk.__file__).parent / "static"


@pytest.mark.parametrize(
    ("image_url", "info"),
    [
        (
            "https://iiif.example.org/iiif/2/sheet-12/full/full/0/default.jpg",
            "https://iiif.example.org/iiif/2/sheet-12/info.json",
        ),
        (
            "https://iiif.example.org/iiif/3/a%2Fb/full/max/0/default.jpg",
            "https://iiif.example.org/iiif/3/a%2Fb/info.json",
        ),
        (
            "https://iiif.example.org/img/0,0,500,400/!200,200/90/gray.png",
            "https://iiif.example.org/img/info.json",
        ),
        ("https://iiif.example.org/img/info.json", "https://iiif.example.org/img/info.json"),
        ("https://images.example.org/sheet.jpg", None),
        ("/static/demo/sheet-quercus-robur.svg", None),
        ("", None),
    ],
)
def test_the_iiif_service_is_found_from_an_image_api_request(image_url, info):
    assert iiif_info_url(SimpleNamespace(image_url=image_url)) == info


def test_the_item_page_offers_the_viewer_and_keeps_the_plain_image(client, make):
    project = make.project("herbarium")
    item = make.item(project)
    page = client.get(f"/projects/herbarium/items/{item.external_id}")
    html = text(page)
    viewers = outline(page).find("div", id="item-viewer")
    assert len(viewers) == 1
    viewer = viewers[0]
    assert "hidden" in viewer  # shown by the script, so a page without it shows no empty box
    assert viewer["data-image"] == "https://images.example.org/sheet.jpg"
    assert viewer["data-iiif-info"] == ""
    assert viewer["data-images"] == "/static/vendor/openseadragon/images/"
    assert '<img src="https://images.example.org/sheet.jpg"' in html
    scripts = [s.get("src") for s in outline(page).find("script")]
    assert "/static/vendor/openseadragon/openseadragon.min.js" in scripts
    assert "/static/item-viewer.js" in scripts
    assert "<script>" not in html


def test_the_viewer_library_is_shipped_with_its_licence_and_images(client):
    for path in (
        "vendor/openseadragon/openseadragon.min.js",
        "vendor/openseadragon/LICENSE.txt",
        "vendor/openseadragon/images/zoomin_rest.png",
        "item-viewer.js",
    ):
        assert (STATIC / path).is_file(), path
        response = client.get(f"/static/{path}")
        assert response.status_code == 200, path
        response.close()
