// "My work" on the home page, over plain links and forms (all work without it):
//   every 20 seconds the page asks for the reminders whose time has come (an HTML fragment of
//     list items, with their Dismiss and Remind again forms) and puts them in place, so one that
//     falls due while the page is open appears without a reload; a new one is announced politely
//     (aria-live) and, if the user turned it on with the button, as a desktop notification;
//   the notification permission is asked only when the user presses that button, never on load.
"use strict";
(function () {
  const POLL_MS = 20000;
  const list = document.getElementById("reminders-list");
  if (!list) return;
  const none = document.getElementById("no-reminders");
  const announce = document.getElementById("reminders-announce");
  const notify = document.getElementById("reminders-notify");
  const state = document.getElementById("reminders-notify-state");
  const canNotify = "Notification" in window;

  function shown() {
    return new Set(Array.from(list.querySelectorAll("li[data-reminder]"), function (item) {
      return item.dataset.reminder;
    }));
  }

  function tell(items) {
    if (!items.length) return;
    const words = items.map(function (item) {
      return list.dataset.new.replace("{what}", item.dataset.what);
    });
    announce.textContent = words.join(". ");
    if (canNotify && Notification.permission === "granted") {
      words.forEach(function (line) {
        // Some browsers (Android's) allow notifications only from a service worker.
        try { new Notification(line); } catch (error) { /* the page's announcement stays */ }
      });
    }
  }

  function poll() {
    return fetch(list.dataset.poll, {
      credentials: "same-origin", headers: { "Accept": "text/html" }, cache: "no-store",
    })
      .then(function (answer) { return answer.ok && !answer.redirected ? answer.text() : null; })
      .then(function (html) {
        if (html === null) return;
        const before = shown();
        const holder = document.createElement("ul");
        holder.innerHTML = html;
        const items = Array.from(holder.querySelectorAll("li[data-reminder]"));
        const fresh = items.filter(function (item) { return !before.has(item.dataset.reminder); });
        const after = new Set(items.map(function (item) { return item.dataset.reminder; }));
        // Keep the reminders already shown (and the focus in them); drop the ones put away
        // elsewhere; add the new ones in their place by time.
        Array.from(list.querySelectorAll("li[data-reminder]")).forEach(function (item) {
          if (!after.has(item.dataset.reminder) && !item.contains(document.activeElement)) item.remove();
        });
        items.forEach(function (item, index) {
          if (before.has(item.dataset.reminder)) return;
          item.classList.add("mywork-fresh");
          const next = list.children[index];
          list.insertBefore(item, next || null);
        });
        if (none) none.hidden = list.children.length > 0;
        tell(fresh);
      })
      .catch(function () { /* the next round tries again */ });
  }

  let busy = false;
  window.setInterval(function () {
    if (busy || document.hidden) return;
    busy = true;
    poll().finally(function () { busy = false; });
  }, POLL_MS);

  if (notify && canNotify && Notification.permission === "default") {
    notify.hidden = false;
    notify.addEventListener("click", function () {
      Notification.requestPermission().then(function (answer) {
        notify.hidden = true;
        state.textContent = answer === "granted" ? notify.dataset.on : notify.dataset.off;
      });
    });
  }
})();
