// Text switch on the document page: shows Chinese, English or both without a round trip.
// Without JavaScript the same links reload the page with ?text=... (and ?lang=... for the
// interface), so the switch always works. A button that also changes the interface language
// ("中文" on an English page) follows its link: the whole page then comes in that language.
(function () {
  "use strict";
  var doc = document.getElementById("document");
  if (!doc) return;
  var ui = doc.dataset.ui;
  var buttons = doc.querySelectorAll(".lang-switch [data-lang]");
  function show(lang) {
    doc.setAttribute("data-show", lang);
    buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.lang === lang)); });
    var url = new URL(window.location.href);
    url.searchParams.set("text", lang);
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  buttons.forEach(function (b) {
    if (b.dataset.ui !== ui) return; // a different interface language: a real navigation
    b.addEventListener("click", function (event) { event.preventDefault(); show(b.dataset.lang); });
    b.addEventListener("keydown", function (event) {
      if (event.key === " ") { event.preventDefault(); show(b.dataset.lang); }
    });
  });
})();
