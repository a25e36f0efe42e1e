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
  document.addEventListener("htmx:afterSwap", function (event) {
    focusFirstError(event.detail.target);
  });
})();
