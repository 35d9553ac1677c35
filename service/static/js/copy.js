// "Copier le lien": copies the text of the field a button names (data-copy="<id>") and says
// so in the status line next to it. Without JavaScript the button stays hidden and the link
// can still be selected in its read-only field.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector("[data-copied]");
    if (!field || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) { status.textContent = status.getAttribute("data-copied"); }
      }, function () {
        field.focus();
        field.select();
      });
    });
  });
})();
