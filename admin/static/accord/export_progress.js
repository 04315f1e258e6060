/*
 * Accord's export progress page: polls the job's status.json every second and updates
 * the bar, the row count and the download link. Without JS the page reloads itself
 * (a <noscript> refresh) and shows the same.
 */
(function () {
  "use strict";

  var box = document.getElementById("accord-export");
  if (!box) {
    return;
  }
  var bar = document.getElementById("accord-export-bar");
  var status = document.getElementById("accord-export-status");
  var rowsText = document.getElementById("accord-export-rows");
  var link = document.getElementById("accord-export-download");
  var reload = document.getElementById("accord-export-reload");
  // The page's own (translated) texts.
  var labels = JSON.parse(box.dataset.labels || "{}");
  var rowsTemplate = box.dataset.rowsText || "{done} / {total}";

  function show(state) {
    bar.style.width = state.percent + "%";
    bar.setAttribute("aria-valuenow", String(state.percent));
    bar.textContent = state.percent + "%";
    status.dataset.status = state.status;
    status.textContent = labels[state.status] || state.status;
    var total = state.rows_total === null ? "…" : String(state.rows_total);
    rowsText.textContent = rowsTemplate.replace("{done}", state.rows_done).replace("{total}", total);
    if (state.status === "done") {
      link.hidden = false;
    }
    if (state.status === "done" || state.status === "failed") {
      reload.hidden = true;
      if (state.status === "failed") {
        window.location.reload();
      }
      return false;
    }
    return true;
  }

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (show(state)) {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  if (status.dataset.status === "pending" || status.dataset.status === "running") {
    reload.hidden = true;
    window.setTimeout(poll, 1000);
  }
})();
