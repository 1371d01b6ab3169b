// Operator screen: the current scan in large type, the last 20 scans and
// the source lights, live over server-sent events from /operator/live.
// EventSource reconnects by itself; when it cannot (the session ended) a
// new one is tried every few seconds. Everything is built with textContent,
// never innerHTML, so nothing in a scan can run as script.
(function () {
  'use strict';
  var MAX = 20;
  var current = document.getElementById('current');
  var tbody = document.querySelector('#recent tbody');
  var conn = document.getElementById('conn');
  var seen = {};
  var lastEvent = 0;

  function el(tag, cls, ru, en) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (ru !== undefined) {
      if (en === undefined || en === ru) { e.textContent = ru; }
      else { e.appendChild(span('ru', ru)); e.appendChild(span('en', en)); }
    }
    return e;
  }
  function span(cls, text) { var s = document.createElement('span'); s.className = cls; s.textContent = text; return s; }

  // #conn is a live region: its text changes only when the state does, so
  // a screen reader hears "connected" once, not with every heartbeat.
  function setConn(state) {
    if (conn.dataset.state === state) return;
    conn.className = 'conn conn-' + state;
    conn.textContent = '';
    var t = {
      ok: ['На связи', 'Connected'],
      wait: ['Подключение…', 'Connecting…'],
      lost: ['Связь потеряна — переподключение…', 'Connection lost — reconnecting…']
    }[state];
    conn.appendChild(span('ru', t[0]));
    conn.appendChild(span('en', t[1]));
    conn.dataset.state = state;
  }

  function showCurrent(r) {
    current.className = 'current v-' + r.verdict;
    current.dataset.verdict = r.verdict;
    current.dataset.id = r.id;
    var v = document.getElementById('verdict');
    v.textContent = '';
    v.appendChild(span('ru', r.verdict_ru));
    v.appendChild(span('en', r.verdict_en));
    var ul = document.getElementById('reasons');
    ul.textContent = '';
    var sayRU = [r.verdict_ru], sayEN = [r.verdict_en];
    (r.reasons || []).forEach(function (x) {
      var li = el('li', 'reason', x.ru, x.en);
      li.dataset.code = x.code;
      ul.appendChild(li);
      sayRU.push(x.ru);
      sayEN.push(x.en);
    });
    if (r.first_accepted) {
      var fr = 'Впервые принята ' + r.first_accepted.at + ', касса ' + r.first_accepted.counter;
      var fe = 'First accepted ' + r.first_accepted.at + ' at counter ' + r.first_accepted.counter;
      ul.appendChild(el('li', 'first', fr, fe));
      sayRU.push(fr);
      sayEN.push(fe);
    }
    document.getElementById('message').textContent = r.message || '';
    var dl = document.getElementById('mark');
    dl.textContent = '';
    var m = r.mark;
    if (m) {
      [[['Вид', 'Class'], [m.class_ru, m.class_en]],
       [['Вес', 'Weight'], [m.weight_g + ' г', m.weight_g + ' g']],
       [['Оплачено', 'Paid'], [m.paid, m.paid]],
       [['Отделение', 'Office'], [m.office, m.office]],
       [['Трек', 'Tracking'], [m.tracking || '—', m.tracking || '—']],
       [['Серийный номер', 'Serial'], [String(m.serial), String(m.serial)]],
       [['Договор', 'Contract'], [String(m.contract), String(m.contract)]]
      ].forEach(function (p) {
        var d = document.createElement('div');
        d.appendChild(el('dt', '', p[0][0], p[0][1]));
        d.appendChild(el('dd', '', p[1][0], p[1][1]));
        dl.appendChild(d);
      });
      var sv = dl.querySelectorAll('dd')[5];
      if (sv) sv.id = 'serial';
    }
    document.getElementById('scan-meta').textContent = r.at + ' · ' + r.counter + (r.operator ? ' · ' + r.operator : '') + ' · ' + r.source;
    // One sentence per verdict for screen readers, in both languages (the
    // other one is display:none and not read).
    var say = document.getElementById('announce');
    say.textContent = '';
    say.appendChild(span('ru', sayRU.join('. ') + '.'));
    say.appendChild(span('en', sayEN.join('. ') + '.'));
  }

  // Column names for the narrow layout (200 % zoom), where each scan is a
  // block of "name: value" lines; explicit roles keep it a table for
  // screen readers whatever its CSS display.
  var cols = [['Время', 'Time'], ['Решение', 'Verdict'], ['Причины', 'Reasons'], ['Вид', 'Class'],
    ['Трек', 'Tracking'], ['Касса', 'Counter']];
  function row(r, fresh) {
    var tr = document.createElement('tr');
    tr.className = 'row-' + r.verdict + (fresh ? ' new' : '');
    tr.setAttribute('role', 'row');
    tr.dataset.id = r.id;
    var rs = r.reasons || [];
    var cells = [
      el('td', '', r.time),
      el('td', 'vcell v-' + r.verdict, r.verdict_ru, r.verdict_en),
      el('td', 'reasons', rs.map(function (x) { return x.ru; }).join('; '), rs.map(function (x) { return x.en; }).join('; ')),
      el('td', '', r.mark ? r.mark.class_ru : '', r.mark ? r.mark.class_en : ''),
      el('td', '', r.mark ? (r.mark.tracking || '') : ''),
      el('td', '', r.counter)
    ];
    cells[2].title = rs.map(function (x) { return x.code; }).join(', ');
    cells.forEach(function (td, i) {
      td.setAttribute('role', 'cell');
      td.setAttribute('data-th-ru', cols[i][0]);
      td.setAttribute('data-th-en', cols[i][1]);
      tr.appendChild(td);
    });
    return tr;
  }

  function add(r, fresh) {
    if (seen[r.id]) return;
    seen[r.id] = true;
    tbody.insertBefore(row(r, fresh), tbody.firstChild);
    while (tbody.children.length > MAX) {
      delete seen[tbody.lastChild.dataset.id];
      tbody.removeChild(tbody.lastChild);
    }
  }

  // Source lights: the colour of the dot and the state in words.
  function lights(sources) {
    var box = document.getElementById('sources');
    box.textContent = '';
    (sources || []).forEach(function (s) {
      var d = el('li', 'light' + (s.up ? ' up' : ''), s.name + (s.kind && s.kind !== s.name ? ' (' + s.kind + ')' : '') + ': ');
      d.appendChild(el('span', 'state', s.up ? 'работает' : 'не работает', s.up ? 'up' : 'down'));
      if (s.detail) d.appendChild(el('span', 'detail', ' — ' + s.detail));
      d.dataset.up = s.up ? '1' : '0';
      box.appendChild(d);
    });
  }

  // Sound: one short tone per verdict, made with an oscillator (no files).
  // Browsers allow audio only after a click, hence the button.
  var audio = null;
  var tones = {
    ACCEPT: [[880, 0.12]],
    REJECT: [[220, 0.25], [180, 0.35]],
    DUPLICATE_SCAN: [[660, 0.1], [660, 0.1]],
    NOT_A_MARK: [[440, 0.1]],
    ERROR: [[150, 0.6]]
  };
  function beep(verdict) {
    if (!audio) return;
    var t = audio.currentTime;
    (tones[verdict] || []).forEach(function (n) {
      var o = audio.createOscillator(), g = audio.createGain();
      o.type = verdict === 'ACCEPT' ? 'sine' : 'square';
      o.frequency.value = n[0];
      g.gain.setValueAtTime(0.15, t);
      g.gain.exponentialRampToValueAtTime(0.001, t + n[1]);
      o.connect(g); g.connect(audio.destination);
      o.start(t); o.stop(t + n[1]);
      t += n[1] + 0.05;
    });
  }
  // The scans replayed after a reconnection sound once, the worst
  // verdict's tone, when the replay ends (the health event after it).
  var severity = { ACCEPT: 0, NOT_A_MARK: 1, DUPLICATE_SCAN: 2, REJECT: 3, ERROR: 4 };
  var replayWorst = null;
  function replayed(verdict) {
    if (replayWorst === null || (severity[verdict] || 0) > (severity[replayWorst] || 0)) replayWorst = verdict;
  }
  function replayDone() {
    if (replayWorst !== null) beep(replayWorst);
    replayWorst = null;
  }
  var soundBtn = document.getElementById('sound');
  soundBtn.addEventListener('click', function () {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    if (audio) { audio.close(); audio = null; }
    else { audio = new Ctx(); beep('ACCEPT'); }
    soundBtn.setAttribute('aria-pressed', String(!!audio));
    var st = soundBtn.querySelectorAll('[data-state]');
    st[0].textContent = audio ? 'вкл' : 'выкл';
    st[1].textContent = audio ? 'on' : 'off';
  });

  // loadRecent loads the list; sound: tell a scan it shows that came
  // while the stream was down (a reset: more missed than the daemon
  // replays, or a first connection's card older than the list).
  function loadRecent(sound) {
    fetch('/operator/recent', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (res) {
        if (res.status === 401) { location.href = '/login?next=/'; throw new Error('logged out'); }
        return res.json();
      })
      .then(function (d) {
        var recs = d.records || [];
        // A scan decided while the stream was down (the daemon restarted,
        // the link dropped) is newer than the card: show it, or the card
        // would go on showing an older verdict.
        var missed = recs.length && current.dataset.id && !seen[recs[0].id];
        for (var i = recs.length - 1; i >= 0; i--) add(recs[i], false);
        if (recs.length && (!current.dataset.id || missed)) showCurrent(recs[0]);
        if (missed && sound) beep(recs[0].verdict);
        lights(d.sources);
      })
      .catch(function () {});
  }

  var es = null;
  // The id of the last scan event: the browser sends it back when it
  // reconnects by itself, and a new EventSource passes it in the URL, so
  // the daemon first sends the scans decided while the stream was down.
  var lastId = '';
  function connect() {
    setConn('wait');
    es = new EventSource('/operator/live' + (lastId ? '?last_event_id=' + encodeURIComponent(lastId) : ''));
    // With a last id the daemon replays what was missed (and sounds it
    // once); without one the list tells.
    es.onopen = function () { setConn('ok'); lastEvent = Date.now(); loadRecent(!lastId); };
    es.addEventListener('reset', function () {
      // More was missed than the daemon replays (or it does not know the
      // id): the list is loaded again instead.
      lastEvent = Date.now();
      loadRecent(true);
    });
    es.addEventListener('scan', function (e) {
      lastEvent = Date.now();
      if (e.lastEventId) lastId = e.lastEventId;
      var d = JSON.parse(e.data), r = d.record;
      showCurrent(r);
      add(r, true);
      if (d.replayed) replayed(r.verdict);
      else beep(r.verdict);
      document.dispatchEvent(new CustomEvent('markd:scan', { detail: r }));
    });
    es.addEventListener('health', function (e) {
      lastEvent = Date.now();
      replayDone();
      setConn('ok');
      var h = JSON.parse(e.data);
      lights(h.sources);
      document.dispatchEvent(new CustomEvent('markd:health', { detail: h }));
    });
    es.addEventListener('ended', function (e) {
      // The session ended (its lifetime, logged out elsewhere, password
      // changed, account disabled): log in again rather than reconnect.
      // The login page says why; the reason is a word, never text.
      var why = 'ended';
      try { why = JSON.parse(e.data).reason || why; } catch (err) {}
      es.close();
      es = null;
      location.href = '/login?ended=' + encodeURIComponent(why) + '&next=/';
    });
    es.onerror = function () {
      setConn('lost');
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up: the daemon restarted or the session ended.
        // A 401 means logging in again; anything else, try again soon.
        es = null;
        fetch('/operator/recent', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
          .then(function (res) { if (res.status === 401) location.href = '/login?next=/'; })
          .catch(function () {});
        setTimeout(connect, 3000);
      }
    };
  }
  // Health events come every 2 s; silence for longer means a dead link
  // (a proxy, a suspended laptop) even if the socket looks open. The
  // browser does not notice such a link, so a new stream is opened.
  setInterval(function () {
    if (!es || !lastEvent || Date.now() - lastEvent <= 7000) return;
    if (conn.dataset.state === 'ok') setConn('lost');
    if (es.readyState === EventSource.OPEN) {
      es.close();
      es = null;
      connect();
    }
  }, 1000);
  connect();
})();
