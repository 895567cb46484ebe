// The statistics dashboard re-reads its live part every few seconds (data-every) and puts it in
// place; without scripts the Refresh link reloads the page. Only a change of the alerts is
// announced (politely, in #stats-announce): the figures themselves change all the time.
"use strict";
(function () {
  const live = document.getElementById("stats-live");
  if (!live || !live.dataset.src) return;
  const announce = document.getElementById("stats-announce");
  const every = Math.max(2, Number(live.dataset.every) || 5) * 1000;
  function alerts() {
    const line = live.querySelector("#stats-updated");
    return line ? line.dataset.alerts : "";
  }
  let said = alerts();
  let busy = false;
  function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(live.dataset.src, { credentials: "same-origin", headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (reply) {
        if (reply.redirected || !reply.ok) throw new Error("session");
        return reply.text();
      })
      .then(function (html) {
        live.innerHTML = html;
        const now = alerts();
        if (now !== said && announce) announce.textContent = now;
        said = now;
      })
      .catch(function () { /* the next round tries again */ })
      .finally(function () { busy = false; });
  }
  window.setInterval(refresh, every);
})();

// The report's form: the groupings offered follow the chosen report (each option names the
// reports it fits); without scripts the server says beside the field when one does not fit.
(function () {
  const kind = document.getElementById("f-kind");
  const by = document.getElementById("f-by");
  if (!kind || !by) return;
  function fit() {
    let first = null;
    Array.from(by.options).forEach(function (option) {
      const fits = (option.dataset.kinds || "").split(" ").indexOf(kind.value) >= 0;
      option.hidden = !fits;
      option.disabled = !fits;
      if (fits && first === null) first = option;
    });
    if (by.selectedOptions.length === 0 || by.selectedOptions[0].disabled) {
      if (first) first.selected = true;
    }
  }
  kind.addEventListener("change", fit);
  fit();
})();
