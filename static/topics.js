// Topics, enhanced: votes update in place, and similar topics show while a title is typed.
// Without this file every form still posts and the page reloads.
(() => {
  "use strict";

  function setVoteState(form, supported) {
    form.querySelector("input[name=support]").value = supported ? "no" : "yes";
    const button = form.querySelector("button[type=submit]");
    button.querySelector(".vote-label").textContent = supported ? "Withdraw support" : "Support";
    button.classList.toggle("secondary", supported);
    const state = form.querySelector(".vote-state");
    if (state) state.textContent = supported ? "You support this topic." : "";
  }

  function showSupport(topicId, support) {
    document.querySelectorAll(`[data-support-for="${topicId}"]`).forEach((line) => {
      const meter = line.querySelector("meter");
      if (meter) {
        if (support.organisations > Number(meter.max)) meter.max = support.organisations;
        meter.value = support.organisations;
        meter.textContent = String(support.organisations);
      }
      const label = line.querySelector(".support-label");
      if (label) label.textContent = support.label;
    });
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.vote-form");
    if (!form || event.defaultPrevented) return;
    event.preventDefault();
    // A double click sends one request. The button stays enabled (aria-disabled, not
    // disabled) so that a keyboard user's focus stays on it while the vote is sent.
    if (form.dataset.busy) return;
    form.dataset.busy = "yes";
    const button = form.querySelector("button[type=submit]");
    const message = form.querySelector(".vote-message");
    button.setAttribute("aria-disabled", "true");
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const type = response.headers.get("Content-Type") || "";
      if (!type.includes("application/json")) {
        form.submit();  // an expired session or form: let the server answer with a page
        return;
      }
      const data = await response.json();
      setVoteState(form, data.supported);
      showSupport(data.topic_id, data.support);
      document.querySelectorAll("[data-votes-used]").forEach((el) => {
        el.textContent = String(data.used);
      });
      if (message) {
        message.textContent = data.message;
        message.classList.toggle("is-error", !data.ok);
      }
    } catch (error) {
      form.submit();
    } finally {
      delete form.dataset.busy;
      button.removeAttribute("aria-disabled");
    }
  });

  const title = document.querySelector("input[data-similar-url]");
  const live = document.getElementById("similar-live");
  if (!title || !live) return;
  let timer = null;
  let latest = 0;

  function render(matches) {
    live.replaceChildren();
    if (!matches.length) return;
    const intro = document.createElement("p");
    intro.textContent = "Similar topics exist. Support one of them instead?";
    const list = document.createElement("ul");
    matches.forEach((match) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = match.url;
      link.textContent = match.title;
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = match.status;
      item.append(link, " ", badge);
      list.append(item);
    });
    live.append(intro, list);
  }

  async function lookUp() {
    const text = title.value.trim();
    const ticket = ++latest;
    if (text.length < 3) { render([]); return; }
    const url = new URL(title.dataset.similarUrl, window.location.href);
    url.searchParams.set("title", text);
    if (title.dataset.exclude) url.searchParams.set("exclude", title.dataset.exclude);
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const data = await response.json();
      if (ticket === latest) render(data.matches);
    } catch (error) {
      // suggestions are a nicety: the server checks again on submit
    }
  }

  title.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(lookUp, 250);
  });
})();
