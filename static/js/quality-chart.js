/* Trend charts (R-QUAL-SERIES) drawn with the vendored uPlot: every <div data-quality-chart="ID"> reads the JSON
   of <script id="ID" type="application/json"> (Django's json_script) and draws avg (and min/max when the
   granularity aggregates). The width follows the container, so the chart fits a phone. */
(function () {
  "use strict";
  function fmtTime(ts) {
    var d = new Date(ts * 1000);
    function p(n) { return (n < 10 ? "0" : "") + n; }
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " + p(d.getHours()) + ":" + p(d.getMinutes());
  }
  function marksPlugin(marks) {
    return { hooks: { draw: [function (u) {
      var ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = "#c0392b";
      ctx.setLineDash([4, 4]);
      ctx.lineWidth = 1;
      marks.forEach(function (m) {
        var x = u.valToPos(m, "x", true);
        if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) { return; }
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
      });
      ctx.restore();
    }] } };
  }
  function draw(el) {
    var data = JSON.parse(document.getElementById(el.getAttribute("data-quality-chart")).textContent);
    if (!data.x.length) { return; }
    var unit = data.unit ? " " + data.unit : "";
    var series = [{ value: function (u, v) { return v == null ? "-" : fmtTime(v); } },
                  { label: el.getAttribute("data-avg-label") || "avg", stroke: "#1f6feb", width: 1.5,
                    value: function (u, v) { return v == null ? "-" : v.toFixed(2) + unit; } }];
    var cols = [data.x, data.avg];
    if (data.min && data.max) {
      series.push({ label: "min", stroke: "#8c959f", width: 1, dash: [3, 3] });
      series.push({ label: "max", stroke: "#8c959f", width: 1, dash: [3, 3] });
      cols.push(data.min, data.max);
    }
    var height = parseInt(el.getAttribute("data-height") || "240", 10);
    var opts = {
      width: Math.max(el.clientWidth, 280), height: height, series: series,
      axes: [{}, { size: 56, values: function (u, vals) { return vals.map(function (v) { return v + unit; }); } }],
      scales: { x: { time: true } }, legend: { live: true },
      plugins: data.marks && data.marks.length ? [marksPlugin(data.marks)] : []
    };
    el.innerHTML = "";
    var plot = new uPlot(opts, cols, el);
    var last = el.clientWidth;
    window.addEventListener("resize", function () {
      if (el.clientWidth !== last) { last = el.clientWidth; plot.setSize({ width: Math.max(last, 280), height: height }); }
    });
    el.setAttribute("data-drawn", "1");
  }
  function init() {
    if (typeof uPlot === "undefined") { return; }
    document.querySelectorAll("[data-quality-chart]").forEach(draw);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
