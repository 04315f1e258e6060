/*
 * Accord: small helpers for the datasheet and the lead conversion page (no library).
 *
 * On the conversion page, typing a deal's name, value or stage ticks "Create a deal":
 * a user who filled in the deal should not lose it for a forgotten checkbox. Unticking
 * it afterwards is respected (nothing is ticked again until a deal field changes).
 */
(function () {
  "use strict";

  function tickOnDealInput() {
    var box = document.getElementById("create-deal");
    if (!box) {
      return;
    }
    var fields = document.querySelectorAll("[data-deal-field]");
    Array.prototype.forEach.call(fields, function (field) {
      field.addEventListener("input", function () {
        box.checked = true;
      });
      field.addEventListener("change", function () {
        box.checked = true;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", tickOnDealInput);
})();
