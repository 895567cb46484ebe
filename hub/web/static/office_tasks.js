// The tasks section's conveniences over plain links and forms (everything works without them):
//   the month and week calendars: drag a task (its chip) with the mouse, a pen or a finger to
//     another day to move its period (TSK-13); the page posts the same form the day's list
//     offers to the keyboard ("move to the date"), and the server checks rights and
//     dependencies. The new start is the old one moved by as many days as the chip was carried.
//   the registry: a box choosing every row of the page; a row's Delete confirmed in the page;
//     Ctrl+S goes to the group status change, Ctrl+D to assigning executors (the manual's keys).
"use strict";
(function () {
  const DAY = 86400000;

  function shifted(start, from, to) {
    const days = Math.round((Date.parse(to + "T00:00:00Z") - Date.parse(from + "T00:00:00Z")) / DAY);
    return new Date(Date.parse(start + "T00:00:00Z") + days * DAY).toISOString().slice(0, 10);
  }

  function calendar(grid, mover) {
    let drag = null;
    let swallow = false;

    function dayAt(x, y) {
      const hit = document.elementFromPoint(x, y);
      return hit && hit.closest ? hit.closest("td[data-day]") : null;
    }

    function over(cell) {
      if (drag.over === cell) return;
      if (drag.over) drag.over.classList.remove("tsk-drop");
      drag.over = cell;
      if (cell) cell.classList.add("tsk-drop");
    }

    function stop() {
      const done = drag;
      drag = null;
      if (!done) return null;
      done.chip.classList.remove("tsk-dragging");
      document.body.classList.remove("tsk-dragging-on");
      if (done.over) done.over.classList.remove("tsk-drop");
      return done;
    }

    function chipOf(event) {
      return event.target.closest ? event.target.closest("[data-move]") : null;
    }

    // A chip is a link: the browser's own dragging of links and selecting text stay out of it.
    grid.addEventListener("dragstart", function (event) {
      if (chipOf(event)) event.preventDefault();
    });
    grid.addEventListener("mousedown", function (event) {
      if (chipOf(event) && event.button === 0) event.preventDefault();
    });
    grid.addEventListener("pointerdown", function (event) {
      const chip = chipOf(event);
      if (!chip || event.button !== 0) return;
      drag = {
        chip: chip,
        from: chip.closest("td[data-day]"),
        x: event.clientX,
        y: event.clientY,
        moving: false,
        over: null,
      };
    });
    document.addEventListener("pointermove", function (event) {
      if (!drag) return;
      if (!drag.moving) {
        if (Math.abs(event.clientX - drag.x) + Math.abs(event.clientY - drag.y) < 6) return;
        drag.moving = true;
        drag.chip.classList.add("tsk-dragging");
        document.body.classList.add("tsk-dragging-on");
      }
      event.preventDefault();
      over(dayAt(event.clientX, event.clientY));
    });
    document.addEventListener("pointerup", function (event) {
      const done = stop();
      if (!done || !done.moving) return; // a plain click: the link opens the task
      swallow = true; // the click that ends a drag opens nothing
      window.setTimeout(function () { swallow = false; }, 0);
      const cell = dayAt(event.clientX, event.clientY);
      if (!cell || !done.from || cell === done.from) return;
      mover.elements.namedItem("task_id").value = done.chip.dataset.move;
      mover.elements.namedItem("day").value =
        shifted(done.chip.dataset.start, done.from.dataset.day, cell.dataset.day);
      mover.submit();
    });
    document.addEventListener("pointercancel", stop);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && drag) stop();
    });
    grid.addEventListener("click", function (event) {
      if (swallow) {
        event.preventDefault();
        event.stopPropagation();
        swallow = false;
      }
    }, true);
  }

  function registry() {
    // A row's Delete asks in the page (office.js: data-confirm); without a script the server
    // asks on a page of its own, as the form then comes unconfirmed.
    document.querySelectorAll("form[data-confirm] input[data-confirmed]").forEach(function (box) {
      box.value = "1";
    });
    const head = document.querySelector("th[data-choose-all]");
    if (head) {
      const all = document.createElement("input");
      all.type = "checkbox";
      all.id = "choose-all";
      all.setAttribute("aria-label", head.dataset.label || "");
      head.appendChild(all);
      all.addEventListener("change", function () {
        document.querySelectorAll("input[name='ids'][form='chosen']").forEach(function (box) {
          box.checked = all.checked;
        });
      });
    }
    document.addEventListener("keydown", function (event) {
      if (!event.ctrlKey || event.altKey || event.metaKey) return;
      const key = event.key.toLowerCase();
      const field = document.getElementById(key === "s" ? "g-status" : key === "d" ? "g-people" : "");
      if (!field) return;
      event.preventDefault();
      field.scrollIntoView({ block: "center" });
      field.focus();
    });
  }

  const grid = document.querySelector("[data-calendar]");
  const mover = document.getElementById("move-form");
  if (grid && mover) calendar(grid, mover);
  registry();
})();
