/*
 * Accord: the automation builder (no library). The form works without this file; here,
 * choosing a trigger or an action type presses "Update the form" so its settings appear,
 * and a condition's operator list shows only the operators of the chosen field, with the
 * value suggestions of that field.
 */
(function () {
  "use strict";

  function refreshOnTypeChange(form) {
    var refresh = document.getElementById("refresh-automation");
    Array.prototype.forEach.call(form.querySelectorAll("[data-refresh]"), function (select) {
      select.addEventListener("change", function () {
        if (form.requestSubmit) {
          form.requestSubmit(refresh);
        } else {
          refresh.click();
        }
      });
    });
  }

  function narrowOperators(row) {
    var field = row.querySelector("[data-condition-field]");
    var op = row.querySelector("[data-condition-op]");
    var value = row.querySelector("[data-condition-value]");
    if (!field || !op) {
      return;
    }
    function apply() {
      var chosen = field.options[field.selectedIndex];
      var ops = chosen && chosen.dataset.ops ? chosen.dataset.ops.split(",") : null;
      var firstAllowed = null;
      Array.prototype.forEach.call(op.options, function (option) {
        var allowed = !ops || ops.indexOf(option.value) !== -1;
        option.hidden = !allowed;
        option.disabled = !allowed;
        if (allowed && firstAllowed === null) {
          firstAllowed = option;
        }
      });
      if (op.selectedOptions.length && op.selectedOptions[0].disabled && firstAllowed) {
        firstAllowed.selected = true;
      }
      if (value) {
        var list = document.getElementById("dl-" + field.value);
        if (list) {
          value.setAttribute("list", list.id);
        } else {
          value.removeAttribute("list");
        }
        var empty = op.value === "empty" || op.value === "not_empty";
        value.disabled = empty;
      }
    }
    field.addEventListener("change", apply);
    op.addEventListener("change", apply);
    apply();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("automation-form");
    if (!form) {
      return;
    }
    refreshOnTypeChange(form);
    Array.prototype.forEach.call(form.querySelectorAll(".accord-condition"), narrowOperators);
  });
})();
