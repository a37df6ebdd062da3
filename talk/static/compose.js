/* Talk: writing a comment.
 *
 * - A reply box that opens with a quotation (autofocus, "Reply" with a quote) gets the caret
 *   after the quotation, so what the writer types goes below it, not into it.
 * - A form's "Preview" button (forms with data-preview-url) shows the rendered comment in place
 *   instead of reloading the page; the server renders it exactly as posting would. Without
 *   JavaScript, or if the request fails to start, the button submits the form and the page
 *   comes back with the preview.
 */
(function () {
  "use strict";

  function caretAfterQuotation() {
    var box = document.querySelector("textarea[autofocus]");
    if (!box) return;
    var end = box.value.length;
    box.focus();
    box.setSelectionRange(end, end);
    box.scrollTop = box.scrollHeight;
  }

  function csrfToken(form) {
    var field = form.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  function enhancePreview(form) {
    var button = form.querySelector('button[name="preview"]');
    var panel = form.querySelector(".comment-preview");
    var box = form.querySelector('textarea[name="body"]');
    if (!button || !panel || !box) return;
    var shown = panel.querySelector(".body");
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    form.appendChild(status);
    var pending = null;

    function say(message) {
      status.textContent = message;
    }

    button.addEventListener("click", function (event) {
      if (!window.fetch || !window.AbortController) return; // submit the form instead
      event.preventDefault();
      if (!box.value.trim()) {
        panel.hidden = true;
        say("Nothing to preview yet: write your comment first.");
        return;
      }
      if (pending) pending.abort();
      var controller = new AbortController();
      pending = controller;
      var data = new URLSearchParams();
      data.set("csrf_token", csrfToken(form));
      data.set("body", box.value);
      say("Making the preview…");
      fetch(form.dataset.previewUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        signal: controller.signal,
        headers: { "X-CSRFToken": csrfToken(form) },
      })
        .then(function (response) {
          if (response.status === 429) throw new Error("Too many previews in a minute; wait a moment.");
          if (!response.ok) throw new Error("The preview could not be made (" + response.status + ").");
          return response.text();
        })
        .then(function (html) {
          if (pending !== controller) return;
          pending = null;
          // The server's sanitised rendering, the same HTML the comment will have once posted.
          shown.innerHTML = html;
          panel.hidden = false;
          say("Preview shown below the buttons.");
        })
        .catch(function (error) {
          if (pending !== controller || error.name === "AbortError") return;
          pending = null;
          say(error.message);
          shown.textContent = error.message;
          panel.hidden = false;
        });
    });
  }

  document.querySelectorAll("form[data-preview-url]").forEach(enhancePreview);
  caretAfterQuotation();
})();
