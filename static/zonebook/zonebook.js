// Small behaviours without inline scripts (CSP forbids them).
document.addEventListener("change", function (e) {
  if (e.target.classList && e.target.classList.contains("js-autosubmit")) { e.target.form.submit(); }
});
document.addEventListener("click", function (e) {
  var el = e.target.closest && e.target.closest("[data-confirm]");
  if (el && !window.confirm(el.getAttribute("data-confirm"))) { e.preventDefault(); }
});
// Fragments filled once after load (e.g. the navbar's unread-notification badge): <span data-fill-url="…">.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-fill-url]").forEach(function (el) {
    fetch(el.getAttribute("data-fill-url"), { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { el.innerHTML = html; })
      .catch(function () {});
  });
});
// Search picker beside a large <select> (core.widgets.PickerSelect): typing fetches the matching
// <option>s of the user's scope into the select; the box itself never submits or refreshes the
// filter form (its change/search/Enter events stop here), choosing an option does.
(function () {
  var timers = {};
  function fill(box) {
    var select = document.getElementById(box.getAttribute("data-picker-for"));
    if (!select) { return; }
    var url = box.getAttribute("data-picker-url") + "?term=" + encodeURIComponent(box.value);
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { select.innerHTML = html; } })
      .catch(function () {});
  }
  document.addEventListener("input", function (e) {
    var box = e.target;
    if (!(box.classList && box.classList.contains("js-picker-q"))) { return; }
    var key = box.getAttribute("data-picker-for");
    clearTimeout(timers[key]);
    timers[key] = setTimeout(function () { fill(box); }, 250);
  }, true);
  ["change", "search"].forEach(function (type) {
    document.addEventListener(type, function (e) {
      if (e.target.classList && e.target.classList.contains("js-picker-q")) { e.stopPropagation(); }
    }, true);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.classList && e.target.classList.contains("js-picker-q")) {
      e.preventDefault(); e.stopPropagation(); fill(e.target);
    }
  }, true);
})();
