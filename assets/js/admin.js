// Progressive enhancement for the staff pages. Without this file everything still works.
"use strict";
(function () {
  // "Select all on this page" for the bulk actions: shown only when this script runs.
  var all = document.querySelector("[data-testid=select-all]");
  if (!all) return;
  var boxes = function () { return document.querySelectorAll("input[type=checkbox][name=ids]"); };
  all.hidden = false;
  all.addEventListener("change", function () {
    Array.prototype.forEach.call(boxes(), function (box) { box.checked = all.checked; });
  });
  Array.prototype.forEach.call(boxes(), function (box) {
    box.addEventListener("change", function () {
      var list = boxes(), checked = 0;
      Array.prototype.forEach.call(list, function (b) { if (b.checked) checked++; });
      all.checked = checked === list.length;
      all.indeterminate = checked > 0 && checked < list.length;
    });
  });
})();

(function () {
  // Keyboard shortcuts: a link marked data-shortcut="j" is followed on "j" (unless typing in a field).
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var link = document.querySelector("a[data-shortcut=\"" + event.key + "\"]");
    if (link) { event.preventDefault(); link.click(); }
  });
})();
