// Language switch on the document page: shows Chinese, English or both without a round trip.
// Without JavaScript the same links reload the page with ?lang=..., so the switch always works.
(function () {
  "use strict";
  var doc = document.getElementById("document");
  if (!doc) return;
  var buttons = doc.querySelectorAll(".lang-switch [data-lang]");
  function show(lang) {
    doc.setAttribute("data-show", lang);
    buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.lang === lang)); });
    var url = new URL(window.location.href);
    url.searchParams.set("lang", lang);
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  buttons.forEach(function (b) {
    b.addEventListener("click", function (event) { event.preventDefault(); show(b.dataset.lang); });
    b.addEventListener("keydown", function (event) {
      if (event.key === " ") { event.preventDefault(); show(b.dataset.lang); }
    });
  });
})();
