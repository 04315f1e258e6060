/*
 * Accord: Flask-Admin 2.2.1's pages under a strict, nonce-based CSP (admin/security.py).
 *
 * Flask-Admin's <script> blocks carry the request's nonce, but its templates also use
 * inline handlers (onclick="...") and javascript: links, which no nonce can allow, and
 * x-editable parses JSON data attributes with new Function() (needs 'unsafe-eval').
 * admin/security.py rewrites the templates: onclick="..." becomes data-accord-onclick,
 * javascript:void(0) links get data-accord-noop, and this file (added at the start of
 * every page's tail_js block) does what those handlers did, with addEventListener.
 * A modal's inline script (refused: it has its own response's nonce) is redone here too.
 */
(function () {
  "use strict";

  // The single-quoted argument of an inline call like fn('text') or fn(this, 'id').
  function argument(code) {
    var match = /\(\s*(?:this\s*,\s*)?'((?:[^'\\]|\\.)*)'\s*\)/.exec(code);
    return match ? match[1].replace(/\\(.)/g, "$1") : null;
  }

  function handle(event) {
    if (!event.target.closest) {
      return;
    }
    var el = event.target.closest("[data-accord-onclick], [onclick], [data-accord-noop]");
    if (!el) {
      return;
    }
    var code = el.getAttribute("data-accord-onclick") || el.getAttribute("onclick") || "";
    var arg = argument(code);
    if (!code || /^\s*return\s+false;?\s*$/.test(code)) {
      event.preventDefault(); // a no-op link: stay on the page
    } else if (code.indexOf("modelActions.execute(") !== -1 && window.modelActions) {
      event.preventDefault();
      window.modelActions.execute(arg);
    } else if (code.indexOf("faForm.addInlineField(") !== -1 && window.faForm) {
      event.preventDefault();
      window.faForm.addInlineField(el, arg);
    } else if (/(safeConfirm|confirm)\(/.test(code)) {
      if (!window.confirm(arg || "")) {
        event.preventDefault();
      }
    }
  }

  document.addEventListener("click", handle);

  // x-editable's tryParseJson without eval: same contract, JSON only.
  function tryParseJson(s, safe) {
    if (typeof s === "string" && s.length && /^[\{\[].*[\}\]]$/.test(s)) {
      try {
        return JSON.parse(s);
      } catch (e) {
        if (!safe) {
          throw e;
        }
      }
    }
    return s;
  }

  // What the modal templates' inline script did, once a modal's content has loaded.
  function styleModals() {
    var $ = window.jQuery;
    $(".modal-content").each(function () {
      var first = this.firstElementChild;
      if (first && !first.hasAttribute("data-accord-styled") && window.faForm) {
        first.setAttribute("data-accord-styled", "1");
        window.faForm.applyGlobalStyles(this);
      }
    });
  }

  // DOMContentLoaded: every page script has run (x-editable is loaded), and this listener,
  // added before jQuery's, runs before Flask-Admin's ready handlers initialise the widgets.
  document.addEventListener("DOMContentLoaded", function () {
    var $ = window.jQuery;
    if (!$) {
      return;
    }
    if ($.fn && $.fn.editableutils) {
      $.fn.editableutils.tryParseJson = tryParseJson;
    }
    $(document).ajaxComplete(styleModals);
  });
})();
