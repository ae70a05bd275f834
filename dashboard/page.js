// The dashboard's script: polls the JSON views of `mixlaw serve --http` (docs/dashboard.md) every
// two seconds and draws the sweeps, one sweep's ALMR x LR heatmaps, its runs, the curves of the
// runs picked and the fit. What it drew is recorded in the DOM, so that a reader or a test in a
// headless browser can check it: each heatmap cell carries data-loss, #curves carries
// data-points ({"run id": points drawn}) and data-last ({"run id": [step, loss]} of each curve's
// last point), #fit carries data-state and data-lr. The view's state
// lives in the address's fragment: #sweep=3&runs=12,14&split=eval/additional.
(function () {
  'use strict';

  var POLL_MS = 2000;
  var errors = 0;
  function recordError(message) {
    errors += 1;
    var box = document.getElementById('page-errors');
    var item = document.createElement('li');
    item.textContent = String(message);
    box.querySelector('ul').appendChild(item);
    box.hidden = false;
    document.body.dataset.errors = String(errors);
  }
  window.onerror = function (message, source, line) {
    recordError(message + ' (' + source + ':' + line + ')');
  };

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
  function formatLoss(v) { return v === null || v === undefined ? '-' : Number(v).toFixed(4); }
  function formatParams(v) {
    var units = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'k']];
    for (var i = 0; i < units.length; i++) {
      if (v >= units[i][0]) return String(Number((v / units[i][0]).toPrecision(3))) + units[i][1];
    }
    return String(v);
  }

  var state = { sweep: 0, runs: [], split: '', chart: null, sweepData: null };

  function readFragment() {
    var fields = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (part) {
      var eq = part.indexOf('=');
      if (eq > 0) fields[part.slice(0, eq)] = decodeURIComponent(part.slice(eq + 1));
    });
    state.sweep = parseInt(fields.sweep || '0', 10) || 0;
    state.runs = (fields.runs || '').split(',').map(Number).filter(function (n) { return n > 0; });
    state.split = fields.split || '';
  }
  function writeFragment() {
    var parts = [];
    if (state.sweep) parts.push('sweep=' + state.sweep);
    if (state.runs.length) parts.push('runs=' + state.runs.join(','));
    if (state.split) parts.push('split=' + encodeURIComponent(state.split));
    history.replaceState(null, '', '#' + parts.join('&'));
  }

  // GET `path` as JSON; the browser revalidates with the view's ETag (304 when unchanged).
  function getJson(path, method) {
    return fetch(path, { cache: 'no-cache', method: method || 'GET', credentials: 'same-origin' })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          location.href = '/login';
          throw new Error('signed out');
        }
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(path + ': ' + (body.error || response.status));
          return body;
        });
      });
  }

  function element(tag, text, className) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (className) e.className = className;
    return e;
  }

  function drawSweeps(list) {
    var body = document.querySelector('#sweep-table tbody');
    body.textContent = '';
    list.sweeps.forEach(function (s) {
      var row = document.createElement('tr');
      row.dataset.sweep = s.id;
      if (s.id === state.sweep) row.className = 'picked';
      row.appendChild(element('td', s.id, 'number'));
      var name = element('td');
      var link = element('a', s.name);
      link.href = '#sweep=' + s.id;
      name.appendChild(link);
      row.appendChild(name);
      row.appendChild(element('td', s.state));
      var progress = element('td');
      var bar = element('span', null, 'bar');
      var fill = element('span');
      fill.style.width = (100 * s.progress).toFixed(1) + '%';
      bar.appendChild(fill);
      progress.appendChild(bar);
      progress.appendChild(document.createTextNode(' ' + (100 * s.progress).toFixed(1) + '%'));
      row.appendChild(progress);
      var counts = Object.keys(s.counts).filter(function (k) { return s.counts[k] > 0; })
        .map(function (k) { return s.counts[k] + ' ' + k; });
      row.appendChild(element('td', counts.join(', ') || 'no runs'));
      body.appendChild(row);
    });
  }

  // Every split any run has a point on, evaluation splits first.
  function splitsOf(runs) {
    var seen = {};
    runs.forEach(function (r) { Object.keys(r.latest).forEach(function (s) { seen[s] = true; }); });
    return Object.keys(seen).sort(function (a, b) {
      var ea = a.indexOf('eval/') === 0 ? 0 : 1, eb = b.indexOf('eval/') === 0 ? 0 : 1;
      return ea - eb || (a < b ? -1 : a > b ? 1 : 0);
    });
  }

  // Light yellow (low loss) to dark blue (high), the report's sequential scale.
  function colour(t) {
    var stops = [[255, 247, 188], [127, 205, 187], [44, 127, 184], [37, 52, 148]];
    var x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
    var i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
    var c = stops[i].map(function (v, k) { return Math.round(v + f * (stops[i + 1][k] - v)); });
    return { background: 'rgb(' + c.join(',') + ')', text: t > 0.55 ? '#fff' : '#1d2430' };
  }

  function pick(runId, on) {
    var at = state.runs.indexOf(runId);
    if (on && at < 0) state.runs.push(runId);
    if (!on && at >= 0) state.runs.splice(at, 1);
    writeFragment();
    poll();
  }

  function drawHeatmaps(runs) {
    var box = document.getElementById('heatmaps');
    box.textContent = '';
    var groups = {}, order = [];
    runs.forEach(function (r) {
      var key = r.stage + ' ' + r.model;
      if (!groups[key]) { groups[key] = []; order.push(key); }
      groups[key].push(r);
    });
    order.forEach(function (key) {
      var group = groups[key];
      var almrs = [], lrs = [], cells = {};
      group.forEach(function (r) {
        if (almrs.indexOf(r.almr) < 0) almrs.push(r.almr);
        if (lrs.indexOf(r.peak_lr) < 0) lrs.push(r.peak_lr);
        var id = r.almr + '|' + r.peak_lr;
        (cells[id] = cells[id] || []).push(r);
      });
      almrs.sort(function (a, b) { return b - a; });
      lrs.sort(function (a, b) { return a - b; });
      var values = {}, low = Infinity, high = -Infinity;
      Object.keys(cells).forEach(function (id) {
        var losses = cells[id].map(function (r) {
          var p = r.latest[state.split];
          return p && p.loss !== null ? p.loss : null;
        }).filter(function (v) { return v !== null; });
        if (!losses.length) return;
        var mean = losses.reduce(function (a, b) { return a + b; }, 0) / losses.length;
        values[id] = mean;
        low = Math.min(low, mean);
        high = Math.max(high, mean);
      });
      var table = element('table', null, 'heatmap');
      table.dataset.model = group[0].model;
      table.dataset.stage = group[0].stage;
      table.appendChild(element('caption', group[0].model + ' (' + formatParams(group[0].params) +
        ', ' + group[0].stage + '): ' + state.split));
      var head = document.createElement('tr');
      head.appendChild(element('th', 'ALMR \\ LR'));
      lrs.forEach(function (lr) { head.appendChild(element('th', formatLr(lr))); });
      table.appendChild(head);
      almrs.forEach(function (almr) {
        var row = document.createElement('tr');
        row.appendChild(element('th', formatAlmr(almr)));
        lrs.forEach(function (lr) {
          var id = almr + '|' + lr;
          var members = cells[id] || [];
          var cell = element('td', null, 'cell');
          cell.dataset.almr = almr;
          cell.dataset.lr = lr;
          if (values[id] === undefined) {
            cell.className += ' empty';
            cell.textContent = members.length ? members[0].state : '';
          } else {
            var c = colour(high > low ? (values[id] - low) / (high - low) : 0);
            cell.style.background = c.background;
            cell.style.color = c.text;
            cell.dataset.loss = values[id];
            cell.textContent = formatLoss(values[id]);
          }
          if (members.some(function (r) { return r.state === 'running' || r.state === 'leased'; })) {
            cell.className += ' running';
          }
          cell.title = members.map(function (r) { return r.name + ': ' + r.state; }).join('\n');
          if (members.length) {
            cell.addEventListener('click', function () {
              members.forEach(function (r) { pick(r.id, state.runs.indexOf(r.id) < 0); });
            });
          }
          row.appendChild(cell);
        });
        table.appendChild(row);
      });
      box.appendChild(table);
    });
  }

  function drawRuns(runs) {
    var body = document.querySelector('#runs tbody');
    body.textContent = '';
    runs.forEach(function (r) {
      var row = document.createElement('tr');
      row.dataset.run = r.id;
      if (state.runs.indexOf(r.id) >= 0) row.className = 'picked';
      var tick = element('td');
      var box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = state.runs.indexOf(r.id) >= 0;
      box.setAttribute('aria-label', 'curve of ' + r.name);
      box.addEventListener('change', function () { pick(r.id, box.checked); });
      tick.appendChild(box);
      row.appendChild(tick);
      row.appendChild(element('td', r.id, 'number'));
      row.appendChild(element('td', r.name));
      row.appendChild(element('td', r.state));
      row.appendChild(element('td', r.attempts + '/' + r.max_attempts, 'number'));
      row.appendChild(element('td', r.worker || '-'));
      row.appendChild(element('td', r.step + '/' + r.total_steps, 'number'));
      var latest = r.latest[state.split];
      row.appendChild(element('td', latest ? formatLoss(latest.loss) : '-', 'number'));
      row.appendChild(element('td', r.failure_reason || ''));
      body.appendChild(row);
    });
  }

  var PALETTE = ['#3b7dd8', '#d8573b', '#2a9d5b', '#8e44ad', '#c79a00', '#1d2430', '#d83b8e',
    '#17a2b8'];

  function drawCurves(runsById, pointsByRun) {
    var datasets = [], drawn = {}, last = {};
    state.runs.forEach(function (id, i) {
      var points = (pointsByRun[id] && pointsByRun[id].splits[state.split]) || [];
      var data = points.filter(function (p) { return p[1] !== null; })
        .map(function (p) { return { x: p[0], y: p[1] }; });
      drawn[id] = data.length;
      if (data.length) last[id] = [data[data.length - 1].x, data[data.length - 1].y];
      var run = runsById[id];
      datasets.push({
        label: run ? run.name : 'run ' + id,
        data: data,
        borderColor: PALETTE[i % PALETTE.length],
        backgroundColor: PALETTE[i % PALETTE.length],
        pointRadius: data.length > 60 ? 0 : 2,
        borderWidth: 1.5
      });
    });
    var box = document.getElementById('curves');
    box.dataset.points = JSON.stringify(drawn);
    box.dataset.last = JSON.stringify(last);
    document.getElementById('curve-hint').textContent = state.runs.length
      ? state.split + ' of ' + state.runs.length + ' run(s), updating while they train.'
      : 'No run picked.';
    if (!window.Chart) throw new Error('Chart.js did not load');
    if (!state.chart) {
      state.chart = new window.Chart(document.getElementById('curve-canvas'), {
        type: 'line',
        data: { datasets: datasets },
        options: {
          animation: false,
          parsing: false,
          normalized: true,
          scales: {
            x: { type: 'linear', title: { display: true, text: 'step' } },
            y: { title: { display: true, text: 'loss (nats/token)' } }
          },
          plugins: { legend: { position: 'bottom' } }
        }
      });
    } else {
      state.chart.data.datasets = datasets;
      state.chart.update('none');
    }
  }

  function interval(pair, format) {
    if (!pair || pair[0] === null || pair[0] === undefined) return '';
    return '  [' + format(pair[0]) + ', ' + format(pair[1]) + ']';
  }

  function drawFit(fit) {
    var box = document.getElementById('fit');
    box.dataset.state = fit.state || 'none';
    box.textContent = '';
    var sizes = (fit.finished_sizes || []).map(formatParams).join(', ') || 'none';
    if (fit.state === 'waiting') {
      box.appendChild(element('p', 'The fit starts when the runs of a model size have all ended.',
        'hint'));
      return;
    }
    if (fit.state === 'fitting') {
      box.appendChild(element('p', 'Fitting the coupling law to the sizes that finished (' + sizes +
        ')...', 'hint'));
    }
    if (fit.error) {
      box.appendChild(element('p', 'The fit failed: ' + fit.error, 'problem'));
    }
    var rec = fit.recommendation;
    if (!rec) return;
    box.dataset.almr = rec.almr;
    box.dataset.lr = rec.lr;
    var list = document.createElement('dl');
    function add(name, value) {
      list.appendChild(element('dt', name));
      list.appendChild(element('dd', value));
    }
    add('target', formatParams(rec.target_params) + ' (' + rec.criterion + ')');
    add('ALMR', formatAlmr(rec.almr) + interval(rec.almr_interval, formatAlmr));
    add('peak LR', formatLr(rec.lr) + interval(rec.lr_interval, formatLr));
    add('eval/additional', formatLoss(rec.loss_additional) +
      interval(rec.loss_additional_interval, formatLoss));
    add('eval/base', formatLoss(rec.loss_base) + interval(rec.loss_base_interval, formatLoss));
    add('fitted to', rec.fit.runs + ' runs of the sizes ' +
      (fit.fitted_sizes || []).map(formatParams).join(', ') + ', at ' +
      new Date(fit.fitted_unix_ms).toLocaleTimeString());
    box.appendChild(list);
    (rec.warnings || []).forEach(function (w) { box.appendChild(element('p', w, 'hint')); });
  }

  var polling = false;
  function poll() {
    if (polling) return;
    polling = true;
    var work = [getJson('/api/sweeps').then(drawSweeps)];
    var section = document.getElementById('sweep');
    section.hidden = !state.sweep;
    if (state.sweep) {
      work.push(getJson('/api/sweeps/' + state.sweep).then(function (view) {
        // Each run arrives as an array in the order of view.columns.
        view.runs = view.runs.map(function (row) {
          var run = {};
          view.columns.forEach(function (name, i) { run[name] = row[i]; });
          Object.keys(run.latest).forEach(function (split) {
            run.latest[split] = { step: run.latest[split][0], loss: run.latest[split][1] };
          });
          return run;
        });
        state.sweepData = view;
        document.getElementById('sweep-title').textContent =
          'Sweep ' + view.sweep.id + ': ' + view.sweep.name + ' (' + view.sweep.state + ')';
        var splits = splitsOf(view.runs);
        if (!state.split || splits.indexOf(state.split) < 0) {
          state.split = splits.indexOf('eval/additional') >= 0 ? 'eval/additional' : splits[0] || '';
        }
        var select = document.getElementById('split');
        select.textContent = '';
        splits.forEach(function (s) {
          var option = element('option', s);
          option.value = s;
          option.selected = s === state.split;
          select.appendChild(option);
        });
        drawHeatmaps(view.runs);
        drawRuns(view.runs);
        var byId = {};
        view.runs.forEach(function (r) { byId[r.id] = r; });
        var picked = state.runs.filter(function (id) { return byId[id]; });
        return Promise.all(picked.map(function (id) {
          return getJson('/api/runs/' + id + '/points');
        })).then(function (all) {
          var points = {};
          all.forEach(function (p) { points[p.run_id] = p; });
          drawCurves(byId, points);
        });
      }));
      work.push(getJson('/api/sweeps/' + state.sweep + '/fit').then(drawFit));
    }
    Promise.all(work).then(function () {
      var status = document.getElementById('status');
      status.className = 'status';
      status.textContent = 'updated ' + new Date().toLocaleTimeString();
      document.body.dataset.updated = String((parseInt(document.body.dataset.updated || '0', 10)) + 1);
    }).catch(function (e) {
      var status = document.getElementById('status');
      status.className = 'status stale';
      status.textContent = 'not updated: ' + e.message;
    }).then(function () { polling = false; });
  }

  function start() {
    readFragment();
    window.addEventListener('hashchange', function () { readFragment(); poll(); });
    document.getElementById('split').addEventListener('change', function (e) {
      state.split = e.target.value;
      writeFragment();
      poll();
    });
    document.getElementById('refit').addEventListener('click', function () {
      if (!state.sweep) return;
      getJson('/api/sweeps/' + state.sweep + '/fit', 'POST').then(drawFit).catch(function (e) {
        recordError('refit: ' + e.message);
      });
    });
    poll();
    setInterval(poll, POLL_MS);
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
