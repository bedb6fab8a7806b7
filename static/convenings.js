// Calls, enhanced: the attendance form filters its people by city and name in place.
// Without this file every person shows, grouped by city, and the form posts the same.
// Filtering only hides rows: a ticked box out of view is still ticked, so it is still sent.
(() => {
  "use strict";

  function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
  }

  function setUp(fieldset) {
    const panel = fieldset.querySelector("[data-attendee-filter]");
    if (!panel) return;
    const city = panel.querySelector("[data-filter-city]");
    const search = panel.querySelector("[data-filter-search]");
    const onlyTicked = panel.querySelector("[data-filter-ticked]");
    const status = panel.querySelector("[data-filter-status]");
    const groups = Array.from(fieldset.querySelectorAll("[data-group]"));
    const boxes = () => fieldset.querySelectorAll("[data-group] input[type=checkbox]");

    function apply() {
      const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      let total = 0;
      groups.forEach((group) => {
        const cityMatches = !city.value || group.dataset.group === city.value;
        let shownHere = 0;
        group.querySelectorAll("li[data-name]").forEach((row) => {
          total += 1;
          const box = row.querySelector("input[type=checkbox]");
          const visible =
            cityMatches &&
            words.every((word) => row.dataset.name.includes(word)) &&
            (!onlyTicked.checked || box.checked);
          row.hidden = !visible;
          if (visible) shownHere += 1;
        });
        group.hidden = shownHere === 0;
        shown += shownHere;
      });
      count(shown, total);
    }

    // A box ticked or unticked stays in view until the filter changes.
    function count(shown, total) {
      if (shown === undefined) {
        const rows = Array.from(fieldset.querySelectorAll("li[data-name]"));
        total = rows.length;
        shown = rows.filter((row) => !row.hidden).length;
      }
      const ticked = Array.from(boxes()).filter((box) => box.checked).length;
      const hiddenTicked = Array.from(boxes()).filter(
        (box) => box.checked && box.closest("li").hidden,
      ).length;
      let text = `Showing ${shown} of ${plural(total, "person", "people")}; ${ticked} ticked`;
      if (hiddenTicked) text += ` (${hiddenTicked} out of view, still recorded)`;
      status.textContent = `${text}.`;
    }

    panel.hidden = false;
    city.addEventListener("change", apply);
    search.addEventListener("input", apply);
    onlyTicked.addEventListener("change", apply);
    fieldset.addEventListener("change", (event) => {
      if (event.target.closest("[data-group]")) count();
    });
    // Enter in the search box filters; it must not submit the record half-written.
    search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault();
    });
    apply();
  }

  function start() {
    document.querySelectorAll("[data-attendees]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
