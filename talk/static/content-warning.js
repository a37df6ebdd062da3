/* Talk: "Show the record" under a content warning.
 *
 * Without JavaScript the button posts the acknowledgement and the page comes back without the
 * blur. With it, the form is sent in the background and the image is unblurred in place; if
 * the request fails, the form is submitted the plain way.
 */
(function () {
  "use strict";

  function enhance(form) {
    var box = form.closest("[data-content-warnings]");
    var status = form.querySelector("[data-content-warning-status]");
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !box) return;
      event.preventDefault();
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          box.classList.remove("content-warning-pending");
          form.querySelector("button").hidden = true;
          if (status) status.textContent = "The record is shown below.";
        })
        .catch(function () {
          form.submit();
        });
    });
  }

  var forms = document.querySelectorAll("form.content-warning-ack");
  for (var i = 0; i < forms.length; i++) enhance(forms[i]);
})();
