/* Progressive enhancement only: every page works without this file.
   "/" focuses search; filter selects apply on change; curation buttons ask before changing a task's status. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (e) {
    var tag = (e.target && e.target.tagName) || "";
    if (e.key === "/" && tag !== "INPUT" && tag !== "TEXTAREA" && tag !== "SELECT") {
      var box = document.querySelector("input[type=search]");
      if (box) { e.preventDefault(); box.focus(); box.select(); }
    }
  });
  document.querySelectorAll("form.filters select").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });
  document.querySelectorAll("button[data-confirm]").forEach(function (btn) {
    btn.addEventListener("click", function (e) {
      if (!window.confirm(btn.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
})();
