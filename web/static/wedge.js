// Browser keyboard wedge: a barcode scanner in keyboard mode "types" the
// code into whatever has the focus, which at the counter is this page. The
// page tells a scanner burst from a person by speed: at least MIN_KEYS keys
// each less than MAX_GAP_MS after the previous one, ended by Enter. Keys are
// read by KeyboardEvent.code, the physical key, through the US table below,
// so the text is the same whether the desktop layout is Russian or English.
// The burst is posted to POST /api/scans as source "browser-wedge" (session
// cookie + CSRF header via markdPost); the verdict arrives on the live feed
// like any other scan. Slow typing is left alone, in forms or elsewhere.
(function () {
  'use strict';
  var MAX_GAP_MS = 40;  // scanners: 1–20 ms a key; people: 80 ms and more
  var MIN_KEYS = 8;     // a burst shorter than this is not a code
  var MAX_KEYS = 4096;  // a longer burst is sent cut to this, with its length (like the server's max_line);
                        // spaces around the code do not count against it (MARK-FORMAT §1)

  // Unshifted and shifted character of each physical key (US layout).
  var KEYS = {
    Backquote: '`~', Digit1: '1!', Digit2: '2@', Digit3: '3#', Digit4: '4$',
    Digit5: '5%', Digit6: '6^', Digit7: '7&', Digit8: '8*', Digit9: '9(',
    Digit0: '0)', Minus: '-_', Equal: '=+', BracketLeft: '[{',
    BracketRight: ']}', Backslash: '\\|', Semicolon: ';:', Quote: '\'"',
    Comma: ',<', Period: '.>', Slash: '/?', Space: '  ',
    NumpadDivide: '//', NumpadMultiply: '**', NumpadSubtract: '--',
    NumpadAdd: '++', NumpadDecimal: '..'
  };
  var i;
  for (i = 0; i < 26; i++) {
    var c = String.fromCharCode(97 + i);
    KEYS['Key' + c.toUpperCase()] = c + c.toUpperCase();
  }
  for (i = 0; i < 10; i++) KEYS['Numpad' + i] = String(i) + String(i);

  // charOf returns the character of a key press, '' for a modifier (which
  // neither adds to nor breaks a burst), and null for any other key.
  function charOf(e) {
    var k = KEYS[e.code];
    if (k) {
      // Caps Lock flips letters only, as on a US keyboard.
      var upper = e.shiftKey;
      if (/^Key/.test(e.code) && e.getModifierState && e.getModifierState('CapsLock')) upper = !upper;
      return k.charAt(upper ? 1 : 0);
    }
    if (/^(Shift|Control|Alt|Meta|CapsLock)/.test(e.code) || /^(Shift|CapsLock)$/.test(e.key)) return '';
    return null;
  }

  function editable(el) {
    return el && (el.isContentEditable || el.tagName === 'TEXTAREA' ||
      (el.tagName === 'INPUT' && !/^(button|submit|reset|checkbox|radio|file|image|range|color)$/i.test(el.type)));
  }

  // buf keeps the first MAX_KEYS characters of the burst, n counts them all.
  // Surrounding white space is ignored however long (MARK-FORMAT §1), so
  // past MAX_KEYS a space is counted, not kept: spaces before the code give
  // way to its first other key (blank: buf holds spaces only), spaces after
  // it are dropped, and only another key past MAX_KEYS makes the burst
  // over-long (over: sent cut, with its real length).
  var buf = '', n = 0, blank = true, over = false, last = -1, target = null, before = null;

  function reset() { buf = ''; n = 0; blank = true; over = false; last = -1; target = null; before = null; }

  function keep(ch) {
    if (buf.length < MAX_KEYS) buf += ch;
    else if (ch === ' ') return;
    else if (blank) buf = ch;
    else over = true;
    if (ch !== ' ') blank = false;
  }

  function status(text, bad) {
    var el = document.getElementById('wedge-msg');
    if (!el) {
      el = document.createElement('p');
      el.id = 'wedge-msg';
      el.className = 'wedgemsg';
      el.setAttribute('role', 'status');
      var bar = document.querySelector('.opbar') || document.body;
      bar.appendChild(el);
    }
    el.textContent = text;
    el.classList.toggle('wedge-bad', !!bad);
  }

  // send posts a burst; length is its real length when text holds only its
  // first MAX_KEYS characters (markd records it NOT_A_MARK with it).
  function send(text, length) {
    var lang = document.documentElement.classList.contains('en') ? 'en' : 'ru';
    var body = { text: text, source: 'browser-wedge' };
    if (length > text.length) body.length = length;
    markdPost('/api/scans', JSON.stringify(body))
      .then(function (res) {
        if (res.ok) { status(''); return; }
        return res.json().catch(function () { return {}; }).then(function (b) {
          status((lang === 'en' ? 'Scan not sent: ' : 'Скан не передан: ') + (b.error || ('HTTP ' + res.status)), true);
        });
      })
      .catch(function () {
        status(lang === 'en' ? 'Scan not sent: no connection to markd' : 'Скан не передан: нет связи с markd', true);
      });
  }

  function onKey(e) {
    if (e.isComposing || e.ctrlKey || e.altKey || e.metaKey) { reset(); return; }
    var t = e.timeStamp;
    var fast = last >= 0 && t - last <= MAX_GAP_MS;
    if (e.code === 'Enter' || e.code === 'NumpadEnter') {
      if (fast && n >= MIN_KEYS) {
        e.preventDefault(); // no form submit, no button press
        e.stopPropagation();
        if (target && before !== null) target.value = before; // undo what the scanner typed into a field
        send(buf, over ? n : buf.length);
      }
      reset();
      return;
    }
    var ch = charOf(e);
    if (ch === '') return;
    if (ch === null) { reset(); return; }
    if (!fast) {
      // A new burst may start here: remember the field and its text.
      reset();
      target = editable(e.target) ? e.target : null;
      before = target ? target.value : null;
    }
    last = t;
    n++;
    keep(ch);
    // Once it is surely a scanner, its keys stop reaching the page.
    if (n >= MIN_KEYS) e.preventDefault();
  }

  window.addEventListener('keydown', onKey, true);
})();
