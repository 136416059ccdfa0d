// Small behaviours without inline scripts (CSP forbids them).
document.addEventListener("change", function (e) {
  if (e.target.classList && e.target.classList.contains("js-autosubmit")) { e.target.form.submit(); }
});
document.addEventListener("click", function (e) {
  var el = e.target.closest && e.target.closest("[data-confirm]");
  if (el && !window.confirm(el.getAttribute("data-confirm"))) { e.preventDefault(); }
});
