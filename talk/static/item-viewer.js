// The item page's zoomable image: OpenSeadragon (shipped in static/vendor/openseadragon) over
// the item's IIIF Image API service when it has one (deep zoom: tiles at the zoom shown), else
// over the plain image. Everything it needs is in the viewer element's data- attributes, so the
// page has no inline script. Without JavaScript, or when the viewer cannot open the image, the
// plain image and its link stay.
(function () {
  "use strict";

  function plainImage(url) {
    return { type: "image", url: url };
  }

  function start(element) {
    if (typeof window.OpenSeadragon !== "function") {
      return;
    }
    var figure = element.closest("figure") || element.parentNode;
    var plain = figure.querySelector(".plain-image");
    var help = document.getElementById(element.dataset.help || "");
    var imageUrl = element.dataset.image;
    var iiifInfo = element.dataset.iiifInfo;
    var triedPlain = !iiifInfo;

    element.hidden = false;
    var viewer = window.OpenSeadragon({
      element: element,
      prefixUrl: element.dataset.images,
      tileSources: iiifInfo || plainImage(imageUrl),
      showNavigator: false,
      showRotationControl: false,
      visibilityRatio: 0.5,
      minZoomImageRatio: 0.8,
      maxZoomPixelRatio: 4,
    });
    element.viewer = viewer; // for whoever needs it next (the browser tests read its zoom)

    // The canvas takes the keys (OpenSeadragon's own: + and - zoom, arrows or W A S D pan,
    // 0 goes home); it is the one stop in the tab order, named and explained for every reader.
    var canvas = viewer.canvas;
    canvas.tabIndex = 0;
    canvas.setAttribute("role", "application");
    canvas.setAttribute("aria-roledescription", "zoomable image");
    canvas.setAttribute("aria-label", element.dataset.label || "Zoomable image");
    if (help) {
      canvas.setAttribute("aria-describedby", help.id);
    }

    viewer.addHandler("open", function () {
      element.classList.add("is-open");
      if (help) {
        help.hidden = false;
      }
      if (plain) {
        plain.hidden = true;
      }
    });
    viewer.addHandler("open-failed", function () {
      if (!triedPlain) {
        // The IIIF service did not answer (or may not be reached from here): the plain image.
        triedPlain = true;
        viewer.open(plainImage(imageUrl));
        return;
      }
      viewer.destroy();
      element.hidden = true;
      if (help) {
        help.hidden = true;
      }
      if (plain) {
        plain.hidden = false;
      }
    });
  }

  function startAll() {
    document.querySelectorAll(".zoom-viewer[data-image]").forEach(start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startAll);
  } else {
    startAll();
  }
})();
