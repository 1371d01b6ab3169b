// Language switch shared by every page: Russian by default, English on
// request. The choice is the cookie markd_lang, so the server sends every
// page in it; the buttons also work without script (GET /lang). With
// script the switch is immediate: both languages are in the page, and the
// texts that cannot hold two spans (the title, aria-labels, options) carry
// data-ru/data-en, data-label-ru/-en or data-title-ru/-en.
(function () {
  var root = document.documentElement;
  function pick(e, ru, en, lang) { return lang === 'en' ? e.getAttribute(en) : e.getAttribute(ru); }
  function apply(lang) {
    root.classList.toggle('en', lang === 'en');
    root.lang = lang;
    document.querySelectorAll('[data-ru]').forEach(function (e) { e.textContent = pick(e, 'data-ru', 'data-en', lang); });
    document.querySelectorAll('[data-label-ru]').forEach(function (e) { e.setAttribute('aria-label', pick(e, 'data-label-ru', 'data-label-en', lang)); });
    document.querySelectorAll('[data-title-ru]').forEach(function (e) { e.title = pick(e, 'data-title-ru', 'data-title-en', lang); });
    document.querySelectorAll('[data-alt-ru]').forEach(function (e) { e.alt = pick(e, 'data-alt-ru', 'data-alt-en', lang); });
    document.querySelectorAll('[data-ph-ru]').forEach(function (e) { e.placeholder = pick(e, 'data-ph-ru', 'data-ph-en', lang); });
    document.querySelectorAll('#lang button[name=set]').forEach(function (b) { b.setAttribute('aria-pressed', String(b.value === lang)); });
    document.dispatchEvent(new CustomEvent('markd:lang', { detail: lang }));
  }
  function save(lang) {
    document.cookie = 'markd_lang=' + lang + '; path=/; max-age=31536000; samesite=strict' +
      (location.protocol === 'https:' ? '; secure' : '');
  }
  // Earlier versions kept the choice in localStorage: carry it over once.
  var old = null;
  try { old = localStorage.getItem('markd-lang'); localStorage.removeItem('markd-lang'); } catch (e) {}
  var early = old === 'en' && !/(?:^|;\s*)markd_lang=/.test(document.cookie);
  if (early) save('en');
  document.addEventListener('DOMContentLoaded', function () {
    if (early) apply('en');
    var f = document.getElementById('lang');
    if (!f) return;
    f.addEventListener('click', function (ev) {
      var b = ev.target.closest('button[name=set]');
      if (!b) return;
      ev.preventDefault();
      save(b.value);
      apply(b.value);
    });
  });
  window.markdLang = function () { return root.classList.contains('en') ? 'en' : 'ru'; };
})();

// markdPost sends a POST with the session's CSRF token in the header, for
// scripts that change state without a form. A body that is not a string
// (a file's bytes) goes without a type; a string is JSON, said so (the
// API refuses the text/plain a browser would send, 415).
function markdPost(url, body) {
  var m = document.querySelector('meta[name="csrf-token"]');
  var headers = { 'X-CSRF-Token': m ? m.content : '' };
  if (typeof body === 'string' && body !== '') headers['Content-Type'] = 'application/json';
  return fetch(url, { method: 'POST', credentials: 'same-origin', body: body, headers: headers });
}
