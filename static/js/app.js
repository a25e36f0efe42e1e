// Small behaviours of the page frame. No inline scripts anywhere (content security policy).
(function () {
  "use strict";

  // Move focus to the first field with an error, so keyboard and screen-reader users land on it.
  function focusFirstError(root) {
    var field = root.querySelector(".field-error input, .field-error select, .field-error textarea");
    if (field) field.focus();
  }

  // Submit a form when a control marked data-autosubmit changes (progressive enhancement:
  // without JavaScript the form's own button does the same).
  function onChange(event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form && !el.form.hasAttribute("hx-post")) {
      el.form.requestSubmit();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusFirstError(document);
    document.documentElement.classList.add("js");
  });
  document.addEventListener("change", onChange);
  // Ask before a form marked data-confirm does something that cannot be undone.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
  // htmx:load names the new content (after an outerHTML swap, htmx:afterSwap's target is the old one).
  document.addEventListener("htmx:load", function (event) {
    focusFirstError(event.detail.elt);
  });
})();

// Key result form: show the fields of the chosen kind, and hint while a title reads like a task.
(function () {
  "use strict";
  var TASK = /^\s*(add|build|complete|create|deliver|deploy|design|develop|finish|implement|integrate|introduce|launch|migrate|refactor|release|rewrite|set up|setup|ship|start|write)\b/i;

  function sync(form) {
    var checked = form.querySelector("input[name=kind]:checked");
    var kind = checked ? checked.value : "metric";
    form.querySelectorAll("[data-show-for]").forEach(function (el) {
      el.hidden = el.getAttribute("data-show-for").split(" ").indexOf(kind) === -1;
    });
    var title = form.querySelector("input[name=title]");
    var hint = form.querySelector("[data-task-hint]");
    if (title && hint) hint.hidden = !TASK.test(title.value);
  }

  function init(root) {
    root.querySelectorAll("form[data-kind-form]").forEach(sync);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
  ["change", "input"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var form = event.target.closest && event.target.closest("form[data-kind-form]");
      if (form) sync(form);
    });
  });
})();

// Roadmap: drag a theme card to another lane (or before another card); the drop posts the same form as
// the card's move buttons, which stay the keyboard way to move it.
document.addEventListener("dragstart", (event) => {
  const card = event.target.closest && event.target.closest("[data-move-url]");
  if (!card) return;
  event.dataTransfer.setData("text/plain", card.dataset.theme);
  event.dataTransfer.effectAllowed = "move";
  card.classList.add("dragging");
});
document.addEventListener("dragend", (event) => {
  const card = event.target.closest && event.target.closest("[data-move-url]");
  if (card) card.classList.remove("dragging");
  document.querySelectorAll(".lane.drop-target").forEach((lane) => lane.classList.remove("drop-target"));
});
document.addEventListener("dragover", (event) => {
  const lane = event.target.closest && event.target.closest("[data-lane]");
  if (!lane) return;
  event.preventDefault();
  document.querySelectorAll(".lane.drop-target").forEach((other) => other !== lane && other.classList.remove("drop-target"));
  lane.classList.add("drop-target");
});
document.addEventListener("drop", (event) => {
  const lane = event.target.closest && event.target.closest("[data-lane]");
  if (!lane) return;
  event.preventDefault();
  const themeId = event.dataTransfer.getData("text/plain");
  const card = document.querySelector(`[data-theme="${themeId}"][data-move-url]`);
  if (!card) return;
  const before = event.target.closest("[data-theme]");
  const values = { lane: lane.dataset.lane };
  if (before && before !== card) values.before = before.dataset.theme;
  htmx.ajax("POST", card.dataset.moveUrl, { source: card, target: "#board", swap: "outerHTML", values: values });
});

// Heatmap: a button on an objective's row shows or hides its key results' rows, one on a team's row its
// objectives' rows (and the key results of those left open). Rows not on the page yet come by htmx on
// the first click (hx-trigger="click once").
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("[data-toggle-rows], [data-toggle-group]");
  if (!button) return;
  const open = button.getAttribute("aria-expanded") !== "true";
  button.setAttribute("aria-expanded", String(open));
  if (button.dataset.toggleRows) {
    document.querySelectorAll(`[data-row-of="${button.dataset.toggleRows}"]`).forEach((row) => { row.hidden = !open; });
    return;
  }
  const group = button.closest("tbody");
  group.querySelectorAll("tr.heat-objective").forEach((row) => { row.hidden = !open; });
  group.querySelectorAll("tr.heat-kr").forEach((row) => {
    const owner = group.querySelector(`[data-toggle-rows="${row.dataset.rowOf}"]`);
    row.hidden = !open || !owner || owner.getAttribute("aria-expanded") !== "true";
  });
});
