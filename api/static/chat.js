// Small comforts on top of the plain forms (the pages work without this file).
(function () {
  "use strict";
  var form = document.getElementById("answer-form");
  var input = document.getElementById("answer");
  if (form && input) {
    // Enter on an empty box sends nothing (the server would ignore it too).
    form.addEventListener("submit", function (event) {
      if (!input.value.trim()) { event.preventDefault(); }
    });
    form.scrollIntoView({ block: "end" });
    if (document.getElementById("problem")) { input.focus(); input.select(); }
  }
  var print = document.getElementById("print-button");
  if (print) {
    print.addEventListener("click", function () { window.print(); });
  }
})();
