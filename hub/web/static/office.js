// The back-office's keys, as the manual gives them, wherever the page has focus:
//   Ins    create (the page's [data-key="create"] link or button)
//   Enter  open the focused row of a registry (its [data-href])
//   Del    delete the focused row (its [data-key="delete"] form), after a confirmation
//   F3     open the picker of the focused reference field ([data-picker])
//   Ctrl+B make a task from the focused event ([data-key="task"] in its row or on its card)
//   F5     copy the focused row's record ([data-key="copy"] in the row; the tasks registry)
//   Ctrl+F5 multiply it over chosen clients ([data-key="multiply"] in the row)
//          Without a focused row that has them, F5 and Ctrl+F5 reload the page as usual.
// Up and Down move between the rows of a registry. Everything also works with the mouse, and
// every action is an ordinary link or form: the server checks rights whatever the page shows.
"use strict";
(function () {
  function typing(target) {
    const tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function row(target) {
    return target.closest ? target.closest("tr[data-href], [data-row]") : null;
  }

  function press(element) {
    if (!element) return false;
    if (element.tagName === "FORM") {
      if (element.requestSubmit) element.requestSubmit(); else element.submit();
    } else {
      element.click();
    }
    return true;
  }

  // A form with data-confirm asks before it is sent, whether by the key or the button.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.hasAttribute("data-confirm") && !form.dataset.confirmed) {
      event.preventDefault();
      if (window.confirm(form.getAttribute("data-confirm"))) {
        form.dataset.confirmed = "1";
        form.submit();
      }
    }
  });

  function move(current, step) {
    const rows = Array.from(document.querySelectorAll("tr[data-href], [data-row]"));
    const index = rows.indexOf(current);
    const next = rows[index + step];
    if (next) next.focus();
  }

  function openPicker(input) {
    const dialog = document.getElementById("picker");
    if (!dialog || !input.dataset.picker) return;
    const url = new URL(input.dataset.picker, window.location.href);
    url.searchParams.set("q", input.value);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (answer) { return answer.ok ? answer.text() : ""; })
      .then(function (html) {
        dialog.querySelector("[data-picker-body]").innerHTML = html;
        dialog.dataset.target = input.id;
        dialog.showModal();
        const first = dialog.querySelector("[data-pick]");
        if (first) first.focus();
      });
  }

  document.addEventListener("click", function (event) {
    const choice = event.target.closest ? event.target.closest("[data-pick]") : null;
    if (!choice) return;
    const dialog = choice.closest("dialog");
    const input = document.getElementById(dialog.dataset.target);
    const hidden = document.getElementById(input.dataset.pickerValue || "");
    input.value = choice.dataset.label || choice.textContent.trim();
    if (hidden) hidden.value = choice.dataset.pick;
    dialog.close();
    input.focus();
  });

  document.addEventListener("keydown", function (event) {
    const target = event.target;
    const focusedRow = row(target);
    if (event.key === "F3") {
      if (target.dataset && target.dataset.picker) {
        event.preventDefault();
        openPicker(target);
      }
      return;
    }
    if (event.key === "F5" && focusedRow === target && !event.altKey && !event.metaKey) {
      const action = focusedRow.querySelector(event.ctrlKey ? "[data-key='multiply']" : "[data-key='copy']");
      if (press(action)) event.preventDefault();
      return;
    }
    if (event.ctrlKey && (event.key === "b" || event.key === "B")) {
      const scope = focusedRow || document;
      if (press(scope.querySelector("[data-key='task']"))) event.preventDefault();
      return;
    }
    if (typing(target) || event.ctrlKey || event.altKey || event.metaKey) return;
    if (event.key === "Insert") {
      if (press(document.querySelector("[data-key='create']"))) event.preventDefault();
    } else if (event.key === "Enter" && focusedRow && focusedRow === target) {
      event.preventDefault();
      window.location.href = focusedRow.dataset.href;
    } else if (event.key === "Delete" && focusedRow) {
      const form = focusedRow.querySelector("form[data-key='delete']");
      if (form) {
        event.preventDefault();
        press(form); // its data-confirm asks first (the submit listener above)
      }
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && focusedRow) {
      event.preventDefault();
      move(focusedRow, event.key === "ArrowDown" ? 1 : -1);
    }
  });

  // The error summary takes the focus, so a screen reader reads it first.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
