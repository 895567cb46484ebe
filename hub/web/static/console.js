// The console's live part re-reads itself every second; without scripts the page refreshes
// itself (<noscript> meta refresh). A part being typed in is left alone until it loses focus.
(function () {
  var live = document.getElementById("live");
  if (!live || !live.dataset.src) { return; }
  var busy = false;
  function refresh() {
    if (busy || live.contains(document.activeElement)) { return; }
    busy = true;
    fetch(live.dataset.src, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (reply) {
        if (reply.redirected || !reply.ok) { throw new Error("session"); }
        return reply.text();
      })
      .then(function (html) {
        if (!live.contains(document.activeElement) && live.innerHTML !== html) {
          live.innerHTML = html;
        }
      })
      .catch(function () { /* the next tick tries again */ })
      .finally(function () { busy = false; });
  }
  setInterval(refresh, 1000);
})();
