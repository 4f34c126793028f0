// The console's keyboard and the CSRF header for htmx. An external file:
// the Content-Security-Policy allows no inline script.
(function () {
  'use strict';
  var selected = -1;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll('table.queue tbody tr[data-id]')); }

  function select(i, focus) {
    var rs = rows();
    if (!rs.length) { selected = -1; return; }
    selected = Math.max(0, Math.min(i, rs.length - 1));
    rs.forEach(function (r, j) { r.classList.toggle('selected', j === selected); });
    var link = rs[selected].querySelector('a.row-link');
    if (focus && link) { link.focus(); }
    try { sessionStorage.setItem('linli.queue.selected', rs[selected].dataset.id); } catch (e) { /* private mode */ }
  }

  // After a refresh of the list, keep the same message selected.
  function restore() {
    var id = null;
    try { id = sessionStorage.getItem('linli.queue.selected'); } catch (e) { /* private mode */ }
    var rs = rows();
    for (var i = 0; i < rs.length; i++) {
      if (rs[i].dataset.id === id) { select(i, false); return; }
    }
  }

  function typing(el) {
    return el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
  }

  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) { return; }
    switch (e.key) {
      case 'j': if (rows().length) { e.preventDefault(); select(selected + 1, true); } break;
      case 'k': if (rows().length) { e.preventDefault(); select(selected - 1, true); } break;
      case 'r': {
        // On a message: to the reply. In the queue: open the selected
        // message at its reply.
        var reply = document.getElementById('reply');
        var rs = rows();
        if (reply) { e.preventDefault(); reply.focus(); }
        else if (selected >= 0 && rs[selected]) {
          var a = rs[selected].querySelector('a.row-link');
          if (a) { e.preventDefault(); window.location.href = a.href + '#reply'; }
        }
        break;
      }
      case 'g': e.preventDefault(); window.location.href = '/console/queue'; break;
      case '?': e.preventDefault(); window.alert('j / k：上下选择留言\nEnter：打开选中的留言\nr：回复居民（在队列中打开选中的留言并回复）\ng：回到留言队列\n访问键 Q / F / W（Chrome 为 Alt+键，Firefox 为 Alt+Shift+键）：队列、三率、心愿审核'); break;
    }
  });

  // A check-in code's page: its "full screen" button fills the screen
  // with the code (Esc leaves).
  document.addEventListener('click', function (e) {
    var b = e.target.closest ? e.target.closest('[data-fullscreen]') : null;
    if (!b) { return; }
    var el = document.querySelector(b.dataset.fullscreen);
    if (el && el.requestFullscreen) { el.requestFullscreen().catch(function () { /* refused: stay as is */ }); }
  });

  document.addEventListener('DOMContentLoaded', function () {
    restore();
    var reply = document.getElementById('reply');
    if (reply && window.location.hash === '#reply') { reply.focus(); }
    document.body.addEventListener('htmx:configRequest', function (e) {
      var token = document.body.dataset.csrf;
      if (token) { e.detail.headers['X-CSRF-Token'] = token; }
    });
    document.body.addEventListener('htmx:afterSwap', function (e) {
      if (e.detail.target && e.detail.target.id === 'live') { restore(); }
    });
  });
})();
