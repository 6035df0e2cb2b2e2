// Progressive enhancement only: the report reads fine without scripts.
(function () {
  "use strict";
  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }
  function say(button, text) {
    button.textContent = text;
    window.setTimeout(function () { button.textContent = "Copy"; }, 1600);
  }
  function copy(button, text) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { say(button, "Copied"); },
        function () { say(button, fallbackCopy(text) ? "Copied" : "Select and copy"); }
      );
    } else {
      say(button, fallbackCopy(text) ? "Copied" : "Select and copy");
    }
  }
  var blocks = document.querySelectorAll(".curl");
  for (var i = 0; i < blocks.length; i++) {
    var code = blocks[i].querySelector("code");
    if (!code) { continue; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy the curl command");
    button.addEventListener("click", (function (source, target) {
      return function () { copy(target, source.textContent); };
    })(code, button));
    blocks[i].appendChild(button);
  }
  document.body.setAttribute("data-enhanced", String(blocks.length));
})();
