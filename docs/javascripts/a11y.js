// Keyboard users must be able to scroll what scrolls: a code cell or an output wider than the
// column gets a tab stop (axe-core's scrollable-region-focusable). The theme's search dialog
// gets a name (aria-dialog-name).
function kfuncFocusableScrollers() {
  document.querySelectorAll(".jupyter-wrapper pre, .jupyter-wrapper .jp-OutputArea-output, "
                            + ".jupyter-wrapper .highlight-ipynb, .md-typeset pre > code")
    .forEach((el) => {
      if (el.scrollWidth > el.clientWidth + 1) {
        el.setAttribute("tabindex", "0");
      } else if (el.getAttribute("tabindex") === "0") {
        el.removeAttribute("tabindex");
      }
    });
  const search = document.querySelector(".md-search");
  if (search && !search.hasAttribute("aria-label")) {
    search.setAttribute("aria-label", "Search");
  }
}
window.addEventListener("load", kfuncFocusableScrollers);
window.addEventListener("resize", kfuncFocusableScrollers);
