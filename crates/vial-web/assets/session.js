// Vial session guard: warns before the idle timeout and, when the session ends (idle timeout,
// sign-out elsewhere, an admin revoking the device), removes the page's content — PHI must not
// stay on an unattended screen — and goes to the sign-in page. Loaded as a file: the CSP allows
// no inline script.
(() => {
  "use strict";
  const body = document.body;
  const idleMs = Number(body.dataset.idleMs || 0);
  if (!idleMs) return;
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const warning = document.getElementById("idle-warning");
  const countdown = document.getElementById("idle-countdown");
  const stay = document.getElementById("stay-signed-in");
  const warnMs = Math.min(60000, idleMs / 4);
  const CHECK_EVERY_MS = 30000;
  let deadline = Date.now() + idleMs;
  let ended = false;

  function signedOut() {
    if (ended) return;
    ended = true;
    // First take the PHI off the screen, then leave.
    const main = document.getElementById("content");
    if (main) main.replaceChildren();
    document.title = "Signed out — Vial";
    warning.hidden = true;
    document.getElementById("signed-out").hidden = false;
    location.replace("/login?expired=1");
  }

  async function check() {
    if (ended) return;
    try {
      const response = await fetch("/session/status", { cache: "no-store", credentials: "same-origin" });
      if (response.status === 401) return signedOut();
      if (response.ok) {
        const { remaining_ms } = await response.json();
        deadline = Date.now() + remaining_ms;
      }
    } catch (_) {
      // Offline: the local deadline still applies.
    }
  }

  async function tick() {
    const left = deadline - Date.now();
    if (left <= 0) {
      // Another tab may have kept the session alive; ask before ending this page.
      await check();
      if (deadline - Date.now() <= 0) signedOut();
      return;
    }
    warning.hidden = left > warnMs;
    countdown.textContent = String(Math.ceil(left / 1000));
  }

  stay.addEventListener("click", async () => {
    try {
      await fetch("/session/ping", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: csrf }),
      });
    } catch (_) { /* the status check below decides */ }
    await check();
    tick();
  });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) check(); });
  window.addEventListener("focus", check);
  window.addEventListener("pageshow", check);
  setInterval(tick, 1000);
  setInterval(check, CHECK_EVERY_MS);
})();
