// Language switch shared by every page: Russian by default, English on
// request; the choice is kept in localStorage.
(function () {
  var root = document.documentElement;
  function apply(lang) {
    root.classList.toggle('en', lang === 'en');
    root.lang = lang;
  }
  var saved = null;
  try { saved = localStorage.getItem('markd-lang'); } catch (e) {}
  apply(saved === 'en' ? 'en' : 'ru');
  document.addEventListener('DOMContentLoaded', function () {
    var b = document.getElementById('lang');
    if (!b) return;
    b.addEventListener('click', function () {
      var next = root.classList.contains('en') ? 'ru' : 'en';
      try { localStorage.setItem('markd-lang', next); } catch (e) {}
      apply(next);
    });
  });
})();

// markdPost sends a POST with the session's CSRF token in the header, for
// scripts that change state without a form.
function markdPost(url, body) {
  var m = document.querySelector('meta[name="csrf-token"]');
  return fetch(url, {
    method: 'POST', credentials: 'same-origin', body: body,
    headers: { 'X-CSRF-Token': m ? m.content : '' }
  });
}
