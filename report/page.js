// report.html's script: draws each chart from the data the page carries (#report-data) with
// Chart.js, then records what it drew so that a reader, or a test in a headless browser, can
// check the page: every figure gets data-drawn ("yes" when it has points and its canvas has ink)
// and data-points; <body> gets data-rendered ("17 of 17 charts"). Errors are caught and listed
// in #page-errors and counted in <body data-errors>, not only on the console.
(function () {
  'use strict';

  var errors = 0;
  function recordError(message) {
    errors += 1;
    var box = document.getElementById('page-errors');
    if (box) {
      var item = document.createElement('li');
      item.textContent = String(message);
      box.querySelector('ul').appendChild(item);
      box.hidden = false;
    }
    if (document.body) document.body.dataset.errors = String(errors);
  }
  window.onerror = function (message, source, line) {
    recordError(message + ' (' + source + ':' + line + ')');
  };
  window.addEventListener('unhandledrejection', function (event) {
    recordError('unhandled rejection: ' + event.reason);
  });

  // The number formats of the command line (common/number_format.h).
  function formatLr(v) {  // "3.00e-03"
    var parts = Number(v).toExponential(2).split('e');
    var exponent = parseInt(parts[1], 10);
    var digits = String(Math.abs(exponent));
    return parts[0] + 'e' + (exponent < 0 ? '-' : '+') + (digits.length < 2 ? '0' : '') + digits;
  }
  function formatAlmr(v) {  // "0.25"
    var s = Number(v).toFixed(3);
    while (s.length > 3 && s.charAt(s.length - 1) === '0') s = s.slice(0, -1);
    return s;
  }
  function formatterFor(axis) {
    if (axis.log) return formatLr;
    if (axis.title.indexOf('ALMR') === 0) return formatAlmr;
    if (axis.title === 'step') return function (v) { return String(Math.round(v)); };
    return function (v) { return Number(v).toFixed(4); };
  }

  // A log axis labels 1, 2 and 5 times each power of ten: more would collide at a panel's width.
  function logTick(value) {
    var mantissa = value / Math.pow(10, Math.floor(Math.log10(value) + 1e-9));
    return [1, 2, 5].some(function (m) { return Math.abs(mantissa - m) < 1e-6; })
        ? formatLr(value).replace('.00', '') : '';
  }

  function scale(axis) {
    var s = {
      type: axis.log ? 'logarithmic' : 'linear',
      title: {display: true, text: axis.title, font: {size: 12}},
      ticks: {font: {size: 11}},
    };
    if (axis.log) {
      s.ticks.callback = logTick;
      s.ticks.autoSkip = false;  // logTick already leaves most ticks unlabelled
      s.ticks.maxRotation = 0;
    }
    if (axis.min !== undefined) s.min = axis.min;
    if (axis.max !== undefined) s.max = axis.max;
    return s;
  }

  function dataset(series) {
    var points = series.points.map(function (p) { return {x: p[0], y: p[1]}; });
    var star = series.marker === 'star';
    return {
      label: series.label,
      data: points,
      tips: series.tips || [],
      inLegend: series.legend,
      showLine: series.line,
      borderColor: series.color,
      backgroundColor: series.hollow ? 'rgba(255, 255, 255, 0)' : series.color,
      pointStyle: series.marker,
      pointRadius: series.line ? 0 : (star ? 9 : 3.5),
      pointHoverRadius: series.line ? 3 : (star ? 11 : 5),
      pointBorderWidth: star || series.hollow ? 2 : 1,
      borderWidth: series.line ? 2 : 1,
      borderDash: series.dashed ? [6, 4] : [],
      fill: series.fill_to === undefined ? false : series.fill_to,
      tension: 0,
    };
  }

  function hasInk(canvas) {
    var context = canvas.getContext('2d');
    if (!context || canvas.width === 0 || canvas.height === 0) return false;
    var pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    for (var i = 3; i < pixels.length; i += 4) {
      if (pixels[i] !== 0) return true;
    }
    return false;
  }

  function draw(figure, spec) {
    var x = formatterFor(spec.x), y = formatterFor(spec.y);
    var chart = new Chart(figure.querySelector('canvas'), {
      type: 'scatter',
      data: {datasets: spec.series.map(dataset)},
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {x: scale(spec.x), y: scale(spec.y)},
        plugins: {
          legend: {
            position: 'bottom',
            labels: {
              boxWidth: 14,
              font: {size: 11},
              usePointStyle: true,
              filter: function (item, data) {
                return data.datasets[item.datasetIndex].inLegend !== false;
              },
            },
          },
          tooltip: {
            callbacks: {
              label: function (context) {
                var tip = context.dataset.tips[context.dataIndex];
                return (tip ? tip : context.dataset.label) + ': (' + x(context.parsed.x) + ', ' +
                    y(context.parsed.y) + ')';
              },
            },
          },
        },
      },
    });
    var points = spec.series.reduce(function (n, s) { return n + s.points.length; }, 0);
    figure.dataset.points = String(points);
    return chart;
  }

  function drawAll() {
    var data = JSON.parse(document.getElementById('report-data').textContent);
    var figures = document.querySelectorAll('figure.chart');
    var charts = [];
    figures.forEach(function (figure) {
      try {
        charts.push([figure, draw(figure, data.charts[Number(figure.dataset.index)])]);
      } catch (e) {
        figure.dataset.drawn = 'no';
        recordError(figure.dataset.chart + ' ' + figure.dataset.panel + ': ' + e);
      }
    });
    // Checked once the browser has had a turn, so that every canvas is laid out and painted.
    setTimeout(function () {
      var drawn = 0;
      charts.forEach(function (pair) {
        var ok = Number(pair[0].dataset.points) > 0 && hasInk(pair[1].canvas);
        pair[0].dataset.drawn = ok ? 'yes' : 'no';
        drawn += ok ? 1 : 0;
      });
      document.querySelectorAll('figure.svg-chart').forEach(function (figure) {
        var ok = figure.querySelectorAll('rect.cell').length > 0;
        figure.dataset.drawn = ok ? 'yes' : 'no';
        drawn += ok ? 1 : 0;
      });
      var total = figures.length + document.querySelectorAll('figure.svg-chart').length;
      document.body.dataset.rendered = drawn + ' of ' + total + ' charts';
    }, 0);
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (errors > 0) document.body.dataset.errors = String(errors);
    if (typeof Chart === 'undefined') {
      recordError('Chart.js did not load');
      return;
    }
    Chart.defaults.font.family = 'system-ui, sans-serif';
    Chart.defaults.color = '#222';
    drawAll();
  });
})();
