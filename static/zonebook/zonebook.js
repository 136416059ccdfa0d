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
