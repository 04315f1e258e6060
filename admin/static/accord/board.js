/*
 * Accord's deal board: drag and drop (HTML5, no library) on top of the no-JS move forms.
 *
 * Every move POSTs to the board's /move/ endpoint (services.deals.move_stage on the
 * server) with the CSRF token in the X-CSRFToken header and asks for JSON. Closing as
 * lost or unqualified first asks for the reason in a <dialog>; cancelling leaves the card
 * where it was. After a move the card changes column (or leaves the board when closed)
 * and the columns' counts and totals come from the server's answer.
 */
(function () {
  "use strict";

  var board = document.getElementById("accord-board");
  if (!board) {
    return;
  }
  var messageBox = document.getElementById("accord-board-message");
  var dialog = document.getElementById("accord-reason-dialog");
  var dragged = null;

  // Without JS a button shows the chosen pipeline; with JS choosing it is enough.
  var pipelineForm = document.getElementById("accord-pipeline-form");
  if (pipelineForm) {
    Array.prototype.forEach.call(pipelineForm.querySelectorAll(".accord-nojs"), function (el) {
      el.hidden = true;
    });
    pipelineForm.addEventListener("change", function () {
      pipelineForm.submit();
    });
  }

  function say(text, kind) {
    if (!messageBox) {
      return;
    }
    messageBox.textContent = text;
    messageBox.className = "alert alert-" + (kind || "info");
  }

  function columnOf(stageId) {
    return board.querySelector('.accord-column[data-stage="' + stageId + '"]');
  }

  function categoryOf(stageId) {
    var target = document.querySelector('[data-stage="' + stageId + '"][data-category]');
    return target ? target.getAttribute("data-category") : "active";
  }

  function refreshColumn(column) {
    var cards = column.querySelectorAll(".accord-card").length;
    var empty = column.querySelector(".accord-empty");
    if (empty) {
      empty.hidden = cards > 0;
    }
    var more = column.querySelector(".accord-more");
    var count = parseInt(column.querySelector(".accord-count").textContent, 10) || 0;
    if (more) {
      var hidden = Math.max(0, count - cards);
      more.hidden = hidden === 0;
      more.textContent = more.getAttribute("data-template").replace("__N__", String(hidden));
    }
  }

  function applyFigures(columns) {
    Object.keys(columns || {}).forEach(function (stageId) {
      var column = columnOf(stageId);
      if (!column) {
        return;
      }
      column.querySelector(".accord-count").textContent = String(columns[stageId].count);
      var total = column.querySelector(".accord-total");
      total.textContent = columns[stageId].short;
      total.title = columns[stageId].total;
      refreshColumn(column);
    });
  }

  function placeCard(card, stageId, category) {
    var from = card.closest(".accord-column");
    if (category === "active") {
      var column = columnOf(stageId);
      if (column) {
        var list = column.querySelector(".accord-cards");
        list.insertBefore(card, list.firstChild);
        card.setAttribute("data-stage", stageId);
        // The Move menu now offers every stage but the new one.
        Array.prototype.forEach.call(card.querySelectorAll('button[name="stage"]'), function (b) {
          var here = b.value === String(stageId);
          b.disabled = here;
          if (here) {
            b.setAttribute("aria-current", "true");
          } else {
            b.removeAttribute("aria-current");
          }
        });
        var details = card.querySelector("details");
        if (details) {
          details.open = false;
        }
      }
    } else {
      card.parentNode.removeChild(card);
    }
    return from;
  }

  function send(card, stageId, category, reason) {
    var body = new FormData();
    body.append("deal", card.getAttribute("data-deal"));
    body.append("stage", stageId);
    body.append("pipeline", board.getAttribute("data-pipeline"));
    if (reason) {
      body.append("reason", reason);
    }
    card.classList.add("accord-card-busy");
    return fetch(board.getAttribute("data-move-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {
        "X-CSRFToken": board.getAttribute("data-csrf"),
        "X-Requested-With": "XMLHttpRequest",
        Accept: "application/json",
      },
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return { ok: false };
          })
          .then(function (data) {
            data.status = response.status;
            return data;
          });
      })
      .then(function (data) {
        card.classList.remove("accord-card-busy");
        if (!data.ok) {
          say(data.error || board.getAttribute("data-error"), "danger");
          return data;
        }
        var from = placeCard(card, stageId, category);
        applyFigures(data.columns);
        if (from) {
          refreshColumn(from);
        }
        say(data.message, category === "won" ? "success" : "info");
        return data;
      })
      .catch(function () {
        card.classList.remove("accord-card-busy");
        say(board.getAttribute("data-error"), "danger");
      });
  }

  // Lost and unqualified: the reason first, in a dialog (or on its own page).
  function askReason(card, stageId, category) {
    if (!dialog || typeof dialog.showModal !== "function") {
      var url = board.getAttribute("data-close-url");
      window.location.href =
        url +
        "?deal=" + encodeURIComponent(card.getAttribute("data-deal")) +
        "&stage=" + encodeURIComponent(stageId) +
        "&pipeline=" + encodeURIComponent(board.getAttribute("data-pipeline"));
      return;
    }
    var title = board.getAttribute("data-title-" + category) || "";
    dialog.querySelector("#accord-reason-title").textContent = title.replace(
      "__DEAL__",
      card.getAttribute("data-name")
    );
    var error = dialog.querySelector("#accord-reason-error");
    error.hidden = true;
    var select = null;
    Array.prototype.forEach.call(dialog.querySelectorAll(".accord-reason"), function (el) {
      var mine = el.getAttribute("data-category") === category;
      el.hidden = !mine;
      el.value = "";
      if (mine) {
        select = el;
      }
    });
    dialog.pending = { card: card, stageId: stageId, category: category, select: select };
    dialog.showModal();
    if (select) {
      select.focus();
    }
  }

  if (dialog) {
    dialog.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      var pending = dialog.pending;
      if (!pending) {
        dialog.close();
        return;
      }
      var reason = pending.select ? pending.select.value : "";
      if (!reason) {
        var error = dialog.querySelector("#accord-reason-error");
        error.textContent = board.getAttribute("data-need-reason");
        error.hidden = false;
        return;
      }
      dialog.pending = null;
      dialog.close();
      send(pending.card, pending.stageId, pending.category, reason);
    });
    dialog.querySelector('[data-action="cancel"]').addEventListener("click", function () {
      dialog.pending = null;
      dialog.close();
    });
    dialog.addEventListener("close", function () {
      dialog.pending = null;
    });
  }

  function move(card, stageId) {
    if (!card || !stageId || card.getAttribute("data-stage") === String(stageId)) {
      return;
    }
    var category = categoryOf(stageId);
    if (category === "lost" || category === "unqualified") {
      askReason(card, String(stageId), category);
    } else {
      send(card, String(stageId), category, null);
    }
  }

  // The card's own Move menu (keyboard users): same move, without leaving the page.
  board.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("accord-move-form")) {
      return;
    }
    var button = event.submitter;
    if (!button || button.name !== "stage") {
      return; // an old browser: let the form post itself
    }
    event.preventDefault();
    move(form.closest(".accord-card"), button.value);
  });

  // Drag and drop ----------------------------------------------------------------------

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".accord-card[draggable]");
    if (!card) {
      return;
    }
    dragged = card;
    card.classList.add("accord-card-dragging");
    document.body.classList.add("accord-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-deal"));
  });

  document.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("accord-card-dragging");
    }
    dragged = null;
    document.body.classList.remove("accord-dragging");
    Array.prototype.forEach.call(document.querySelectorAll(".accord-drop-over"), function (el) {
      el.classList.remove("accord-drop-over");
    });
  });

  function targetOf(event) {
    return event.target.closest && event.target.closest(".accord-column, .accord-dropzone");
  }

  document.addEventListener("dragover", function (event) {
    var target = targetOf(event);
    if (!dragged || !target) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    target.classList.add("accord-drop-over");
  });

  document.addEventListener("dragleave", function (event) {
    var target = targetOf(event);
    if (target && !target.contains(event.relatedTarget)) {
      target.classList.remove("accord-drop-over");
    }
  });

  document.addEventListener("drop", function (event) {
    var target = targetOf(event);
    if (!dragged || !target) {
      return;
    }
    event.preventDefault();
    target.classList.remove("accord-drop-over");
    var card = dragged;
    dragged = null;
    move(card, target.getAttribute("data-stage"));
  });
})();
