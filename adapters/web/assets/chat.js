// The web chat. Answers arrive as server-sent events holding HTML that the
// server rendered from Markdown and sanitised; what the visitor types is
// only ever shown as text.
"use strict";
(function () {
  const log = document.getElementById("log");
  const form = document.getElementById("ask");
  const text = document.getElementById("text");
  const send = document.getElementById("send");
  const status = document.getElementById("status");

  function setStatus(msg) { status.textContent = msg; }
  function scroll() { window.scrollTo(0, document.body.scrollHeight); }

  function addMine(msg) {
    const li = document.createElement("li");
    li.className = "msg mine";
    const p = document.createElement("p");
    p.textContent = msg;
    li.appendChild(p);
    log.appendChild(li);
    scroll();
  }

  async function post(path, body) {
    const res = await fetch(path, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body), credentials: "same-origin",
    });
    let data = {};
    try { data = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok) throw new Error(data.error || ("HTTP " + res.status));
    return data;
  }

  function voteButtons(li, a) {
    const bar = document.createElement("div");
    bar.className = "votes";
    for (const [vote, label, name] of [[1, "👍", "up"], [-1, "👎", "down"]]) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "vote " + name;
      b.textContent = label;
      b.title = vote > 0 ? "This helped" : "This did not help";
      b.addEventListener("click", async () => {
        try {
          await post("/chat/feedback", { answer_id: a.id, vote: vote });
          for (const o of bar.querySelectorAll("button")) o.classList.remove("chosen");
          b.classList.add("chosen");
          li.dataset.vote = String(vote);
          setStatus(vote > 0 ? "Thanks for the 👍" : "Thanks: the admins will see what was missing.");
        } catch (e) {
          setStatus("Your vote was not stored: " + e.message);
        }
      });
      bar.appendChild(b);
    }
    li.appendChild(bar);
  }

  function fileLink(li, f) {
    const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([bytes], { type: f.content_type }));
    a.download = f.name;
    a.textContent = "Download " + f.name;
    a.className = "file";
    li.appendChild(a);
  }

  function showAnswer(a) {
    let li = document.getElementById("a-" + a.id);
    if (!li) {
      li = document.createElement("li");
      li.id = "a-" + a.id;
      log.appendChild(li);
    }
    li.className = "msg answer source-" + a.source + (a.draft ? " draft" : "") + (a.ephemeral ? " ephemeral" : "");
    li.dataset.source = a.source;
    li.dataset.id = a.id;
    // a.html is the server's sanitised rendering (no scripts, no handlers).
    li.innerHTML = '<div class="body"></div>';
    li.firstChild.innerHTML = a.html;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = a.source + (a.intent ? " · " + a.intent : "") + (a.draft ? " · writing…" : "");
    li.appendChild(meta);
    if (a.file) fileLink(li, a.file);
    if (a.votable) voteButtons(li, a);
    scroll();
  }

  const events = new EventSource("/chat/events");
  events.addEventListener("open", () => {
    text.disabled = false; send.disabled = false;
    setStatus("Connected. Ask me anything; !help lists my commands.");
    document.body.dataset.ready = "1";
  });
  events.addEventListener("error", () => { setStatus("Reconnecting…"); });
  events.addEventListener("answer", (ev) => { showAnswer(JSON.parse(ev.data)); });

  async function submit() {
    const msg = text.value;
    if (!msg.trim()) return;
    text.value = "";
    addMine(msg);
    try {
      await post("/chat/send", { text: msg });
    } catch (e) {
      setStatus("Not sent: " + e.message);
    }
  }
  form.addEventListener("submit", (ev) => { ev.preventDefault(); submit(); });
  text.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); submit(); }
  });
})();
