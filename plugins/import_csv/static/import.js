// Import progress: poll the job's status URL and move the bar; reload once it has finished.
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box) { return; }
  var bar = document.getElementById("import-bar");
  function set(id, text) {
    var el = document.getElementById(id);
    if (el) { el.textContent = text; }
  }
  function show(s) {
    var pct = s.total ? Math.min(100, Math.round((100 * s.rows_done) / s.total)) : (s.status === "done" ? 100 : 0);
    if (s.status === "done") { pct = 100; }
    bar.style.width = pct + "%";
    bar.setAttribute("aria-valuenow", pct);
    bar.textContent = pct + "%";
    set("import-status", s.status);
    set("import-rows", s.rows_done);
    set("import-created", s.created);
    set("import-updated", s.updated);
    set("import-failed", s.failed);
    set("import-rate", s.rows_per_second ? s.rows_per_second + " rows/s" : "");
    set("import-left", s.seconds_left !== null && s.status === "running" ? "· " + s.seconds_left + " s left" : "");
  }
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        show(s);
        if (s.status === "done" || s.status === "failed" || s.status === "reverted") {
          if (box.dataset.status !== s.status) { window.location.reload(); }
          return;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  var total = parseInt(bar.dataset.total, 10) || 0;
  show({ status: box.dataset.status, rows_done: parseInt(bar.dataset.done, 10) || 0, total: total,
         created: document.getElementById("import-created").textContent,
         updated: document.getElementById("import-updated").textContent,
         failed: document.getElementById("import-failed").textContent,
         rows_per_second: null, seconds_left: null });
  poll();
}());
