// The frame's search box (templates/dashboards/partials/_frame_search.html): "/" focuses it; htmx fills its
// listbox as one types; ArrowDown/ArrowUp move through the results (aria-activedescendant, so focus stays
// in the box and typing goes on), Enter opens the chosen one, Escape closes the list. Enter with nothing
// chosen submits the form: the full results page, which also works without JavaScript.
(function () {
  "use strict";

  function parts() {
    var form = document.querySelector("[data-frame-search]");
    if (!form) return null;
    return { form: form, input: form.querySelector("input[role=combobox]"), popup: form.querySelector(".search-popup") };
  }

  function options(p) {
    return Array.prototype.slice.call(p.popup.querySelectorAll("[role=option]"));
  }

  function activeIndex(p) {
    var id = p.input.getAttribute("aria-activedescendant");
    return options(p).findIndex(function (option) { return option.id === id; });
  }

  function activate(p, index) {
    var all = options(p);
    all.forEach(function (option, i) {
      option.setAttribute("aria-selected", String(i === index));
      option.classList.toggle("is-active", i === index);
    });
    if (index < 0 || index >= all.length) {
      p.input.removeAttribute("aria-activedescendant");
      return;
    }
    p.input.setAttribute("aria-activedescendant", all[index].id);
    all[index].scrollIntoView({ block: "nearest" });
  }

  function hasContent(p) {
    return p.popup.children.length > 0;
  }

  function open(p) {
    p.popup.hidden = !hasContent(p);
    p.input.setAttribute("aria-expanded", String(!p.popup.hidden && options(p).length > 0));
  }

  function close(p) {
    activate(p, -1);
    p.popup.hidden = true;
    p.input.setAttribute("aria-expanded", "false");
  }

  function isTyping(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]"));
  }

  // "/" anywhere but in a field jumps to the box, as in the tools teams already use.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    var p = parts();
    if (!p) return;
    event.preventDefault();
    p.input.focus();
    p.input.select();
  });

  document.addEventListener("keydown", function (event) {
    var p = parts();
    if (!p || event.target !== p.input) return;
    var count = options(p).length;
    var index = activeIndex(p);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!count) return;
      event.preventDefault();
      open(p);
      var step = event.key === "ArrowDown" ? 1 : -1;
      // From nothing chosen, Down starts at the first result and Up at the last; both wrap around.
      activate(p, index < 0 ? (step > 0 ? 0 : count - 1) : (index + step + count) % count);
    } else if (event.key === "Enter" && index >= 0 && !p.popup.hidden) {
      event.preventDefault();
      window.location.assign(options(p)[index].href);
    } else if (event.key === "Escape" && !p.popup.hidden) {
      event.preventDefault(); // close the list first; a second Escape clears the box (the browser's own)
      close(p);
    }
  });

  // The dropdown arrived (or emptied): show it if it holds anything, nothing chosen yet.
  document.addEventListener("htmx:afterSwap", function (event) {
    var p = parts();
    if (!p || event.detail.target !== p.popup) return;
    activate(p, -1);
    if (p.input.value.trim() === "" || document.activeElement !== p.input) {
      close(p);
    } else {
      open(p);
    }
  });

  document.addEventListener("focusin", function (event) {
    var p = parts();
    if (!p) return;
    if (event.target === p.input && p.input.value.trim() !== "") open(p);
    else if (!p.form.contains(event.target)) close(p);
  });

  document.addEventListener("click", function (event) {
    var p = parts();
    if (p && !p.form.contains(event.target)) close(p);
  });

  // The pointer and the keyboard choose the same way.
  document.addEventListener("mousemove", function (event) {
    var p = parts();
    var option = event.target.closest && event.target.closest("#frame-search-popup [role=option]");
    if (p && option) activate(p, options(p).indexOf(option));
  });
})();
