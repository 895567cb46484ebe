// The Projects section's small conveniences over plain links and forms (all work without them):
//   the discussion: every few seconds the page asks for the messages after the last one it shows
//     (an HTML fragment of list items) and adds them, so a message another person sends appears
//     without a reload; the "Refresh" link does the same by reloading;
//   the upload: a file over the hub's limit is refused before it is sent (the server refuses it
//     too).
"use strict";
(function () {
  const POLL_MS = 3000;
  const list = document.querySelector("ol[data-poll]");

  function poll() {
    const url = new URL(list.dataset.poll, window.location.href);
    url.searchParams.set("after", list.dataset.last || "0");
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (answer) { return answer.ok ? answer.text() : ""; })
      .then(function (html) {
        if (!html.trim()) return;
        const holder = document.createElement("ol");
        holder.innerHTML = html;
        Array.from(holder.querySelectorAll("li[data-id]")).forEach(function (item) {
          if (document.getElementById(item.id)) return;
          list.appendChild(item);
          list.dataset.last = item.dataset.id;
        });
        const none = document.getElementById("no-messages");
        if (none && list.children.length) none.remove();
      })
      .catch(function () { /* the next round tries again */ });
  }

  if (list) {
    let busy = false;
    window.setInterval(function () {
      if (busy || document.hidden) return;
      busy = true;
      poll().finally(function () { busy = false; });
    }, POLL_MS);
  }

  const file = document.querySelector("input[type=file][data-max-bytes]");
  if (file) {
    file.addEventListener("change", function () {
      const chosen = file.files && file.files[0];
      const tooLarge = chosen && chosen.size > Number(file.dataset.maxBytes);
      file.setCustomValidity(tooLarge ? file.dataset.tooLarge : "");
      if (tooLarge) file.reportValidity();
    });
    file.form.addEventListener("submit", function (event) {
      if (!file.checkValidity()) {
        event.preventDefault();
        file.reportValidity();
      }
    });
  }
})();
