// Polls an export's status and shows its progress until the download is ready.
(function () {
  "use strict";
  var box = document.getElementById("export");
  if (!box) { return; }
  var status = document.getElementById("export-status");
  var bar = document.getElementById("export-progress");
  var link = document.getElementById("export-download");

  function show(job) {
    bar.value = job.progress;
    bar.textContent = job.progress + " %";
    if (job.status === "done") {
      status.textContent = box.dataset.ready;
      link.hidden = false;
      return true;
    }
    if (job.status === "failed") {
      status.textContent = box.dataset.failed + " " + job.message;
      return true;
    }
    var words = job.status === "queued" ? box.dataset.waiting : box.dataset.building;
    status.textContent = words + " " + job.progress + " %";
    return false;
  }

  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) { if (!show(job)) { window.setTimeout(poll, 1000); } })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
