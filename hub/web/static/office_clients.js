// The Clients section's small conveniences over plain links (everything works without them):
//   the tree: a branch's toggle fetches that branch as a fragment and opens it in place; a second
//     press closes it (and drops it: reopening asks the server again); "More" fetches the next
//     page of a branch;
//   the parent picker: emptying the name clears the chosen parent;
//   the import: while it runs, its progress bar asks the server how far it is every half second
//     and the page reloads into the report when it is done.
"use strict";
(function () {
  function fragment(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (answer) {
        if (!answer.ok) throw new Error(String(answer.status));
        return answer.text();
      })
      .then(function (html) {
        const holder = document.createElement("div");
        holder.innerHTML = html;
        return holder.querySelector("ul");
      });
  }

  function mark(toggle, open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.setAttribute("aria-label", open ? toggle.dataset.close : toggle.dataset.open);
    toggle.textContent = open ? "\u25BE" : "\u25B8";
  }

  function branch(toggle) {
    const item = toggle.closest("li");
    const nested = item.querySelector(":scope > ul");
    if (toggle.getAttribute("aria-expanded") === "true") {
      if (nested) nested.remove();
      mark(toggle, false);
      return;
    }
    toggle.setAttribute("aria-busy", "true");
    fragment(toggle.dataset.branch)
      .then(function (list) {
        if (list) item.appendChild(list);
        mark(toggle, true);
      })
      .catch(function () { window.location.href = toggle.href; })
      .finally(function () { toggle.removeAttribute("aria-busy"); });
  }

  function more(link) {
    const item = link.closest("li");
    fragment(link.dataset.more)
      .then(function (list) {
        if (list) {
          Array.from(list.children).forEach(function (child) {
            item.parentNode.insertBefore(child, item);
          });
        }
        item.remove();
      })
      .catch(function () { window.location.href = link.href; });
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    const toggle = event.target.closest("a[data-branch]");
    if (toggle) {
      event.preventDefault();
      branch(toggle);
      return;
    }
    const next = event.target.closest("a[data-more]");
    if (next) {
      event.preventDefault();
      more(next);
    }
  });

  document.addEventListener("input", function (event) {
    const input = event.target;
    if (!input.dataset || !input.dataset.pickerValue || input.value.trim()) return;
    const hidden = document.getElementById(input.dataset.pickerValue);
    if (hidden) hidden.value = "";
  });

  const running = document.querySelector("[data-import-status]");
  if (running) {
    const bar = document.getElementById("import-progress");
    const line = document.getElementById("import-line");
    const tick = function () {
      fetch(running.dataset.importStatus, { credentials: "same-origin" })
        .then(function (answer) { return answer.json(); })
        .then(function (state) {
          if (state.finished) {
            window.location.reload();
            return;
          }
          const words = state.total ? running.dataset.textKnown : running.dataset.textUnknown;
          if (state.total) {
            bar.max = state.total;
            bar.value = state.done;
          }
          line.textContent = words.replace("{done}", state.done).replace("{total}", state.total);
          window.setTimeout(tick, 500);
        })
        .catch(function () { window.setTimeout(tick, 2000); });
    };
    window.setTimeout(tick, 300);
  }
})();
