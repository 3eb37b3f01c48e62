// Problem workspace: CodeMirror editor, per-language drafts (localStorage), Run/Submit with
// live polling of the result fragment, submission history and the mentor panel.
(function () {
  "use strict";
  const root = document.getElementById("workspace");
  if (!root) return;
  const slug = root.dataset.slug;
  const authenticated = root.dataset.authenticated === "1";
  const starters = JSON.parse(document.getElementById("starter-codes").textContent);
  const select = document.getElementById("language-select");
  const resultBox = document.getElementById("result");
  const POLL_MS = 500;
  let language = root.dataset.language;

  function csrfToken() {
    // The page carries the token (works even with CSRF_COOKIE_HTTPONLY); the cookie is the fallback.
    if (root.dataset.csrf) return root.dataset.csrf;
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  const draftKey = (lang) => `codementor:draft:${slug}:${lang}`;
  function loadDraft(lang) {
    try { return localStorage.getItem(draftKey(lang)); } catch (e) { return null; }
  }
  function saveDraft(lang, text) {
    try {
      if (text === starters[lang]) localStorage.removeItem(draftKey(lang));
      else localStorage.setItem(draftKey(lang), text);
    } catch (e) { /* private mode or full storage: drafts are a convenience */ }
  }

  // --- editor (CodeMirror; the plain textarea stays if the bundle failed to load) --------
  const host = document.getElementById("editor");
  const fallback = document.getElementById("code-fallback");
  let editor;
  const initial = loadDraft(language) ?? starters[language];
  if (window.CodeMentorEditor) {
    host.innerHTML = "";
    editor = window.CodeMentorEditor.create({
      parent: host, doc: initial, language,
      onRun: () => send("run"), onSubmit: () => send("submit"),
      onChange: (text) => saveDraft(language, text),
    });
  } else {
    fallback.value = initial;
    fallback.addEventListener("input", () => saveDraft(language, fallback.value));
    editor = { getValue: () => fallback.value, setValue: (t) => { fallback.value = t; }, setLanguage() {}, focus: () => fallback.focus() };
  }
  window.cmEditor = editor;  // test hook and console convenience

  select.addEventListener("change", () => {
    saveDraft(language, editor.getValue());
    language = select.value;
    editor.setLanguage(language);
    editor.setValue(loadDraft(language) ?? starters[language]);
    const url = new URL(window.location.href);
    url.searchParams.set("lang", language);
    history.replaceState(null, "", url);
  });
  document.getElementById("reset-code").addEventListener("click", () => {
    if (editor.getValue() !== starters[language] && !window.confirm("Replace your code with the starter code?")) return;
    editor.setValue(starters[language]);
    saveDraft(language, starters[language]);
    editor.focus();
  });

  if (!authenticated) return;

  // --- Run / Submit -----------------------------------------------------------------------
  const runButton = document.getElementById("run-button");
  const submitButton = document.getElementById("submit-button");
  const useCustom = document.getElementById("use-custom");
  const customBox = document.getElementById("custom-box");
  const customInput = document.getElementById("custom-stdin");
  useCustom.addEventListener("change", () => { customBox.hidden = !useCustom.checked; if (useCustom.checked) customInput.focus(); });
  let busy = false;

  function setBusy(value) {
    busy = value;
    runButton.disabled = value;
    submitButton.disabled = value;
  }
  function showError(text) {
    resultBox.innerHTML = "";
    const p = document.createElement("p");
    p.className = "notice error";
    p.id = "submit-error";
    p.textContent = text;
    resultBox.appendChild(p);
  }

  async function send(mode) {
    if (busy) return;
    setBusy(true);
    resultBox.innerHTML = '<div class="summary"><span class="spinner" aria-hidden="true"></span> <span class="verdict" id="verdict">Sending…</span></div>';
    const body = new FormData();
    body.set("problem", slug);
    body.set("language", language);
    body.set("code", editor.getValue());
    body.set("mode", mode);
    if (mode === "run" && useCustom.checked) { body.set("use_custom", "1"); body.set("stdin", customInput.value); }
    try {
      const response = await fetch(root.dataset.submitUrl, {
        method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        const errors = data.errors ? Object.values(data.errors).flat() : [];
        showError(errors.join(" ") || `The server answered ${response.status}. Please try again.`);
        setBusy(false);
        return;
      }
      const final = await poll(data.result_url);
      if (final && mode === "submit" && final.verdict === "accepted") markSolved();
    } catch (e) {
      showError("Could not reach the server. Check your connection and try again.");
    }
    setBusy(false);
    refreshHistory();
  }

  async function poll(url) {
    // ~500 ms polling: results land in one write when judging finishes, usually within a second or two.
    for (let attempt = 0; attempt < 600; attempt++) {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) {
        const data = await response.json();
        resultBox.innerHTML = data.html;
        if (data.finished) return data;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    showError("Judging is taking unusually long. The result will appear in your submission history.");
    return null;
  }
  function markSolved() {
    const title = document.getElementById("problem-title");
    const badge = title.querySelector(".badge") || title.appendChild(document.createElement("span"));
    badge.className = "badge solved";
    badge.textContent = "Solved";
  }
  runButton.addEventListener("click", () => send("run"));
  submitButton.addEventListener("click", () => send("submit"));
  document.addEventListener("keydown", (event) => {
    // Outside the editor too (the editor's own keymap handles it inside).
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.defaultPrevented
        && !event.target.closest(".cm-editor") && !event.target.closest("#mentor-form")) {
      event.preventDefault();
      send(event.shiftKey ? "submit" : "run");
    }
  });

  // --- history ---------------------------------------------------------------------------
  const historyBox = document.getElementById("history");
  async function refreshHistory() {
    try {
      const response = await fetch(root.dataset.historyUrl, { credentials: "same-origin" });
      if (response.ok) historyBox.innerHTML = await response.text();
    } catch (e) { /* the next refresh will try again */ }
  }
  refreshHistory();

  // --- mentor ----------------------------------------------------------------------------
  const log = document.getElementById("mentor-log");
  const form = document.getElementById("mentor-form");
  const text = document.getElementById("mentor-text");
  const status = document.getElementById("mentor-status");
  const sendButton = document.getElementById("mentor-send");
  let conversation = "";

  async function loadPanel() {
    try {
      const response = await fetch(root.dataset.mentorPanelUrl, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      log.innerHTML = await response.text();
      const holder = document.getElementById("mentor-conversation");
      conversation = holder ? holder.dataset.conversation : "";
      log.scrollTop = log.scrollHeight;
    } catch (e) {
      log.innerHTML = '<p class="notice error">The mentor could not be loaded. Reload the page to try again.</p>';
    }
  }
  loadPanel();

  async function ask() {
    const question = text.value.trim();
    if (!question) { status.textContent = "Type a question first."; text.focus(); return; }
    sendButton.disabled = true;
    status.innerHTML = '<span class="spinner" aria-hidden="true"></span> The mentor is thinking…';
    const body = new FormData();
    body.set("text", question);
    body.set("code", editor.getValue());
    body.set("language", language);
    if (conversation) body.set("conversation", conversation);
    try {
      const response = await fetch(root.dataset.mentorAskUrl, {
        method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
      });
      const data = await response.json().catch(() => ({}));
      if (response.ok) {
        const holder = document.getElementById("mentor-conversation");
        const empty = document.getElementById("mentor-empty");
        if (empty) empty.remove();
        holder.insertAdjacentHTML("beforeend", data.html);
        conversation = String(data.conversation);
        holder.dataset.conversation = conversation;
        text.value = "";
        status.textContent = "";
        log.scrollTop = log.scrollHeight;
      } else if (response.status === 429) {
        status.innerHTML = "";
        const note = document.createElement("span");
        note.className = "notice";
        note.id = "mentor-quota";
        note.textContent = (data.error || "The mentor needs a short break.") + " Your question is still in the box.";
        status.appendChild(note);
      } else {
        status.textContent = data.error || `The mentor could not answer (${response.status}). Please try again.`;
      }
    } catch (e) {
      status.textContent = "Could not reach the server. Check your connection and try again.";
    }
    sendButton.disabled = false;
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); ask(); });
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); ask(); }
  });
})();
