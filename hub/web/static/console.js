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

// The desk form: choosing a found client fills the name and phone from the client's card
// (without scripts the hub fills empty fields from the card when the ticket is issued).
(function () {
  var name = document.getElementById("issue-name");
  var phone = document.getElementById("issue-phone");
  if (!name || !phone) { return; }
  function fill(radio) {
    name.value = radio.dataset.name || "";
    phone.value = radio.dataset.phone || "";
  }
  document.querySelectorAll("#found input[name=client_id]").forEach(function (radio) {
    radio.addEventListener("change", function () { fill(radio); });
    if (radio.checked && radio.value) { fill(radio); }
  });
})();
