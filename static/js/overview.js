/* Ecoute overview: draws each chart of the page with Chart.js from its JSON data block.
 *
 * The server gives, per chart: labels, series (values, n, 95 % interval, the drill-down URL of
 * each point), and lines (alarms, targets, references). The same numbers are in the table under
 * each chart, so nothing here is the only way to read them. Clicking a point opens its list.
 */
(function () {
  "use strict";

  var PALETTE = ["#0b57d0", "#b3261e", "#146c2e", "#7d5260", "#8c4a00", "#5b5f97", "#006a6a", "#6750a4"];
  var POINTS = ["circle", "rect", "triangle", "rectRot", "crossRot", "star", "rectRounded", "cross"];
  // Bar fills differ by pattern as well as colour: solid, hatched, dotted...
  var language = document.documentElement.lang || "fr";

  function number(value, unit) {
    if (value === null || value === undefined) { return "–"; }
    var text = new Intl.NumberFormat(language, { maximumFractionDigits: 1 }).format(value);
    return unit === "%" ? text + " %" : text + (unit || "");
  }

  function hatch(colour, index) {
    if (index === 0) { return colour; }
    var canvas = document.createElement("canvas");
    canvas.width = canvas.height = 8;
    var context = canvas.getContext("2d");
    context.fillStyle = colour + "55";
    context.fillRect(0, 0, 8, 8);
    context.strokeStyle = colour;
    context.lineWidth = 2;
    context.beginPath();
    if (index % 2) { context.moveTo(0, 8); context.lineTo(8, 0); } else { context.arc(4, 4, 1.5, 0, 7); }
    context.stroke();
    return context.createPattern(canvas, "repeat");
  }

  // Long category labels (causes, channels) on several lines rather than cut.
  function wrap(label, width) {
    if (label.length <= width) { return label; }
    var lines = [""];
    label.split(" ").forEach(function (word) {
      var last = lines[lines.length - 1];
      if (last && (last + " " + word).length > width) { lines.push(word); } else { lines[lines.length - 1] = last ? last + " " + word : word; }
    });
    return lines;
  }

  function datasets(chart) {
    var out = [];
    chart.series.forEach(function (series, i) {
      var kind = series.kind || chart.kind;
      // A line over bars (a rolling mean) is drawn in ink, apart from the bars' colours.
      var colour = kind === "line" && chart.kind === "bar" ? "#1f2328" : PALETTE[i % PALETTE.length];
      var main = {
        type: kind,
        label: series.label,
        data: series.values,
        borderColor: colour,
        backgroundColor: kind === "bar" ? hatch(colour, i) : colour,
        borderWidth: 2,
        borderDash: series.dashed ? [6, 4] : [],
        pointStyle: POINTS[i % POINTS.length],
        pointRadius: kind === "line" ? 4 : 0,
        pointHoverRadius: 7,
        spanGaps: false,
        stack: series.stack || undefined,
        ecoute: series,
        order: kind === "line" ? 0 : 1
      };
      if (series.low && kind === "line") {
        // The 95 % interval as a band: the upper bound filled down to the lower one.
        out.push({ type: "line", label: "low", data: series.low, borderWidth: 0, pointRadius: 0,
          pointHoverRadius: 0, fill: false, band: true, borderColor: "transparent" });
        out.push({ type: "line", label: "high", data: series.high, borderWidth: 0, pointRadius: 0,
          pointHoverRadius: 0, fill: "-1", band: true, borderColor: "transparent",
          backgroundColor: colour + "26" });
      }
      out.push(main);
    });
    (chart.lines || []).forEach(function (line) {
      // Alarms in red, dotted; sector references in grey, long dashes (named in the legend too).
      out.push({ type: "line", label: line.label, data: chart.labels.map(function () { return line.value; }),
        borderColor: line.reference ? "#475467" : "#b42318", borderDash: line.reference ? [8, 4] : [2, 3],
        borderWidth: 2, pointRadius: 0, pointHoverRadius: 0, fill: false, order: -1 });
    });
    return out;
  }

  function tooltip(chart, text) {
    return {
      filter: function (item) { return !item.dataset.band; },
      callbacks: {
        label: function (item) {
          var series = item.dataset.ecoute;
          var label = item.dataset.label + ": " + number(item.parsed[chart.horizontal ? "x" : "y"], chart.unit);
          if (!series) { return label; }
          var i = item.dataIndex;
          if (series.n) { label += " · n = " + number(series.n[i]); }
          if (series.low && series.low[i] !== null) {
            label += " · " + text.interval + " [" + number(series.low[i]) + " ; " + number(series.high[i]) + "]";
          }
          return label;
        },
        footer: function (items) {
          var series = items.length && items[0].dataset.ecoute;
          return series && series.links && series.links[items[0].dataIndex] ? text.open : "";
        }
      }
    };
  }

  // The list behind the point or bar under the pointer: the bar or point itself when the
  // pointer is on one, else the nearest point of the same period that links somewhere.
  function linkAt(drawn, event) {
    var modes = [["nearest", true], ["index", false]];
    for (var m = 0; m < modes.length; m++) {
      var elements = drawn.getElementsAtEventForMode(event, modes[m][0], { intersect: modes[m][1] }, false);
      for (var k = 0; k < elements.length; k++) {
        var series = drawn.data.datasets[elements[k].datasetIndex].ecoute;
        var link = series && series.links && series.links[elements[k].index];
        if (link) { return link; }
      }
    }
    return null;
  }

  function draw(chart, text) {
    var canvas = document.getElementById(chart.id);
    if (!canvas) { return; }
    var narrow = canvas.parentNode.clientWidth < 480;
    var valueAxis = {
      min: chart.yMin === null ? undefined : chart.yMin,
      max: chart.yMax === null ? undefined : chart.yMax,
      // On a phone the caption and the ticks' unit say it; the title would be cut.
      title: { display: !narrow, text: chart.axis },
      ticks: { callback: function (value) { return number(value, chart.unit); } },
      stacked: chart.series.some(function (s) { return s.stack; })
    };
    var categoryAxis = { stacked: valueAxis.stacked, ticks: { autoSkip: true, maxRotation: 0 } };
    var drawn = new window.Chart(canvas, {
      type: chart.kind,
      data: { labels: chart.labels.map(function (l) { return wrap(l, narrow ? 14 : 24); }), datasets: datasets(chart) },
      options: {
        indexAxis: chart.horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "nearest", intersect: false, axis: chart.horizontal ? "y" : "x" },
        scales: chart.horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
        plugins: {
          legend: { labels: { usePointStyle: true, boxWidth: 10, boxHeight: 10, filter: function (item, data) {
            return !data.datasets[item.datasetIndex].band;
          } } },
          tooltip: tooltip(chart, text)
        },
        onHover: function (event) {
          event.native.target.style.cursor = linkAt(drawn, event) ? "pointer" : "default";
        },
        onClick: function (event) {
          var link = linkAt(drawn, event);
          if (link) { window.location.assign(link); }
        }
      }
    });
  }

  function start() {
    var block = document.getElementById("overview-charts");
    if (!block || !window.Chart) { return; }
    var text = JSON.parse(document.getElementById("overview-text").textContent);
    var style = getComputedStyle(document.body);
    window.Chart.defaults.font.family = style.fontFamily;
    window.Chart.defaults.font.size = 13;
    window.Chart.defaults.color = "#1f2328";
    JSON.parse(block.textContent).forEach(function (chart) { draw(chart, text); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
