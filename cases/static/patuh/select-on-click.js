// Selects the whole value of an input marked data-select-on-click (the API key shown once), so it can be
// copied in one go. A file, not an inline onclick: the Content-Security-Policy runs no inline script.
"use strict";
document.addEventListener("click", function (event) {
  const target = event.target;
  if (target instanceof HTMLInputElement && target.hasAttribute("data-select-on-click")) {
    target.select();
  }
});
