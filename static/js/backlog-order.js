// The backlog's order by hand: drag a row by its handle and drop it over another, or use the row's
// Move buttons (plain forms that htmx posts; without JavaScript they post and come back). A drop sends
// one request naming the row it landed under (or over, when it landed first); the server answers
// with the list as it now stands and says what moved in the page's live region.
(function () {
  "use strict";
  var dragged = null;
  var refocus = null; // after a keyboard move: the moved story and the button pressed

  function rowOf(el) { return el && el.closest ? el.closest("tr[data-story]") : null; }

  function clearMarks(list) {
    list.querySelectorAll(".drop-before, .drop-after").forEach(function (row) {
      row.classList.remove("drop-before", "drop-after");
    });
  }

  function lowerHalf(row, event) {
    var box = row.getBoundingClientRect();
    return event.clientY > box.top + box.height / 2;
  }

  document.addEventListener("dragstart", function (event) {
    if (!event.target.matches || !event.target.matches("[data-drag-handle]")) return;
    dragged = rowOf(event.target);
    if (!dragged) return;
    dragged.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.getAttribute("data-story"));
    if (event.dataTransfer.setDragImage) event.dataTransfer.setDragImage(dragged, 16, 16);
  });

  document.addEventListener("dragover", function (event) {
    var row = rowOf(event.target);
    if (!dragged || !row || row === dragged || row.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    clearMarks(row.parentNode);
    row.classList.add(lowerHalf(row, event) ? "drop-after" : "drop-before");
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("is-dragging");
    clearMarks(dragged.parentNode);
    dragged = null;
  });

  document.addEventListener("drop", function (event) {
    var row = rowOf(event.target);
    if (!dragged || !row || row === dragged || row.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    var moving = dragged;
    var after = lowerHalf(row, event);
    row.parentNode.insertBefore(moving, after ? row.nextSibling : row);
    clearMarks(row.parentNode);
    var form = moving.querySelector("form[data-order-form]");
    var above = rowOf(moving.previousElementSibling);
    var below = rowOf(moving.nextElementSibling);
    if (!form || (!above && !below)) return;
    var values = { query: form.elements.query.value };
    if (above) values.above = above.getAttribute("data-story");
    else values.below = below.getAttribute("data-story");
    refocus = { story: moving.getAttribute("data-story"), move: null };
    window.htmx.ajax("POST", form.getAttribute("action"), {
      target: "#story-list",
      swap: "outerHTML",
      values: values,
      headers: { "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
    });
  });

  // Remember which Move button was pressed, so focus returns to it on the moved row after the swap.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-move]");
    var row = rowOf(button);
    if (button && row) refocus = { story: row.getAttribute("data-story"), move: button.getAttribute("data-move") };
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!refocus) return;
    var row = document.getElementById("story-" + refocus.story);
    var target = row && (row.querySelector('button[data-move="' + refocus.move + '"]') || row.querySelector("button[data-move]"));
    if (target) target.focus();
    refocus = null;
  });
})();
