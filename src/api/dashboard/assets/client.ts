// The dashboard's browser script, served as /dashboard/app.js. Plain ES2020 for any current browser, no library:
// it listens to /dashboard/events (EventSource, reconnecting with back-off when the stream drops, back to the login
// when the session is gone), draws the rate chart as SVG, and drives the lookup and connector buttons with fetch.
// Every value from the server is put in the page as text (textContent), never as markup.

/** The whole script. */
// biome-ignore lint/complexity/noUselessStringRaw: a backslash added to the script later must reach the browser as written
export const CLIENT_JS = String.raw`'use strict';
(function () {
  var SVG = 'http://www.w3.org/2000/svg';
  var WINDOW_MS = 10 * 60 * 1000;
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute('content') : '';
  var nf = new Intl.NumberFormat('en');
  var points = [];
  var lastFrameAt = 0;
  var startedAt = null;
  var source = null;
  var retryMs = 1000;
  var outCounted = true;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  function pad(n, w) { var s = String(n); while (s.length < (w || 2)) s = '0' + s; return s; }
  function clock(at) { var d = new Date(at); return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); }
  function stamp(at) {
    var d = new Date(at);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + clock(at) + '.' + pad(d.getMilliseconds(), 3);
  }
  function ago(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' min';
    var h = Math.floor(m / 60);
    if (h < 48) return h + ' h ' + (m % 60) + ' min';
    return Math.floor(h / 24) + ' d';
  }
  function num(v) { return v === null || v === undefined ? '—' : nf.format(v); }
  function rate(v) { return v === null || v === undefined ? '—' : v >= 100 ? nf.format(Math.round(v)) : v.toFixed(1); }
  function replace(parent, children) {
    while (parent.firstChild) parent.removeChild(parent.firstChild);
    for (var i = 0; i < children.length; i++) parent.appendChild(children[i]);
  }
  function emptyRow(cols, text) {
    var tr = el('tr', 'empty');
    var td = el('td', null, text);
    td.colSpan = cols;
    tr.appendChild(td);
    return tr;
  }
  function cell(text, cls) { return el('td', cls, text); }
  function badge(text, kind) { return el('span', 'badge' + (kind ? ' ' + kind : ''), text); }
  function stateKind(state) {
    if (state === 'bound' || state === 'running' || state === 'started') return 'ok';
    if (state === 'stopped' || state === 'not running') return '';
    if (state === 'unbound' || state === 'connecting' || state === 'starting' || state === 'holding' || state === 'not_run_here') return 'warn';
    return 'bad';
  }

  function setLive(state, text) {
    var live = $('live');
    live.setAttribute('data-state', state);
    $('live-text').textContent = text;
  }

  // ---- rendering -----------------------------------------------------------------------------------------------
  function render(snapshot, rates) {
    startedAt = snapshot.started_at;
    lastFrameAt = Date.now();
    $('updated').textContent = clock(snapshot.at);
    $('uptime').textContent = ago(snapshot.at - snapshot.started_at);
    var t = snapshot.totals;
    outCounted = t.sent_upstream !== null;
    $('rate-in').textContent = rate(rates.in);
    $('rate-out').textContent = rate(rates.out);
    $('mt-accepted').textContent = num(t.mt_accepted);
    $('mt-refused').textContent = num(t.mt_refused);
    $('sent-upstream').textContent = num(t.sent_upstream);
    $('deliveries').textContent = num(t.deliveries);
    $('mo').textContent = num(t.mo);
    $('legend-out').textContent = outCounted ? 'out (sent upstream)' : 'out (not counted here)';
    renderBinds(snapshot);
    renderConnectors(snapshot.connectors);
    renderReceipts(t.receipts, t.sent_upstream !== null);
    renderErrors(snapshot.errors);
  }

  function renderBinds(snapshot) {
    var rows = snapshot.binds.map(function (b) {
      var tr = el('tr');
      tr.setAttribute('data-session', b.session_id);
      var user = el('td');
      user.appendChild(el('strong', null, b.username));
      if (b.uid !== b.username) user.appendChild(el('span', 'sub', ' uid ' + b.uid));
      tr.appendChild(user);
      tr.appendChild(el('td')).appendChild(badge(b.bind_type));
      tr.appendChild(cell(b.peer, 'mono'));
      var since = el('td');
      since.appendChild(document.createTextNode(clock(b.bound_at) + ' '));
      since.appendChild(el('span', 'sub', ago(snapshot.at - b.bound_at) + ' ago'));
      tr.appendChild(since);
      tr.appendChild(cell(b.window === null ? '—' : 'in ' + b.window.inbound + ' · out ' + b.window.outbound));
      return tr;
    });
    $('binds-count').textContent = String(rows.length);
    replace($('binds'), rows.length ? rows : [emptyRow(5, 'No ESME bound.')]);
  }

  function renderConnectors(list) {
    var rows = list.map(function (c) {
      var tr = el('tr');
      tr.setAttribute('data-cid', c.cid);
      tr.appendChild(el('td')).appendChild(el('strong', null, c.cid));
      tr.appendChild(cell(c.type));
      var st = el('td');
      st.appendChild(badge(c.state, stateKind(c.state)));
      st.lastChild.className += ' state';
      tr.appendChild(st);
      tr.appendChild(cell(num(c.binds), 'num'));
      tr.appendChild(cell(num(c.queue), 'num'));
      tr.appendChild(cell(c.last_error === null ? '' : c.last_error, 'error-text small'));
      var act = el('td');
      var button = el('button', c.started ? 'danger' : 'go', c.started ? 'Stop' : 'Start');
      button.type = 'button';
      button.setAttribute('data-action', c.started ? 'stop' : 'start');
      button.setAttribute('data-cid', c.cid);
      act.appendChild(button);
      tr.appendChild(act);
      return tr;
    });
    replace($('connectors'), rows.length ? rows : [emptyRow(7, 'No connector.')]);
  }

  function renderReceipts(receipts, counted) {
    var names = Object.keys(receipts).sort();
    var rows = names.map(function (name) {
      var tr = el('tr');
      tr.appendChild(el('td')).appendChild(badge(name, name === 'DELIVRD' ? 'ok' : name === 'ENROUTE' || name === 'ACCEPTD' ? '' : 'bad'));
      tr.appendChild(cell(num(receipts[name]), 'num'));
      return tr;
    });
    replace($('receipts'), rows.length ? rows : [emptyRow(2, counted ? 'No receipt yet.' : 'Receipts are not counted by this gateway.')]);
  }

  function renderErrors(errors) {
    var items = errors.slice().reverse().map(function (e) {
      var li = el('li');
      li.appendChild(el('span', 'when', clock(e.at)));
      li.appendChild(badge(e.level, e.level === 'error' ? 'bad' : 'warn'));
      var text = el('span');
      text.appendChild(el('code', null, e.event));
      text.appendChild(document.createTextNode(' ' + e.message));
      li.appendChild(text);
      if (e.message_id) {
        // The message the problem concerns: one click shows it in the lookup below.
        var look = el('button', 'ghost small', 'Look up');
        look.type = 'button';
        look.setAttribute('data-lookup', e.message_id);
        look.addEventListener('click', function () {
          $('lookup-id').value = e.message_id;
          $('lookup').dispatchEvent(new Event('submit', { cancelable: true }));
          $('lookup').scrollIntoView({ behavior: 'smooth', block: 'start' });
        });
        li.appendChild(look);
      }
      return li;
    });
    $('errors-count').textContent = String(items.length);
    replace($('errors'), items.length ? items : [el('li', 'empty', 'Nothing to report.')]);
  }

  // ---- chart -----------------------------------------------------------------------------------------------------
  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    // Scales whose half is a round number too (the middle grid line is labelled).
    var steps = [1, 1.2, 1.6, 2, 3, 4, 6, 8, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }

  function drawChart() {
    var chart = $('chart');
    var W = 800, H = 220, L = 46, R = 8, T = 10, B = 22;
    var now = points.length ? points[points.length - 1].at : Date.now();
    var from = now - WINDOW_MS;
    var max = 0;
    points.forEach(function (p) { max = Math.max(max, p.in, p.out === null ? 0 : p.out); });
    var top = niceMax(max);
    function x(at) { return L + ((at - from) / WINDOW_MS) * (W - L - R); }
    function y(v) { return T + (1 - v / top) * (H - T - B); }
    var nodes = [];
    [0, 0.5, 1].forEach(function (f) {
      var v = top * f;
      nodes.push(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'gridline' }));
      var label = svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' });
      label.textContent = v >= 10 ? nf.format(Math.round(v)) : String(Math.round(v * 10) / 10);
      nodes.push(label);
    });
    [[from, '-10 min', 'start'], [from + WINDOW_MS / 2, '-5 min', 'middle'], [now, 'now', 'end']].forEach(function (t) {
      var label = svg('text', { x: x(t[0]), y: H - 4, 'text-anchor': t[2], class: 'axis' });
      label.textContent = t[1];
      nodes.push(label);
    });
    var visible = points.filter(function (p) { return p.at >= from; });
    if (visible.length > 1) {
      var inLine = visible.map(function (p) { return x(p.at).toFixed(1) + ',' + y(p.in).toFixed(1); }).join(' ');
      var first = visible[0], last = visible[visible.length - 1];
      nodes.push(svg('polygon', { points: x(first.at).toFixed(1) + ',' + y(0) + ' ' + inLine + ' ' + x(last.at).toFixed(1) + ',' + y(0), class: 'area-in' }));
      var outs = visible.filter(function (p) { return p.out !== null; });
      if (outs.length > 1) {
        nodes.push(svg('polyline', {
          points: outs.map(function (p) { return x(p.at).toFixed(1) + ',' + y(p.out).toFixed(1); }).join(' '),
          class: 'series series-out',
        }));
      }
      // In is drawn last: when out keeps up with in, the two lines overlap and in must stay visible.
      nodes.push(svg('polyline', { points: inLine, class: 'series series-in' }));
    }
    replace(chart, nodes);
  }

  function addPoint(p) {
    if (points.length && p.at <= points[points.length - 1].at) return;
    points.push(p);
    var horizon = p.at - WINDOW_MS;
    while (points.length && points[0].at < horizon) points.shift();
  }

  // ---- live stream -------------------------------------------------------------------------------------------------
  function toLogin() { window.location.href = '/dashboard/login'; }

  function connect() {
    setLive('connecting', 'connecting…');
    source = new EventSource('/dashboard/events');
    source.addEventListener('history', function (ev) {
      points = JSON.parse(ev.data).points;
      drawChart();
    });
    source.addEventListener('snapshot', function (ev) {
      var frame = JSON.parse(ev.data);
      retryMs = 1000;
      setLive('live', 'live');
      addPoint(frame.point);
      render(frame.snapshot, frame.rates);
      drawChart();
    });
    source.addEventListener('expired', toLogin);
    source.onerror = function () {
      if (source.readyState !== EventSource.CLOSED) {
        // The browser reconnects by itself (the server asked for retry: 2000).
        setLive('reconnecting', 'reconnecting…');
        return;
      }
      // Closed for good (an HTTP error): find out whether the session is gone, else try again with back-off.
      source.close();
      setLive('reconnecting', 'reconnecting…');
      var wait = retryMs;
      retryMs = Math.min(retryMs * 2, 15000);
      fetch('/dashboard/api/snapshot', { credentials: 'same-origin' }).then(function (r) {
        if (r.status === 401) toLogin();
        else setTimeout(connect, wait);
      }, function () { setTimeout(connect, wait); });
    };
  }

  setInterval(function () {
    if (lastFrameAt && Date.now() - lastFrameAt > 5000 && $('live').getAttribute('data-state') === 'live') {
      setLive('stale', 'no update for ' + ago(Date.now() - lastFrameAt));
    }
  }, 1000);

  // ---- actions ---------------------------------------------------------------------------------------------------
  function post(path) {
    return fetch(path, { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': csrf } });
  }

  $('connectors').addEventListener('click', function (ev) {
    var button = ev.target.closest('button[data-action]');
    if (!button) return;
    var cid = button.getAttribute('data-cid');
    var action = button.getAttribute('data-action');
    button.disabled = true;
    $('connector-note').textContent = (action === 'stop' ? 'stopping ' : 'starting ') + cid + '…';
    post('/dashboard/api/connectors/' + encodeURIComponent(cid) + '/' + action).then(function (r) {
      if (r.status === 401) return toLogin();
      return r.json().then(function (body) {
        $('connector-note').textContent = r.ok ? cid + ': ' + action + ' sent' : cid + ': ' + (body.error || r.status);
      });
    }, function (e) {
      $('connector-note').textContent = cid + ': ' + e.message;
    }).then(function () { button.disabled = false; });
  });

  $('logout').addEventListener('click', function () {
    post('/dashboard/logout').then(toLogin, toLogin);
  });

  function fact(list, name, value) {
    var d = el('div');
    d.appendChild(el('dt', null, name));
    d.appendChild(el('dd', null, value === null || value === undefined || value === '' ? '—' : value));
    list.appendChild(d);
  }

  function showMessage(found) {
    var m = found.message;
    var out = [];
    var facts = el('dl', 'facts');
    fact(facts, 'message_id', m.id);
    fact(facts, 'user', m.uid);
    fact(facts, 'from → to', m.source_addr + ' → ' + m.destination_addr);
    fact(facts, 'route / connector', 'route ' + m.route_order + ' → ' + m.cid);
    fact(facts, 'status', m.status + ' (' + m.state_name + ')');
    fact(facts, 'upstream id', m.upstream_id);
    fact(facts, 'part', m.part === null ? null : m.part.seq + ' of ' + m.part.total);
    fact(facts, 'text', m.short_message.text === null ? '(binary) ' + m.short_message.hex : m.short_message.text);
    out.push(facts);
    var table = el('table', 'grid history');
    var head = el('thead');
    var hr = el('tr');
    ['Time', 'Event', 'Detail'].forEach(function (h) { hr.appendChild(el('th', null, h)); });
    head.appendChild(hr);
    table.appendChild(head);
    var body = el('tbody');
    found.history.forEach(function (s) {
      var tr = el('tr');
      tr.appendChild(cell(stamp(s.at), 'mono'));
      tr.appendChild(el('td')).appendChild(badge(s.event));
      tr.appendChild(cell(s.detail));
      body.appendChild(tr);
    });
    table.appendChild(body);
    out.push(table);
    if (found.history_source === 'record') {
      out.push(el('p', 'notice small', 'History from the message record (no history store on this gateway).'));
    }
    replace($('lookup-result'), out);
  }

  $('lookup').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var id = $('lookup-id').value.trim();
    if (!id) return;
    replace($('lookup-result'), [el('p', 'notice', 'Looking up ' + id + '…')]);
    fetch('/dashboard/api/messages/' + encodeURIComponent(id), { credentials: 'same-origin' }).then(function (r) {
      if (r.status === 401) return toLogin();
      return r.json().then(function (body) {
        if (r.ok) showMessage(body);
        else replace($('lookup-result'), [el('p', 'notice', r.status === 404 ? 'No message with id ' + id + '.' : body.error)]);
      });
    }, function (e) {
      replace($('lookup-result'), [el('p', 'notice', 'Lookup failed: ' + e.message)]);
    });
  });

  drawChart();
  connect();
})();
`;
