// "My work" and the notifications on the home page, over plain links and forms (all work
// without it):
//   every 20 seconds the page asks for the reminders whose time has come and for the unread
//     notifications (each an HTML fragment of list items, with their forms) and puts them in
//     place, so one that comes while the page is open appears without a reload; a new one is
//     announced politely (aria-live) and, if the user turned it on with the button, as a desktop
//     notification;
//   the notification permission is asked only when the user presses that button, never on load.
"use strict";
(function () {
  const POLL_MS = 20000;
  const lists = Array.from(document.querySelectorAll("ul[data-poll][data-item]"));
  if (!lists.length) return;
  const notify = document.getElementById("reminders-notify");
  const state = document.getElementById("reminders-notify-state");
  const canNotify = "Notification" in window;

  // One polled list: its items are li[data-ITEM] with a stable id in that attribute.
  function watcher(list) {
    const attr = "data-" + list.dataset.item;
    const key = function (item) { return item.getAttribute(attr); };
    const none = document.getElementById(list.dataset.none);
    const announce = document.getElementById(list.dataset.announce);

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

    return function poll() {
      return fetch(list.dataset.poll, {
        credentials: "same-origin", headers: { "Accept": "text/html" }, cache: "no-store",
      })
        .then(function (answer) { return answer.ok && !answer.redirected ? answer.text() : null; })
        .then(function (html) {
          if (html === null) return;
          const mine = "li[" + attr + "]";
          const before = new Set(Array.from(list.querySelectorAll(mine), key));
          const holder = document.createElement("ul");
          holder.innerHTML = html;
          const items = Array.from(holder.querySelectorAll(mine));
          const fresh = items.filter(function (item) { return !before.has(key(item)); });
          const after = new Set(items.map(key));
          // Keep the items already shown (and the focus in them); drop the ones put away
          // elsewhere; add the new ones in their place.
          Array.from(list.querySelectorAll(mine)).forEach(function (item) {
            if (!after.has(key(item)) && !item.contains(document.activeElement)) item.remove();
          });
          items.forEach(function (item, index) {
            if (before.has(key(item))) return;
            item.classList.add("mywork-fresh");
            const next = list.children[index];
            list.insertBefore(item, next || null);
          });
          if (none) none.hidden = list.children.length > 0;
          tell(fresh);
        })
        .catch(function () { /* the next round tries again */ });
    };
  }

  const polls = lists.map(watcher);
  let busy = false;
  window.setInterval(function () {
    if (busy || document.hidden) return;
    busy = true;
    Promise.all(polls.map(function (poll) { return poll(); }))
      .finally(function () { busy = false; });
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
