// The record page's foldable parts (<details>): a link to a part (the table of contents, or
// the anchor a saved form comes back to) opens it; the parts opened stay open when the page
// comes back after a save (sessionStorage, this tab only); "Tout déplier" / "Tout replier"
// open or fold them all. Without JavaScript every part still opens with its summary.
(function () {
  "use strict";
  var folds = Array.prototype.slice.call(document.querySelectorAll("details[data-fold]"));
  var key = "boussole.folds:" + window.location.pathname;
  function idOf(fold) { var h = fold.querySelector("summary [id]"); return h ? h.id : ""; }
  function remember() {
    try {
      var open = folds.filter(function (f) { return f.open; }).map(idOf);
      window.sessionStorage.setItem(key, JSON.stringify(open));
    } catch (e) { /* storage refused: nothing remembered */ }
  }
  try {
    var kept = JSON.parse(window.sessionStorage.getItem(key) || "[]");
    folds.forEach(function (f) { if (kept.indexOf(idOf(f)) >= 0) { f.open = true; } });
  } catch (e) { /* nothing remembered */ }
  folds.forEach(function (f) { f.addEventListener("toggle", remember); });
  function openFoldOf(id) {
    var target = id && document.getElementById(id);
    var fold = target && target.closest("details[data-fold]");
    if (fold) { fold.open = true; }
    return target;
  }
  function openTarget() {
    var target = openFoldOf(decodeURIComponent(window.location.hash.slice(1)));
    if (target) { target.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openTarget);
  // A link to the part already in the address bar fires no hashchange: open it on click.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href^="#"]');
    if (link) { openFoldOf(decodeURIComponent(link.getAttribute("href").slice(1))); }
  });
  openTarget();
  var buttons = document.querySelector(".fold-all");
  if (buttons && folds.length) {
    buttons.hidden = false;
    buttons.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-fold-all]");
      if (!button) { return; }
      var open = button.getAttribute("data-fold-all") === "open";
      folds.forEach(function (fold) { fold.open = open; });
    });
  }
})();
