// Batch panel of the operator screen: open a batch, upload the customer's
// list, see totals and differences live, close (receipt) or cancel. It
// talks to the JSON API (/api/batches…) with the session and its CSRF
// token, and reloads the batch after every scan the live feed announces
// (operator.js sends 'markd:scan'). Text goes in with textContent only.
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var openForm = $('batch-open-form'), box = $('batch-box'), msg = $('batch-msg'), done = $('batch-done');
  var current = null, pending = null;
  // gen numbers the reads of the batch: an answer to an older read than
  // the newest (or than a close's or an open's answer) is dropped, so a
  // batch read before it closed is never drawn after.
  var gen = 0, closing = false;

  function span(cls, text) { var s = document.createElement('span'); s.className = cls; s.textContent = text; return s; }
  function both(el, ru, en) { el.textContent = ''; el.appendChild(span('ru', ru)); el.appendChild(span('en', en)); return el; }
  function say(ru, en, bad) { both(msg, ru, en); msg.className = 'batchmsg' + (bad ? ' bad' : ''); }

  var kinds = {
    MISSING: ['в списке, не предъявлено', 'on the list, not presented'],
    EXTRA: ['отсканировано, нет в списке', 'scanned, not on the list'],
    CLASS: ['вид отличается', 'class differs'],
    WEIGHT: ['вес отличается', 'weight differs'],
    TARIFF: ['плата отличается', 'tariff differs'],
    NOTICE: ['уведомление отличается', 'notice differs']
  };
  var classes = { 1: ['простое письмо', 'simple letter'], 2: ['заказное письмо', 'registered letter'],
    3: ['заказная бандероль', 'registered printed matter'], 4: ['заказная карточка', 'registered postcard'] };

  function api(method, url, body) {
    var p = method === 'GET'
      ? fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      : markdPost(url, body);
    return p.then(function (res) {
      if (res.status === 401) { location.href = '/login?next=/'; throw new Error('logged out'); }
      return res.json().then(function (j) { return { status: res.status, body: j }; });
    });
  }

  // dt adds a count with its label; value is one text, or [ru, en].
  // Each pair in its own div (allowed in a dl), so that the grid never
  // puts a label and its count in different rows.
  function dt(dl, ru, en, value, id) {
    var pair = document.createElement('div');
    pair.appendChild(both(document.createElement('dt'), ru, en));
    var dd = document.createElement('dd');
    if (typeof value === 'string') dd.textContent = value; else both(dd, value[0], value[1]);
    if (id) dd.id = id;
    pair.appendChild(dd);
    dl.appendChild(pair);
  }
  // times is "N раз/раза" and "N time(s)".
  function times(n) {
    var ru = (n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14)) ? 'раза' : 'раз';
    return [n + ' ' + ru, n + (n === 1 ? ' time' : ' times')];
  }

  function render(st) {
    current = st;
    var open = st && st.state === 'open';
    // An open batch (also one batch.auto opened with the next customer's
    // first mark) hides the closed one's receipt links.
    if (open) done.hidden = true;
    openForm.hidden = open;
    box.hidden = !open;
    var state = $('batch-state');
    if (!open) { state.textContent = ''; return; }
    both(state, '— открыта', '— open');
    both($('batch-info'),
      'Партия ' + st.id + ' · договор ' + (st.contract || 'по первой марке') + ' · открыта ' + (st.opened || st.opened_at),
      'Batch ' + st.id + ' · contract ' + (st.contract || 'from the first mark') + ' · opened ' + (st.opened || st.opened_at));
    var t = st.totals, dl = $('batch-totals');
    dl.textContent = '';
    // The counts of the receipt by its words (items, envelopes, marks),
    // then the scans by verdict, each named as what it counts.
    dt(dl, 'Принято, отправлений', 'Accepted, items', String(t.accepted), 'bt-accepted');
    dt(dl, 'Не принято, конвертов (вернуть)', 'Not accepted, envelopes (hand back)', String(t.handed_back || 0), 'bt-handed-back');
    var again = t.presented_again || 0, refused = times(t.refused_again || 0);
    dt(dl, 'Предъявлены повторно, марок', 'Presented again, marks', again
      ? [again + ' (уже приняты, отказано ' + refused[0] + ')', again + ' (accepted before, refused ' + refused[1] + ')']
      : '0', 'bt-again');
    dt(dl, 'Отказов, сканов', 'Rejections, scans', String(t.rejected), 'bt-rejected');
    dt(dl, 'Повторное сканирование, сканов', 'Scanned again, scans', String(t.duplicates), 'bt-duplicates');
    dt(dl, 'Сумма оплаты', 'Paid', st.paid, 'bt-paid');
    Object.keys(t.per_class || {}).sort().forEach(function (c) {
      var n = classes[c] || ['вид ' + c, 'class ' + c];
      dt(dl, n[0], n[1], String(t.per_class[c]));
    });
    if (st.list_items) dt(dl, 'В списке клиента', "On the customer's list", String(st.list_items), 'bt-list');
    diffs(st);
  }

  var maxRows = 500; // differences drawn on the panel (batch.PanelRows): asked with ?rows=
  var rows = '?rows=' + maxRows;
  function diffs(st) {
    var box = $('batch-diffs');
    box.textContent = '';
    if (!st.list_items) return;
    // The server gives the first maxRows (?rows=) and the count of all.
    var d = st.differences || [], n = typeof st.differences_total === 'number' ? st.differences_total : d.length;
    var h = document.createElement('h3');
    both(h, 'Расхождения со списком: ' + n, 'Differences from the list: ' + n);
    h.id = 'batch-diffs-h';
    box.appendChild(h);
    if (!n) return;
    var table = document.createElement('table');
    table.className = 'list diffs';
    table.setAttribute('aria-labelledby', 'batch-diffs-h');
    var head = table.createTHead().insertRow();
    [['Что', 'What'], ['№', 'No.'], ['ШПИ', 'Tracking'], ['Серия', 'Serial'], ['По списку', 'On the list'], ['По марке', 'On the mark']]
      .forEach(function (c) { var th = document.createElement('th'); th.scope = 'col'; both(th, c[0], c[1]); head.appendChild(th); });
    if (n > maxRows) {
      // Say the table is cut, so no one reads its end as the list's.
      var more = document.createElement('p');
      more.id = 'batch-diffs-more';
      both(more, 'Показаны первые ' + maxRows + ' из ' + n + '; все будут в квитанции',
        'The first ' + maxRows + ' of ' + n + ' are shown; the receipt will list all');
      box.appendChild(more);
    }
    var body = table.createTBody();
    d.slice(0, maxRows).forEach(function (x) {
      var tr = body.insertRow();
      tr.className = 'diff-' + x.kind;
      tr.dataset.kind = x.kind;
      var k = kinds[x.kind] || [x.kind, x.kind];
      both(tr.insertCell(), k[0], k[1]);
      [x.n || '', x.tracking || '', x.serial || '', x.want || '', x.got || ''].forEach(function (v) {
        tr.insertCell().textContent = String(v);
      });
    });
    // A scroll region the keyboard can reach, as the other tables: at 200 %
    // zoom the table scrolls inside it, not the page.
    var wrap = document.createElement('div');
    wrap.className = 'tablewrap';
    wrap.setAttribute('role', 'region');
    wrap.setAttribute('aria-labelledby', 'batch-diffs-h');
    wrap.tabIndex = 0;
    wrap.appendChild(table);
    box.appendChild(wrap);
  }

  function load() {
    pending = null;
    var g = ++gen;
    return api('GET', '/api/batches/current' + rows).then(function (r) {
      if (g !== gen) return;
      if (r.status === 404) { render(null); return lastClosed(g); }
      if (r.status !== 200) { say('Партия не прочитана: ' + r.body.error, 'Batch not read: ' + r.body.error, true); return; }
      render(r.body);
    }).catch(function () {});
  }

  // lastClosed offers, with no batch open, the receipt of the counter's
  // last batch when it was closed (after a reload, or a close by the cash
  // desk) as right after closing, but without taking the focus. The
  // server answers 404 once another batch opened since (or it was
  // cancelled), and an operator only a batch of today.
  function lastClosed(g) {
    if (closing) return;
    return api('GET', '/operator/batch/last').then(function (r) {
      if (g !== gen || current || closing) return;
      if (r.status !== 200) { done.hidden = true; return; }
      // Already offered (this page closed it): the links stay as they
      // are, with the focus the close gave them.
      if (!done.hidden && done.dataset.batch === r.body.id) return;
      var b = r.body, c = b.contract ? ' ' + b.contract : '';
      receiptLinks(b.id, ['Последняя партия' + (c ? ', договор' + c : '') + ', закрыта ' + b.closed + ':',
        'Last batch' + (c ? ', contract' + c : '') + ', closed ' + b.closed + ':']);
    });
  }

  // receiptLinks shows the links to the receipt of the closed batch id,
  // after the words lead ([ru, en]; none: right after the close, whose
  // message says it).
  function receiptLinks(id, lead) {
    done.textContent = '';
    done.dataset.batch = id;
    if (lead) { done.appendChild(both(document.createElement('span'), lead[0], lead[1])); done.appendChild(document.createTextNode(' ')); }
    var a = document.createElement('a');
    a.href = '/batches/' + encodeURIComponent(id) + '/receipt';
    a.id = 'receipt-html';
    both(a, 'Квитанция для печати', 'Printable receipt');
    var p = document.createElement('a');
    p.href = '/api/batches/' + encodeURIComponent(id) + '/receipt.pdf';
    p.id = 'receipt-pdf';
    both(p, 'Квитанция PDF', 'Receipt PDF');
    done.appendChild(a);
    done.appendChild(document.createTextNode(' · '));
    done.appendChild(p);
    done.hidden = false;
    return a;
  }

  // The steps of a close (batch.CloseStep), which the live feed's health
  // events give while one is under way, this page's or another's.
  var steps = { 1: ['закрываем партию', 'closing the batch'], 2: ['читаем список и сканы', 'reading the list and the scans'],
    3: ['сверяем со списком', 'comparing with the list'], 4: ['раскладываем квитанцию по страницам', 'laying out the receipt'],
    5: ['пишем PDF квитанции', 'writing the receipt PDF'], 6: ['сохраняем квитанцию', 'storing the receipt'] };
  var shown = '', counts = null, ended = {};
  function progress(c) {
    if (c && ended[c.batch]) c = null; // its answer came already (this page's close)
    var key = c ? c.batch + ':' + c.step : '';
    if (key === shown) return;
    var was = shown;
    shown = key;
    if (!c) {
      // Another page's (or the desk's) close is done: the batch is read
      // again, its receipt links offered.
      if (was && !closing) { say('Партия закрыта', 'Batch closed'); later(); }
      return;
    }
    var w = steps[c.step] || ['шаг ' + c.step, 'step ' + c.step], since = String(c.since).slice(-8);
    var k = closing && counts ? counts : ['', ''];
    say('Партия закрывается (с ' + since + ')… ' + k[0] + 'шаг ' + c.step + ' из ' + c.steps + ': ' + w[0],
      'Closing the batch (since ' + since + ')… ' + k[1] + 'step ' + c.step + ' of ' + c.steps + ': ' + w[1]);
  }

  // num writes a count as people read it: 100 000 (ru), 100,000 (en).
  function num(n, locale) { try { return n.toLocaleString(locale); } catch (e) { return String(n); } }

  // busy holds the batch's buttons while its close or cancel runs: a
  // second press is no second request.
  function busy(on) {
    closing = on;
    $('batch-close').disabled = on;
    $('batch-cancel').disabled = on;
    box.setAttribute('aria-busy', String(on));
  }
  function later() { if (!pending) pending = setTimeout(load, 250); }

  function failed(r, ru, en) {
    var e = r.body || {};
    var where = e.line ? ' (строка ' + e.line + (e.column ? ', столбец ' + e.column : '') + ')' : '';
    var whereEN = e.line ? ' (line ' + e.line + (e.column ? ', column ' + e.column : '') + ')' : '';
    say(ru + where + ': ' + (e.error || r.status), en + whereEN + ': ' + (e.error || r.status), true);
  }

  openForm.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var c = $('batch-contract').value.trim();
    if (c && !/^[0-9]{1,10}$/.test(c)) { say('Договор — это номер из цифр', 'The contract is a number', true); $('batch-contract').focus(); return; }
    api('POST', '/api/batches' + rows, JSON.stringify(c ? { contract: Number(c) } : {})).then(function (r) {
      if (r.status !== 201) { failed(r, 'Партия не открыта', 'Batch not opened'); return; }
      gen++;
      done.hidden = true;
      say('Партия открыта. Сканируйте отправления.', 'Batch opened. Scan the items.');
      render(r.body);
      $('batch-file').focus();
    });
  });

  $('batch-list-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var f = $('batch-file').files[0];
    if (!f || !current) { say('Выберите файл списка', 'Choose the list file', true); $('batch-file').focus(); return; }
    f.arrayBuffer().then(function (buf) {
      return api('POST', '/api/batches/' + encodeURIComponent(current.id) + '/expect' + rows, buf);
    }).then(function (r) {
      if (r.status !== 200) { failed(r, 'Список «' + f.name + '» не загружен, ничего не изменено', 'List "' + f.name + '" not loaded, nothing changed'); return; }
      say('Список «' + f.name + '» загружен: ' + r.body.list_items + ' отправлений', 'List "' + f.name + '" loaded: ' + r.body.list_items + ' items');
      render(r.body);
    });
  });

  function end(action) {
    if (!current || closing) return;
    var id = current.id, items = current.list_items || 0, scans = (current.totals && current.totals.scans) || 0;
    busy(true);
    if (action === 'close') {
      // Said at once: with a list of 100 000 items the receipt takes
      // seconds to make; the health events then say its steps.
      var ni = [num(items, 'ru-RU'), num(items, 'en-GB')], ns = [num(scans, 'ru-RU'), num(scans, 'en-GB')];
      counts = [(items ? ni[0] + ' отправлений списка, ' : '') + ns[0] + ' сканов; ', (items ? ni[1] + ' list items, ' : '') + ns[1] + ' scans; '];
      say('Партия закрывается… считаем ' + (items ? ni[0] + ' отправлений списка и ' : '') + ns[0] + ' сканов, готовим квитанцию',
        'Closing the batch… counting ' + (items ? ni[1] + ' list items and ' : '') + ns[1] + ' scans, making the receipt');
    }
    // ?rows=: the answer carries the first differences only, not all of
    // a list of 100 000 (the panel draws none of them after the end).
    api('POST', '/api/batches/' + encodeURIComponent(id) + '/' + action + rows, '').then(function (r) {
      busy(false);
      ended[id] = true; // this page's close is over: its steps are not said after
      shown = '';
      if (r.status !== 200) { failed(r, 'Не выполнено', 'Not done'); $('batch-' + action).focus(); return; }
      gen++;
      render(null);
      $('batch-contract').value = '';
      if (action === 'cancel') { say('Партия отменена', 'Batch cancelled'); $('batch-contract').focus(); return; }
      var t = r.body.totals;
      say('Партия закрыта: принято ' + t.accepted + ', не принято ' + (t.handed_back || 0) +
          (t.presented_again ? ', предъявлено повторно ' + t.presented_again : '') + ', сумма ' + r.body.paid,
        'Batch closed: ' + t.accepted + ' accepted, ' + (t.handed_back || 0) + ' not accepted' +
          (t.presented_again ? ', ' + t.presented_again + ' presented again' : '') + ', paid ' + r.body.paid);
      receiptLinks(id).focus();
    }).catch(function () {
      busy(false);
      say('Нет ответа сервера: партия, возможно, не закрыта — проверьте после перезагрузки страницы',
        'No answer from the server: the batch may not be closed; check after reloading the page', true);
    });
  }
  $('batch-close').addEventListener('click', function () { end('close'); });
  $('batch-cancel').addEventListener('click', function () {
    var en = document.documentElement.classList.contains('en');
    if (confirm(en ? 'Cancel this batch? Its scans stay recorded.' : 'Отменить партию? Сканы останутся записанными.')) end('cancel');
  });

  document.addEventListener('markd:scan', later);
  // A supervisor's override to accept changes the open batch's counts
  // (the envelope counts as accepted), and the cash-desk program opens,
  // lists, closes and cancels batches through the API: read the batch
  // again when either count changed.
  var overrides = null;
  document.addEventListener('markd:health', function (e) {
    var d = e.detail || {};
    // batch_log: a batch action of another process (markd batch expect).
    var o = (d.overrides || 0) + ':' + (d.batches || 0) + ':' + (d.batch_log || 0);
    if (overrides !== null && o !== overrides) later();
    overrides = o;
    progress(d.closing);
    var s = e.detail && e.detail.scale;
    $('scale').hidden = !s;
    if (s) $('scale-g').textContent = s.weight_g ? s.weight_g + ' г / g' : '—';
  });
  load();
})();
