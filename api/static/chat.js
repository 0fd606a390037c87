// Small comforts on top of the plain forms (the page works without this file):
// keep the newest reply and the answer box in view after each turn.
(function () {
  "use strict";
  var form = document.getElementById("answer-form");
  if (form) {
    form.scrollIntoView({ block: "end" });
    var problem = document.getElementById("problem");
    var input = document.getElementById("answer");
    if (problem && input) { input.focus(); input.select(); }
  }
})();
