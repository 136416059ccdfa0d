// Charts in pages (zonebook/documents/templatetags/charts.py): finds <div class="zb-chart" data-chart="id">,
// reads the spec from the json_script element with that id and draws it with the vendored ECharts (SVG).
// No inline script (CSP).  Every label is text: ECharts draws titles, axes and legends as text, and the
// tooltip (HTML in ECharts) is built here from escaped strings only.
(function () {
  "use strict";
  var PALETTE = ["#c23531", "#2f4554", "#61a0a8", "#d48265", "#91c7ae", "#749f83", "#ca8622", "#bda29a"];

  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function num(v) {
    if (v === null || v === undefined || v === "-" || isNaN(v)) { return "—"; }
    return Number(v).toLocaleString("zh-CN", { maximumFractionDigits: 2 });
  }

  function tooltip(spec) {
    var unit = spec.unit ? " " + spec.unit : "";
    return {
      trigger: spec.kind === "pie" ? "item" : "axis",
      confine: true,
      formatter: function (params) {
        var list = Array.isArray(params) ? params : [params];
        if (!list.length) { return ""; }
        if (spec.kind === "pie") {
          var p = list[0];
          return esc(p.name) + "<br>" + esc(num(p.value) + unit) + "（" + esc(p.percent) + "%）";
        }
        var lines = [esc(list[0].name)];
        list.forEach(function (p) {
          var v = Array.isArray(p.value) ? p.value[p.value.length - 1] : p.value;
          lines.push(esc(p.seriesName) + "：" + esc(num(v) + unit));
        });
        return lines.join("<br>");
      }
    };
  }

  function option(spec) {
    var opt = {
      color: PALETTE,
      animation: false,
      title: { text: spec.title, left: "center", textStyle: { fontSize: 14 } },
      tooltip: tooltip(spec),
      aria: { enabled: true }
    };
    var many = spec.series.length > 1;
    if (spec.kind === "pie") {
      var s = spec.series[0] || { name: "", values: [] };
      opt.series = [{
        type: "pie", name: s.name, radius: ["30%", "62%"], top: 30,
        data: spec.categories.map(function (c, i) { return { name: c, value: s.values[i] }; }),
        label: { formatter: "{b}\n{d}%" }
      }];
      opt.legend = { bottom: 0, type: "scroll" };
      return opt;
    }
    opt.grid = { left: 12, right: 24, top: many ? 62 : 44, bottom: 12, containLabel: true };
    if (many) { opt.legend = { top: 26, type: "scroll" }; }
    var category = { type: "category", data: spec.categories, axisLabel: { hideOverlap: true } };
    var value = { type: "value", name: spec.unit || "", nameTextStyle: { align: "left" } };
    if (spec.kind === "ranked_bar") {
      category.inverse = true;
      opt.xAxis = value;
      opt.yAxis = category;
    } else {
      opt.xAxis = category;
      opt.yAxis = value;
    }
    opt.series = spec.series.map(function (s) {
      return {
        type: spec.kind === "line" ? "line" : "bar",
        name: s.name,
        data: s.values,
        connectNulls: false,
        symbolSize: 5
      };
    });
    return opt;
  }

  function draw(el) {
    if (el.getAttribute("data-chart-ready") || !window.echarts) { return; }
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source) { return; }
    var spec;
    try { spec = JSON.parse(source.textContent); } catch (e) { return; }
    el.setAttribute("data-chart-ready", "1");
    var instance = window.echarts.init(el, null, { renderer: "svg" });
    instance.setOption(option(spec));
    el._zbChart = instance;
  }

  function drawAll(root) {
    (root || document).querySelectorAll("div.zb-chart[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawAll(); });
  } else {
    drawAll();
  }
  document.addEventListener("htmx:afterSettle", function (e) { drawAll(e.target); });
  var timer = null;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      document.querySelectorAll("div.zb-chart[data-chart-ready]").forEach(function (el) {
        if (el._zbChart) { el._zbChart.resize(); }
      });
    }, 150);
  });
  window.zonebookCharts = { drawAll: drawAll, option: option, escape: esc };
})();
