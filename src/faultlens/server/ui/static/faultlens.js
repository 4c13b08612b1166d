// faultlens web UI: draws uPlot charts over the server-rendered SVG ones. Pages read without it.
// Data comes from data-chart attributes (JSON the server wrote); nothing here builds HTML from it.
(function () {
  "use strict";

  function drawChart(figure) {
    if (figure.dataset.drawn || typeof uPlot === "undefined") { return; }
    var data = JSON.parse(figure.dataset.chart || "{}");
    if (!data.x || data.x.length < 2) { return; }
    figure.dataset.drawn = "1";
    var markers = data.markers || [];
    var width = Math.min(figure.parentElement.clientWidth || 640, 1100);
    var options = {
      width: width,
      height: 180,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); },
      series: [{ label: "UTC" }, { label: "events", stroke: "#2b59c3", fill: "rgba(91,127,214,0.25)", width: 1.5 }],
      axes: [{}, { size: 40 }],
      legend: { show: true },
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = "#c1121f";
          ctx.fillStyle = "#c1121f";
          ctx.setLineDash([4, 3]);
          ctx.font = Math.round(11 * devicePixelRatio) + "px system-ui";
          markers.forEach(function (m) {
            var x = Math.round(u.valToPos(m.x, "x", true));
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.fillText(m.label, x + 4, u.bbox.top + 12 * devicePixelRatio);
          });
          ctx.restore();
        }]
      }
    };
    var target = document.createElement("div");
    figure.insertBefore(target, figure.firstChild);
    new uPlot(options, [data.x, data.y], target);
    figure.classList.add("enhanced");
  }

  function enhance(root) {
    (root || document).querySelectorAll("figure[data-chart]").forEach(drawChart);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
