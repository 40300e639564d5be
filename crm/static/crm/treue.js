// Treue's page behaviour. A static file because the Content-Security-Policy allows no inline
// script and no inline event handlers: elements ask for behaviour with data-attributes, and the
// listeners sit on the document (event delegation), so content that htmx swaps in works too.
(function () {
  "use strict";

  // Ctrl/Cmd+Enter submits the form from a textarea (Enter already submits from a field).
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.form) {
      e.preventDefault();
      e.target.form.requestSubmit();
    }
  });

  // "/" (outside a field) focuses the search: the search page's own box, else the navigation's.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) {
      return;
    }
    var target = e.target;
    if (target.isContentEditable || (target.closest && target.closest("input, textarea, select"))) {
      return;
    }
    var field = document.querySelector("main [data-search-field]") ||
      document.getElementById("nav-search");
    if (field) {
      e.preventDefault();
      field.focus();
      field.select();
    }
  });

  // <select data-autosubmit>: choosing an option submits its form (language, team).
  document.addEventListener("change", function (e) {
    var field = e.target.closest && e.target.closest("[data-autosubmit]");
    if (field && field.form) {
      field.form.requestSubmit();
    }
  });

  // <button data-copy="#field">: copies the field's text (the calendar feed's address).
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-copy]");
    if (!button) {
      return;
    }
    var field = document.querySelector(button.dataset.copy);
    if (!field) {
      return;
    }
    field.select();
    var done = function () {
      button.textContent = button.dataset.copiedLabel || button.textContent;
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done);
    } else if (document.execCommand("copy")) {
      done();
    }
  });

  // <button data-print>: prints the page (the handover brief).
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) {
      window.print();
    }
  });

  // An inline action on the at-risk list answers with its row and an HX-Trigger event carrying
  // the message: show it in #toasts and move the flag between the status counts at the top.
  document.addEventListener("treue:message", function (e) {
    var box = document.getElementById("toasts");
    if (!box) {
      return;
    }
    var note = document.createElement("div");
    var level = e.detail.level === "error" ? "danger" : e.detail.level;
    note.className = "alert alert-" + level + " alert-dismissible shadow mb-2";
    note.setAttribute("role", "status");
    note.setAttribute("data-testid", "toast");
    note.textContent = e.detail.text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", box.dataset.closeLabel || "Close");
    note.appendChild(close);
    box.appendChild(note);
    setTimeout(function () { note.remove(); }, 8000);
    var numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
    function bump(status, by) {
      var count = document.querySelector('[data-count="' + status + '"]');
      if (!count) {
        return;
      }
      count.dataset.n = Math.max(0, parseInt(count.dataset.n, 10) + by);
      count.textContent = numbers.format(count.dataset.n);
    }
    if (e.detail.from && e.detail.from !== e.detail.to) {
      bump(e.detail.from, -1);
      bump(e.detail.to, 1);
      if (e.detail.to === "resolved") {
        bump("unresolved", -1);
      }
    }
  });
})();
