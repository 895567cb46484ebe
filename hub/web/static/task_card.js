// The task card's print forms: the "Print" button opens the browser's print dialogue (Ctrl+P
// does the same without this script).
"use strict";
(function () {
  document.addEventListener("click", function (event) {
    const button = event.target.closest ? event.target.closest("[data-print]") : null;
    if (button) window.print();
  });
})();
