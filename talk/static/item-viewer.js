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

  // The id of a IIIF resource or service, in Presentation API 2 ("@id") or 3 ("id").
  function iiifId(thing) {
    if (Array.isArray(thing)) {
      thing = thing[0];
    }
    return thing && (thing["@id"] || thing.id);
  }

  // The Image API service of the manifest's canvas (the item's own, else the first), from a
  // Presentation API 2 or 3 manifest; null when it names none.
  function imageService(manifest, canvasId) {
    var canvases = manifest.items || ((manifest.sequences || [])[0] || {}).canvases || [];
    var canvas = canvases.filter(function (c) { return iiifId(c) === canvasId; })[0] || canvases[0];
    if (!canvas) {
      return null;
    }
    var v2 = ((canvas.images || [])[0] || {}).resource;
    var v3 = (((canvas.items || [])[0] || {}).items || [])[0];
    var body = v2 || (v3 && v3.body);
    var service = body && iiifId(body.service);
    if (!service || !/^https?:\/\//.test(service)) {
      return null;
    }
    return service.replace(/\/(info\.json)?$/, "") + "/info.json";
  }

  // The info.json to open: the page's, else the one the item's manifest names (fetched here,
  // as the manifest is another server's), else none.
  function findInfo(element) {
    var info = element.dataset.iiifInfo;
    var manifest = element.dataset.iiifManifest;
    if (info || !manifest || !window.fetch) {
      return Promise.resolve(info || null);
    }
    return fetch(manifest, { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (json) { return json ? imageService(json, element.dataset.iiifCanvas) : null; })
      .catch(function () { return null; });
  }

  // OpenSeadragon adds a <style> element (hiding the focus outline on touch screens) unless
  // the page has a style[data-openseadragon-mobile-css]. A Content-Security-Policy without
  // 'unsafe-inline' styles refuses and reports that element, and the outline is wanted anyway.
  // The marker put here matches the selector but is no HTML or SVG style element (another
  // namespace), so it is no style sheet and no policy checks it.
  function keepStylesInTheStylesheet() {
    if (!document.querySelector("style[data-openseadragon-mobile-css]")) {
      var marker = document.createElementNS("urn:x-talk:inert", "style");
      marker.setAttribute("data-openseadragon-mobile-css", "kept out");
      document.head.appendChild(marker);
    }
  }

  function start(element) {
    findInfo(element).then(function (info) { open(element, info); });
  }

  function open(element, iiifInfo) {
    if (typeof window.OpenSeadragon !== "function") {
      return;
    }
    var figure = element.closest("figure") || element.parentNode;
    var plain = figure.querySelector(".plain-image");
    var help = document.getElementById(element.dataset.help || "");
    var imageUrl = element.dataset.image;
    var triedPlain = !iiifInfo;

    element.hidden = false;
    keepStylesInTheStylesheet();
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
