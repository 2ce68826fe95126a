// LearnLedger pages: sortable tables and format links that keep the page's filters.
(function () {
  "use strict";
  function sortBy(table, index, header) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    rows.sort(function (a, b) {
      var x = a.cells[index].getAttribute("data-value");
      var y = b.cells[index].getAttribute("data-value");
      var nx = parseFloat(x), ny = parseFloat(y);
      var cmp = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
      return ascending ? cmp : -cmp;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.setAttribute("aria-sort", "none");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      var button = th.querySelector("button");
      if (button) { button.addEventListener("click", function () { sortBy(table, index, th); }); }
    });
  });
  // Download links: /page?x=1&chart=c with data-format=svg -> /page.svg?x=1&chart=c
  document.querySelectorAll("a[data-format]").forEach(function (link) {
    var path = window.location.pathname.replace(/\.(html|json|csv|svg|png)$/, "");
    if (path === "/") { path = "/overview"; }
    link.href = path + "." + link.getAttribute("data-format") + link.getAttribute("href");
  });
}());
