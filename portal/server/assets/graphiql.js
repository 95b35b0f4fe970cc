// A small GraphiQL-style console for the portal's /graphql. It talks only
// to this origin: the session cookie is HttpOnly; the CSRF token comes from
// /auth/session and goes in X-CSRF-Token on every POST.
"use strict";
let csrf = "";
const $ = (id) => document.getElementById(id);

async function refreshSession() {
  const r = await fetch("/auth/session", { credentials: "same-origin" });
  if (r.ok) {
    const s = await r.json();
    csrf = s.csrfToken || "";
    $("who").textContent = "signed in as " + s.account;
    $("login").hidden = true; $("logout").hidden = false;
  } else {
    csrf = ""; $("who").textContent = "not signed in";
    $("login").hidden = false; $("logout").hidden = true;
  }
}

async function run() {
  let variables = {};
  try { variables = JSON.parse($("variables").value || "{}"); } catch (e) { $("result").textContent = "variables: " + e; return; }
  const r = await fetch("/graphql", {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "Accept": "application/graphql-response+json", "X-CSRF-Token": csrf },
    body: JSON.stringify({ query: $("query").value, variables }),
  });
  const text = await r.text();
  try { $("result").textContent = r.status + "\n" + JSON.stringify(JSON.parse(text), null, 2); }
  catch (e) { $("result").textContent = r.status + "\n" + text; }
}

document.addEventListener("DOMContentLoaded", () => {
  $("run").addEventListener("click", run);
  $("query").addEventListener("keydown", (e) => { if (e.ctrlKey && e.key === "Enter") run(); });
  $("login").addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await fetch("/auth/login", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ account: $("account").value, password: $("password").value }) });
    $("password").value = "";
    if (!r.ok) { $("who").textContent = "sign-in failed"; return; }
    await refreshSession();
  });
  $("logout").addEventListener("click", async () => {
    await fetch("/auth/logout", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } });
    await refreshSession();
  });
  refreshSession();
});
