// auditgame view: expand / collapse every block, and show only the answers where a behaviour was detected.
// No network access: the page is whole when it arrives (the server renders it).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const setAll = (open) => document.querySelectorAll("details").forEach((block) => { block.open = open; });
  const expand = document.getElementById("expand-all");
  const collapse = document.getElementById("collapse-all");
  if (expand) expand.addEventListener("click", () => setAll(true));
  if (collapse) collapse.addEventListener("click", () => setAll(false));
  const only = document.getElementById("only-detected");
  if (only) {
    only.addEventListener("change", () => document.body.classList.toggle("only-detected", only.checked));
  }
  document.body.dataset.ready = "true";
});
