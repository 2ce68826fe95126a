// LearnLedger pages: sortable tables, format links that keep the page's filters, chart tooltips.
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
  // Chart tooltips. The server writes each mark's tooltip text (values with units) into the
  // SVG as the mark's aria-label; show it on hover and on keyboard focus. One mark per chart
  // is in the tab order; arrow keys (and Home / End) move between marks, Escape hides the tip.
  function chartTips(box, index) {
    var marks = Array.prototype.filter.call(
      box.querySelectorAll('[role="graphics-symbol"][aria-label]'),
      function (mark) { return mark.closest(".role-mark") !== null; });
    if (!marks.length) { return; }
    var tip = document.createElement("div");
    tip.className = "chart-tip";
    tip.id = "chart-tip-" + index;
    tip.setAttribute("role", "tooltip");
    tip.hidden = true;
    box.appendChild(tip);
    function show(mark) {
      tip.textContent = mark.getAttribute("aria-label").split("; ").join("\n");
      tip.hidden = false;
      var area = box.getBoundingClientRect(), at = mark.getBoundingClientRect();
      var left = at.left - area.left + at.width / 2 - tip.offsetWidth / 2;
      left = Math.max(0, Math.min(left, area.width - tip.offsetWidth));
      var top = at.top - area.top - tip.offsetHeight - 8;
      if (top < 0) { top = at.bottom - area.top + 8; }
      tip.style.left = left + "px";
      tip.style.top = top + "px";
      mark.setAttribute("aria-describedby", tip.id);
    }
    function hide() { tip.hidden = true; }
    marks.forEach(function (mark, i) {
      mark.setAttribute("tabindex", i === 0 ? "0" : "-1");
      mark.addEventListener("mouseenter", function () { show(mark); });
      mark.addEventListener("mouseleave", hide);
      mark.addEventListener("focus", function () { show(mark); });
      mark.addEventListener("blur", hide);
      mark.addEventListener("keydown", function (event) {
        var next = {ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1,
                    Home: 0, End: marks.length - 1}[event.key];
        if (event.key === "Escape") { hide(); return; }
        if (next === undefined) { return; }
        event.preventDefault();
        next = Math.max(0, Math.min(next, marks.length - 1));
        mark.setAttribute("tabindex", "-1");
        marks[next].setAttribute("tabindex", "0");
        marks[next].focus();
      });
    });
  }
  document.querySelectorAll(".chart-svg").forEach(chartTips);

  // Recommendations fetched from the (role-scoped) JSON API into a list; text only, never HTML.
  function recommendations(box) {
    function line(tag, text, cls) {
      var node = document.createElement(tag);
      node.textContent = text;
      if (cls) { node.className = cls; }
      return node;
    }
    fetch(box.getAttribute("data-recommendations"), {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        var items = data.recommendations || [];
        var list = document.createElement("ol");
        list.className = "recommendation-list";
        items.slice(0, 12).forEach(function (r) {
          var item = document.createElement("li");
          item.className = "recommendation priority-" + r.priority;
          item.appendChild(line("strong", r.title));
          item.appendChild(line("span", " · " + r.priority + " priority, " + r.strength + " evidence", "meta"));
          item.appendChild(line("p", r.reason));
          list.appendChild(item);
        });
        box.replaceChildren(items.length ? list : line("p", "No recommendations for this programme on the current data.", "empty"));
        if (items.length > 12) {
          box.appendChild(line("p", "Showing the 12 most urgent of " + items.length + " (see the JSON for all).", "note"));
        }
      })
      .catch(function (error) {
        box.replaceChildren(line("p", "Recommendations could not be loaded (" + error.message + ").", "empty"));
      });
  }
  document.querySelectorAll("[data-recommendations]").forEach(recommendations);
}());
