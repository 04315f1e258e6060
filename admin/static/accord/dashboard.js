/*
 * The dashboard's filters: a select marked data-autosubmit sends its form when changed,
 * so the "Apply" buttons (kept for browsers without scripts) can hide.
 */
(function () {
  "use strict";

  function ready() {
    var selects = document.querySelectorAll("select[data-autosubmit]");
    Array.prototype.forEach.call(selects, function (select) {
      select.addEventListener("change", function () {
        if (select.form) {
          select.form.submit();
        }
      });
    });
    var buttons = document.querySelectorAll(".accord-js-hide");
    Array.prototype.forEach.call(buttons, function (button) {
      button.classList.add("d-none");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
