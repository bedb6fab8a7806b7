// Progressive enhancement only: every page works without this file. Loaded in <head>, not
// deferred: the class below lets the stylesheet collapse the phone menu before first paint.
document.documentElement.classList.add("js");

document.addEventListener("submit", (event) => {
  const button = event.submitter;
  if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const target = document.getElementById(button.dataset.copy);
  if (!target) return;
  navigator.clipboard.writeText(target.value || target.textContent).then(() => {
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  });
});

// The skip link moves the focus to the main content without adding #main to the address,
// which a form posting back to this page would otherwise carry to the next one.
document.addEventListener("click", (event) => {
  const link = event.target.closest(".skip-link");
  const target = link && document.getElementById(link.hash.slice(1));
  if (!target) return;
  event.preventDefault();
  target.focus();
});

// The phone menu: the button opens and closes it; Escape closes it and returns to the button.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest(".menu-toggle");
  if (!toggle) return;
  const menu = document.getElementById(toggle.getAttribute("aria-controls"));
  const open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", String(open));
  menu.classList.toggle("is-open", open);
});

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const toggle = document.querySelector('.menu-toggle[aria-expanded="true"]');
  const menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (!menu || !(menu.contains(document.activeElement) || toggle === document.activeElement)) {
    return;
  }
  toggle.setAttribute("aria-expanded", "false");
  menu.classList.remove("is-open");
  toggle.focus();
});

// A link in an error summary moves to its field (a plain #fragment only scrolls there).
document.addEventListener("click", (event) => {
  const link = event.target.closest(".error-summary a[href^='#']");
  if (!link) return;
  const target = document.getElementById(link.hash.slice(1));
  if (!target) return;
  const field = target.matches("input, select, textarea, button")
    ? target
    : target.querySelector("input, select, textarea, button");
  if (!field) return;
  event.preventDefault();
  const label = field.labels && field.labels[0];
  (field.closest("fieldset") || label || field).scrollIntoView();
  field.focus({ preventScroll: true });
});

document.addEventListener("DOMContentLoaded", () => {
  tieErrorsToFields();
  summariseErrors();
  labelScrollingTables();
});

// Errors a template wrote by hand next to its input get what the forms macro gives: an id,
// the input's aria-describedby pointing at it, and aria-invalid.
function tieErrorsToFields() {
  document.querySelectorAll(".has-error").forEach((group, n) => {
    const errors = [...group.querySelectorAll(".error")];
    const input = group.matches("fieldset")
      ? group
      : group.querySelector("input:not([type=hidden]), select, textarea");
    if (!errors.length || !input) return;
    const ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    errors.forEach((error, i) => {
      if (!error.id) error.id = `error-${n + 1}-${i + 1}`;
      if (!ids.includes(error.id)) ids.push(error.id);
    });
    input.setAttribute("aria-describedby", ids.join(" "));
    if (!group.matches("fieldset")) input.setAttribute("aria-invalid", "true");
  });
}

// After a failed submit the summary at the top takes the focus, so it is read first. A page
// whose template has no summary gets one, built from the fields in error.
function summariseErrors() {
  let summary = document.querySelector(".error-summary");
  const groups = [...document.querySelectorAll(".field.has-error")];
  if (!summary && groups.length) {
    summary = document.createElement("div");
    summary.className = "error-summary";
    summary.setAttribute("aria-labelledby", "error-summary-title");
    const title = document.createElement("h2");
    title.id = "error-summary-title";
    title.textContent = "Nothing was saved";
    const list = document.createElement("ul");
    for (const group of groups) {
      const input = group.querySelector("input:not([type=hidden]), select, textarea");
      const label = group.querySelector("legend, label");
      for (const error of group.querySelectorAll(".error")) {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = input && input.id ? `#${input.id}` : `#${error.id}`;
        const name = label ? label.textContent.trim() : "";
        link.textContent = name ? `${name}: ${error.textContent.trim()}` : error.textContent.trim();
        item.append(link);
        list.append(item);
      }
    }
    summary.append(title, list);
    const form = groups[0].closest("form");
    (form || groups[0]).before(summary);
  }
  if (!summary) return;
  summary.tabIndex = -1;
  summary.focus();
}

// A table in a box that scrolls sideways takes a tab stop, so the keyboard can scroll it too
// (at any width: whether it overflows changes as the window does), named by its caption or the
// heading before it.
function labelScrollingTables() {
  for (const box of document.querySelectorAll(".table-scroll:not([tabindex])")) {
    box.tabIndex = 0;
    if (!box.hasAttribute("role")) box.setAttribute("role", "region");
    if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
      box.setAttribute("aria-label", tableName(box));
    }
  }
}

function tableName(box) {
  const caption = box.querySelector("caption");
  if (caption) return caption.textContent.trim();
  for (let node = box.previousElementSibling; node; node = node.previousElementSibling) {
    if (/^H[1-6]$/.test(node.tagName)) return node.textContent.trim();
  }
  const heading = box.closest("section")?.querySelector("h1, h2, h3");
  return heading ? heading.textContent.trim() : "Table";
}
