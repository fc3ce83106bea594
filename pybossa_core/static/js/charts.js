/* The site's charts: turn the chart data the views give (PYBOSSA's shapes) into Chart.js charts.
 *
 * Chart.js 4 is vendored under /static/vendor/chartjs/ and must be loaded first (it defines
 * window.Chart).  A page asks for a chart with a <canvas> (the m.chart macro of _macros.html
 * writes one) whose data, in any shape below, is:
 *   in <script type="application/json" id="<canvas id>-data"> (what m.chart writes), or
 *   in the canvas's data-chart="<JSON>", or
 *   in the <script type="application/json"> whose id the canvas's data-chart-source names;
 * and whose data-chart-kind is line, bar or pie (any Chart.js type; line when absent).
 * Every such canvas is drawn once the page is loaded; pybossaCharts.draw(canvas, data, kind)
 * draws one by hand, and pybossaCharts.instances maps canvas ids to their Chart objects.
 *
 * Shapes understood (toChartData):
 *   - /stats/ (users, projects, tasks) and a project's userStats:
 *       {label, values: [{label, value: [x, y]}]}  -> one dataset, a bar/slice per entry (y)
 *   - the admin dashboard's weekly figures:
 *       {labels: [...], series: [[...], ...]}       -> one dataset per series
 *   - a project's dayStats / hourStats:
 *       [{label, values: [[x, y, ...], ...], disabled?}, ...] -> one dataset per series;
 *       x in milliseconds since the epoch is shown as a day (YYYY-MM-DD)
 *   - Chart.js's own {labels, datasets}, used as it is.
 */
(function (window, document) {
  "use strict";

  var PALETTE = ["#2b6cb0", "#2f855a", "#b7791f", "#c53030", "#2c7a9b", "#6b46c1", "#5f6b7a", "#d53f8c"];
  /** An x above this is a time in milliseconds (1973-03-03), not an index or an hour. */
  var EPOCH_MS_FLOOR = 1e11;
  var instances = {};

  function colour(index) {
    return PALETTE[index % PALETTE.length];
  }

  function lastNumber(value) {
    return Array.isArray(value) ? Number(value[value.length - 1]) || 0 : Number(value) || 0;
  }

  function xLabel(x) {
    if (typeof x === "number" && x > EPOCH_MS_FLOOR) {
      return new Date(x).toISOString().slice(0, 10);
    }
    return String(x);
  }

  /** {label, values: [{label, value: [x, y]}]} -> one dataset named label, one point per entry. */
  function fromStats(stats) {
    var values = stats.values || [];
    return {
      labels: values.map(function (entry) { return String(entry.label); }),
      datasets: [{label: stats.label || "", data: values.map(function (entry) { return lastNumber(entry.value); })}]
    };
  }

  /** {labels, series: [[...]]} -> one dataset per series (the dashboard's series have no names). */
  function fromSeries(figure, names) {
    return {
      labels: (figure.labels || []).map(String),
      datasets: (figure.series || []).map(function (values, index) {
        return {label: (names && names[index]) || (figure.label || ""), data: values.map(Number)};
      })
    };
  }

  /** [{label, values: [[x, y, ...]], disabled?}] -> one dataset per series, on the union of their x. */
  function fromPoints(series) {
    var xs = [];
    series.forEach(function (entry) {
      (entry.values || []).forEach(function (point) {
        if (xs.indexOf(point[0]) === -1) { xs.push(point[0]); }
      });
    });
    xs.sort(function (a, b) { return a < b ? -1 : a > b ? 1 : 0; });
    return {
      labels: xs.map(xLabel),
      datasets: series.map(function (entry) {
        var byX = {};
        (entry.values || []).forEach(function (point) { byX[point[0]] = Number(point[1]) || 0; });
        return {
          label: entry.label || "",
          data: xs.map(function (x) { return byX[x] || 0; }),
          // PYBOSSA marks series shown hidden at first with disabled: "True".
          hidden: entry.disabled === true || entry.disabled === "True"
        };
      })
    };
  }

  /** Chart.js data ({labels, datasets}) for any of the shapes above; a JSON string is parsed first. */
  function toChartData(description) {
    var data = typeof description === "string" ? JSON.parse(description) : description;
    if (Array.isArray(data)) { return fromPoints(data); }
    // No figures yet (null, {}): an empty chart, as for a list of no series.
    if (!data || (typeof data === "object" && Object.keys(data).length === 0)) { return {labels: [], datasets: []}; }
    if (typeof data !== "object") { throw new Error("pybossaCharts: no chart data"); }
    if (Array.isArray(data.datasets)) { return data; }
    if (Array.isArray(data.series)) { return fromSeries(data); }
    if (Array.isArray(data.values)) { return fromStats(data); }
    throw new Error("pybossaCharts: unknown chart data shape");
  }

  function styled(data, kind) {
    data.datasets.forEach(function (dataset, index) {
      if (kind === "pie") {
        dataset.backgroundColor = dataset.backgroundColor || dataset.data.map(function (_, at) { return colour(at); });
      } else {
        dataset.backgroundColor = dataset.backgroundColor || colour(index);
        dataset.borderColor = dataset.borderColor || colour(index);
      }
    });
    return data;
  }

  function options(data, kind) {
    var named = data.datasets.some(function (dataset) { return dataset.label; });
    var result = {
      responsive: true,
      maintainAspectRatio: true,
      aspectRatio: kind === "pie" ? 1.6 : 2,
      animation: false,
      plugins: {legend: {display: kind === "pie" || (named && data.datasets.length > 1)}}
    };
    if (kind !== "pie") {
      result.scales = {y: {beginAtZero: true, ticks: {precision: 0}}};
    }
    return result;
  }

  /** Draw ``description`` (any shape above) on ``canvas`` (an element or its id) as ``kind``. */
  function draw(canvas, description, kind) {
    if (typeof canvas === "string") { canvas = document.getElementById(canvas); }
    if (!window.Chart) { throw new Error("pybossaCharts: load /static/vendor/chartjs/chart.umd.min.js first"); }
    kind = kind || canvas.getAttribute("data-chart-kind") || "line";
    var existing = window.Chart.getChart(canvas);
    if (existing) { existing.destroy(); }
    var data = styled(toChartData(description), kind);
    var chart = new window.Chart(canvas, {type: kind, data: data, options: options(data, kind)});
    if (canvas.id) { instances[canvas.id] = chart; }
    return chart;
  }

  function descriptionOf(canvas) {
    if (canvas.hasAttribute("data-chart")) { return canvas.getAttribute("data-chart"); }
    var source = canvas.getAttribute("data-chart-source") || (canvas.id && canvas.id + "-data");
    var holder = source && document.getElementById(source);
    return holder ? holder.textContent : null;
  }

  /** Draw every chart canvas of the page that has its data (see the top of this file). */
  function drawAll(root) {
    var canvases = (root || document).querySelectorAll(
      "canvas[data-chart], canvas[data-chart-source], canvas[data-chart-kind]");
    Array.prototype.forEach.call(canvases, function (canvas) {
      var description = descriptionOf(canvas);
      if (!description) { return; }
      try {
        draw(canvas, description);
      } catch (error) {
        // One chart's bad data must not keep the page's other charts from being drawn.
        window.console.warn("pybossaCharts: " + (canvas.id || "a canvas") + " not drawn: " + error.message);
      }
    });
  }

  window.pybossaCharts = {
    toChartData: toChartData,
    fromStats: fromStats,
    fromSeries: fromSeries,
    fromPoints: fromPoints,
    draw: draw,
    drawAll: drawAll,
    instances: instances
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(); });
  } else {
    drawAll();
  }
})(window, document);
