// The live ticket page: polls its state and alerts when the ticket is called (issue 23).
// The page works without this script; with it, it updates by itself and rings.
(function () {
  "use strict";
  var root = document.getElementById("tpage");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-state-url");
  var every = parseInt(root.getAttribute("data-poll-ms"), 10) || 2000;
  var lastKey = "";
  var alerts = 0;
  var audio = null;
  var stopped = false;

  function byId(id) { return document.getElementById(id); }
  function setText(id, value) {
    var node = byId(id);
    if (node && node.textContent !== (value || "")) { node.textContent = value || ""; }
  }
  function show(id, visible) { var node = byId(id); if (node) { node.hidden = !visible; } }

  function sound() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return null; }
    if (!audio) { audio = new Context(); }
    if (audio.state === "suspended") { audio.resume(); }
    return audio;
  }
  function beep() {
    var context = audio;
    if (!context || context.state !== "running") { return; }
    [0, 0.35, 0.7].forEach(function (at) {
      var osc = context.createOscillator();
      var gain = context.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, context.currentTime + at);
      gain.gain.exponentialRampToValueAtTime(0.4, context.currentTime + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + at + 0.25);
      osc.connect(gain).connect(context.destination);
      osc.start(context.currentTime + at);
      osc.stop(context.currentTime + at + 0.3);
    });
  }
  function ring(data) {
    alerts += 1;
    root.setAttribute("data-alerts", String(alerts));
    document.body.classList.remove("ringing");
    void document.body.offsetWidth;
    document.body.classList.add("ringing");
    if (navigator.vibrate) { navigator.vibrate([400, 200, 400, 200, 400]); }
    beep();
    if ("Notification" in window && Notification.permission === "granted") {
      try {
        new Notification(data.number + " · " + data.headline, { tag: "cherga-call", body: data.service });
      } catch (error) { /* Android wants a service worker for this: the page rings anyway. */ }
    }
  }

  function apply(data) {
    document.body.className = document.body.className.replace(/\bstate-\w+/, "state-" + data.state);
    root.setAttribute("data-state", data.state);
    setText("number", data.number);
    setText("service", data.service);
    setText("headline", data.headline);
    setText("detail", data.detail);
    setText("late", data.late);
    setText("window", data.window);
    show("late", !!data.late);
    show("callbox", data.state === "called" || data.state === "serving");
    show("late-form", data.can_run_late);
    show("cancel-box", data.can_cancel);
    show("offline", false);
    if (data.alert_key && data.alert_key !== lastKey) { ring(data); }
    lastKey = data.alert_key;
  }

  function poll() {
    if (stopped) { return; }
    fetch(url, { cache: "no-store", credentials: "same-origin" }).then(function (reply) {
      if (reply.status === 404) {
        stopped = true;  // the link ended (midnight): reload to show why, and stop asking
        window.location.reload();
        return null;
      }
      return reply.ok ? reply.json() : null;
    }).then(function (data) {
      if (data) { apply(data); }
    }).catch(function () {
      setText("offline", root.getAttribute("data-offline"));
      show("offline", true);
    }).then(function () {
      if (!stopped) { window.setTimeout(poll, every); }
    });
  }

  show("alerts", true);
  var soundButton = byId("sound");
  soundButton.addEventListener("click", function () {
    if (sound()) { window.setTimeout(beep, 50); }
    soundButton.textContent = root.getAttribute("data-sound-on");
  });
  // Browsers let a page play sound only after a touch: any touch on the page arms it.
  document.addEventListener("pointerdown", function () { sound(); }, { once: true });
  var notify = byId("notify");
  if ("Notification" in window && Notification.permission === "default") {
    notify.hidden = false;
    notify.addEventListener("click", function () {
      Notification.requestPermission().then(function () { notify.hidden = true; });
    });
  }
  poll();
}());
