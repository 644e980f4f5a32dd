// Keyboard work in the queue (j/k move, a approve, r reject, h hold, ? help) and small helpers.
// No inline scripts anywhere: the page keeps a strict Content-Security-Policy.
(function () {
  "use strict";
  let currentId = null;

  function rows() { return Array.from(document.querySelectorAll("tr[data-row]")); }

  function select(row) {
    document.querySelectorAll("tr[data-row].current").forEach(r => r.classList.remove("current"));
    if (!row) { currentId = null; return; }
    currentId = row.id;
    row.classList.add("current");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function current() { return currentId && document.getElementById(currentId); }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    const i = all.indexOf(current());
    select(all[Math.min(all.length - 1, Math.max(0, i < 0 ? 0 : i + step))]);
  }

  function open(row, kind) {
    const details = row.querySelector("details[data-key='" + kind + "']");
    if (!details) return;
    details.open = true;
    const field = details.querySelector("select, input:not([type=hidden])");
    if (field) field.focus();
  }

  // "?" opens the list of shortcuts: a <details id="keys">, so it also opens by click without JavaScript.
  function help(open) {
    const box = document.getElementById("keys");
    if (!box) return false;
    box.open = open === undefined ? !box.open : open;
    box.querySelector("summary").focus();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (event.key === "Escape") {
      const box = document.getElementById("keys");
      if (box && box.open) { help(false); return; }
      const details = target.closest && target.closest("details[open]");
      if (details) { details.open = false; const row = details.closest("tr"); if (row) select(row); }
      return;
    }
    // Enter in the reason list: reject at once, or go to the note when the reason needs one.
    if (event.key === "Enter" && target.matches && target.matches("select[name=reason]")) {
      const option = target.selectedOptions[0];
      if (!option || !option.value) return;
      event.preventDefault();
      const note = target.form.querySelector("input[name=note]");
      if (option.hasAttribute("data-note") && note && !note.value.trim()) note.focus();
      else target.form.requestSubmit();
      return;
    }
    if (target.closest && target.closest("input, select, textarea, [contenteditable]")) return;
    const row = current();
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": {
        const button = row && row.querySelector("[data-key='a']");
        if (!button) return;
        button.click();
        move(1);  // keep working down the list while the row updates
        break;
      }
      case "r": if (row) open(row, "r"); else return; break;
      case "h": if (row) open(row, "h"); else return; break;
      case "?": if (!help()) return; break;
      default: return;
    }
    event.preventDefault();
  });

  // After a reject or hold the next row is current, as after approve; not when it was refused
  // (the row comes back with its message, to correct).
  let decided = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = event.detail.elt;
    const row = form.closest && form.closest("tr[data-row]");
    decided = row && form.closest("details[data-key]") ? row.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!decided) return;
    const row = document.getElementById(decided);
    decided = null;
    if (!row || row.querySelector(".row-msg")) { if (row) select(row); return; }
    const all = rows();
    select(all[all.indexOf(row) + 1] || row);
  });

  // A click in a row makes it the current one.
  document.addEventListener("click", function (event) {
    const row = event.target.closest && event.target.closest("tr[data-row]");
    if (row) { currentId = row.id; document.querySelectorAll("tr[data-row].current").forEach(r => r.classList.remove("current")); row.classList.add("current"); }
    const dismiss = event.target.closest && event.target.closest("[data-dismiss]");
    if (dismiss) {
      const box = document.querySelector(dismiss.getAttribute("data-dismiss"));
      if (box) { event.preventDefault(); box.replaceChildren(); }
    }
  });

  // Forms that change an account ask first: data-confirm holds the question.
  document.addEventListener("submit", function (event) {
    const form = event.target.closest && event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });

  // After a swap, the row that was current keeps its highlight (its element is new).
  document.addEventListener("htmx:afterSettle", function () {
    const row = current();
    if (row && !row.classList.contains("current")) row.classList.add("current");
  });
})();
