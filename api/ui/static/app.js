/* vocsvc console behaviour: no inline script anywhere (the CSP forbids it). Charts use the vendored uPlot. */
(function () {
  "use strict";
  var COLORS = ["#1f5fbf", "#d9730d", "#1a7f37", "#b42318", "#6f42c1", "#0e7490", "#a15c07", "#5b6572"];

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function draw(el, labels, series, opts) {
    if (!window.uPlot || !labels.length) {
      el.textContent = labels.length ? "" : "No data in this period.";
      return;
    }
    var xs = labels.map(function (_, i) { return i; });
    var bars = opts && opts.bars;
    var cfg = {
      width: Math.max(260, el.clientWidth), height: el.classList.contains("small") ? 160 : 220,
      scales: { x: { time: false } },
      axes: [{ values: function (u, splits) { return splits.map(function (i) { return labels[i] !== undefined && i === Math.round(i) ? labels[i] : ""; }); } }, {}],
      series: [{ label: "period", value: function (u, i) { return i == null ? "" : labels[i]; } }].concat(series.map(function (s, k) {
        var o = { label: s.label, stroke: COLORS[k % COLORS.length], width: 2, spanGaps: true };
        if (bars) { o.paths = uPlot.paths.bars({ size: [0.6, 40] }); o.fill = COLORS[k % COLORS.length] + "99"; }
        return o;
      })),
    };
    if (opts && opts.range) { cfg.scales.y = { range: opts.range }; }
    el.textContent = "";
    var plot = new uPlot(cfg, [xs].concat(series.map(function (s) { return s.values; })), el);
    window.addEventListener("resize", function () { plot.setSize({ width: Math.max(260, el.clientWidth), height: cfg.height }); });
  }

  function charts() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var d = data(el.dataset.src);
      if (!d) { return; }
      var kind = el.dataset.chart;
      if (kind === "stacked" || kind === "lines") {
        var field = el.dataset.field;
        draw(el, d.x, d.channels.map(function (c) { return { label: c, values: d[field][c] }; }),
             kind === "lines" ? { range: [-100, 100] } : null);
      } else if (kind === "scores") {
        draw(el, d.scores.x, [{ label: "NPS", values: d.scores.nps }, { label: "CSAT %", values: d.scores.csat }], { range: [-100, 100] });
      } else if (kind === "quarters") {
        draw(el, d.quarters, [{ label: "customer", values: d.customer || [] }, { label: "agent", values: d.agent || [] }], { range: [-1, 1] });
      } else if (kind === "bars") {
        draw(el, d.x, [{ label: "mentions", values: d.volume }], { bars: true });
      } else if (kind === "agent") {
        draw(el, d.x, [{ label: "QA score", values: d.score }], { range: [0, 100] });
      }
    });
  }

  // the player and the transcript: click a time to seek; the turn being played is highlighted
  function player() {
    var audio = document.getElementById("player");
    document.addEventListener("click", function (e) {
      var t = e.target.closest("[data-seek]");
      if (!t) { return; }
      var turn = t.dataset.turn !== undefined ? document.getElementById("turn-" + t.dataset.turn) : null;
      if (turn) { turn.scrollIntoView({ block: "center" }); }
      if (audio) {
        audio.currentTime = parseFloat(t.dataset.seek);
        var p = audio.play();
        if (p && p.catch) { p.catch(function () {}); }
      }
    });
    if (!audio) { return; }
    var last = null;
    audio.addEventListener("timeupdate", function () {
      var now = audio.currentTime, hit = null;
      document.querySelectorAll(".turn").forEach(function (li) {
        if (now >= parseFloat(li.dataset.start) && now < parseFloat(li.dataset.end) + 0.05) { hit = li; }
      });
      if (hit !== last) {
        if (last) { last.classList.remove("playing"); last.removeAttribute("aria-current"); }
        if (hit) { hit.classList.add("playing"); hit.setAttribute("aria-current", "true"); }
        last = hit;
      }
    });
  }

  // countdown to each alert's reply deadline: amber under the warning hours, red once overdue
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = (Date.parse(el.dataset.due) - now) / 1000, warn = parseFloat(el.dataset.warnHours || "12") * 3600;
      var s = Math.abs(Math.round(left)), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
      var txt = h + "h " + String(m).padStart(2, "0") + "m " + String(sec).padStart(2, "0") + "s";
      el.textContent = left < 0 ? "overdue " + txt : txt + " left";
      el.classList.toggle("red", left < 0);
      el.classList.toggle("amber", left >= 0 && left < warn);
      el.setAttribute("title", "reply due " + el.dataset.due);
    });
  }

  // countdown to each alert's reply deadline: amber under the warning hours, red once overdue (one timer for the
  // page; rows swapped in by htmx are picked up at the next tick)
  var ticking = false;
  function countdowns() {
    tick();
    if (!ticking && document.querySelector("[data-due]")) { ticking = true; setInterval(tick, 1000); }
  }

  function forms() {
    document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
    document.querySelectorAll("[data-back]").forEach(function (el) {
      el.addEventListener("click", function (e) { if (history.length > 1) { e.preventDefault(); history.back(); } });
    });
  }

  function start() {
    charts(); player(); countdowns(); forms();
    document.body.addEventListener("htmx:afterSwap", countdowns);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
