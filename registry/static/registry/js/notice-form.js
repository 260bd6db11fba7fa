/*
 * The notice form, enhanced: "Add a row" clones the formset's empty form, and the
 * assessment panel refreshes as the user types (the server computes it with the
 * registry's rules). Without this script the form still works: two blank rows are
 * there, and the "Check the assessment" button shows the same panel.
 */
(function () {
  "use strict";

  function setUpFormset(form, section) {
    var prefix = section.getAttribute("data-formset");
    var rows = section.querySelector("[data-formset-rows]");
    var template = section.querySelector("template[data-empty-form]");
    var button = section.querySelector("[data-add-row]");
    var total = form.querySelector("#id_" + prefix + "-TOTAL_FORMS");
    var max = form.querySelector("#id_" + prefix + "-MAX_NUM_FORMS");
    if (!rows || !template || !button || !total) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) { return; }
      rows.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, String(index)));
      total.value = String(index + 1);
      var row = rows.lastElementChild;
      var number = row.querySelector("[data-row-number]");
      if (number) { number.textContent = String(index + 1); }
      var first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) { first.focus(); }
    });
  }

  function setUpAssessment(form) {
    var url = form.getAttribute("data-assess-url");
    var region = document.getElementById(form.getAttribute("data-assess-target"));
    if (!url || !region || !window.fetch) { return; }
    var timer = null;
    var controller = null;

    function refresh() {
      if (controller) { controller.abort(); }
      controller = new AbortController();
      region.setAttribute("aria-busy", "true");
      fetch(url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
        signal: controller.signal
      }).then(function (response) {
        // A redirect means the session ended (the login page): keep the last assessment.
        if (!response.ok || response.redirected) { throw new Error("assessment " + response.status); }
        return response.text();
      }).then(function (html) {
        region.innerHTML = html;
        region.removeAttribute("aria-busy");
      }).catch(function (error) {
        if (error.name !== "AbortError") { region.removeAttribute("aria-busy"); }
      });
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 400);
    }

    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
  }

  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("notice-form");
    if (!form) { return; }
    Array.prototype.forEach.call(form.querySelectorAll("[data-formset]"), function (section) {
      setUpFormset(form, section);
    });
    setUpAssessment(form);
    focusErrorSummary();
  });
})();
