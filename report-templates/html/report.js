// meshproof report: sort and filter the findings table. Without JavaScript the table keeps the
// report's own order and the filter controls stay hidden. No network access, no globals.
(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  var filters = document.getElementById("filters");
  if (!table || !filters || !table.tBodies.length) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.hasAttribute("data-sev"); });
  if (!rows.length) { return; }
  rows.forEach(function (r, i) { r.setAttribute("data-order", String(i)); });
  filters.hidden = false;

  var text = document.getElementById("f-text");
  var sev = document.getElementById("f-sev");
  var open = document.getElementById("f-open");
  var count = document.getElementById("f-count");

  function apply() {
    var q = (text.value || "").toLowerCase();
    var shown = 0;
    rows.forEach(function (r) {
      var ok = (!q || r.textContent.toLowerCase().indexOf(q) !== -1) &&
        (!sev.value || r.getAttribute("data-sev") === sev.value) &&
        (!open.checked || r.getAttribute("data-open") === "yes");
      r.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " shown";
  }
  [text, sev, open].forEach(function (el) {
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });

  function key(row, col, numeric) {
    var cell = row.cells[col];
    if (!cell) { return ""; }
    var rank = cell.getAttribute("data-rank");
    if (numeric && rank !== null) { return parseFloat(rank) || 0; }
    return cell.textContent.trim().toLowerCase();
  }
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  headers.forEach(function (th, col) {
    th.tabIndex = 0;
    function sort() {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var numeric = th.getAttribute("data-type") === "num";
      rows.sort(function (a, b) {
        var ka = key(a, col, numeric), kb = key(b, col, numeric);
        var c = ka < kb ? -1 : ka > kb ? 1 : 0;
        if (c === 0) { c = a.getAttribute("data-order") - b.getAttribute("data-order"); return c; }
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
  });
  apply();
})();
