// passkey.js: the browser's side of Roost's passkeys (WebAuthn). A button with
// data-passkey="register" adds a passkey; data-passkey="login" signs in with one (after the
// password). Each asks the server for options, lets the browser talk to the authenticator, and
// posts the answer back as a form field with the page's CSRF token (data-csrf) or next page
// (data-next). Errors are shown in the element data-status names.
"use strict";

const b64url = {
  decode(s) {
    const pad = "=".repeat((4 - (s.length % 4)) % 4);
    const bin = atob((s + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
  },
  encode(buf) {
    let bin = "";
    for (const b of new Uint8Array(buf)) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
};

async function post(url, fields) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
    credentials: "same-origin",
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `the server answered ${res.status}`);
  return body;
}

function credentialJSON(cred) {
  const r = cred.response;
  const out = { id: cred.id, rawId: b64url.encode(cred.rawId), type: cred.type, response: {} };
  out.response.clientDataJSON = b64url.encode(r.clientDataJSON);
  if (r.attestationObject) out.response.attestationObject = b64url.encode(r.attestationObject);
  if (r.authenticatorData) out.response.authenticatorData = b64url.encode(r.authenticatorData);
  if (r.signature) out.response.signature = b64url.encode(r.signature);
  if (r.userHandle) out.response.userHandle = b64url.encode(r.userHandle);
  if (r.getTransports) out.response.transports = r.getTransports();
  out.clientExtensionResults = cred.getClientExtensionResults ? cred.getClientExtensionResults() : {};
  return JSON.stringify(out);
}

async function register(button) {
  const csrf = button.dataset.csrf;
  const { publicKey } = await post("/settings/security/passkey/begin", { csrf });
  publicKey.challenge = b64url.decode(publicKey.challenge);
  publicKey.user.id = b64url.decode(publicKey.user.id);
  for (const c of publicKey.excludeCredentials || []) c.id = b64url.decode(c.id);
  const cred = await navigator.credentials.create({ publicKey });
  await post("/settings/security/passkey/finish", { csrf, credential: credentialJSON(cred) });
  location.reload();
}

async function login(button) {
  const { publicKey } = await post("/login/passkey/begin", {});
  publicKey.challenge = b64url.decode(publicKey.challenge);
  for (const c of publicKey.allowCredentials || []) c.id = b64url.decode(c.id);
  const cred = await navigator.credentials.get({ publicKey });
  const done = await post("/login/passkey/finish", { next: button.dataset.next, credential: credentialJSON(cred) });
  location.assign(done.next);
}

for (const button of document.querySelectorAll("[data-passkey]")) {
  button.hidden = !window.PublicKeyCredential;
  button.addEventListener("click", async () => {
    const status = document.getElementById(button.dataset.status);
    button.disabled = true;
    try {
      await (button.dataset.passkey === "register" ? register(button) : login(button));
    } catch (e) {
      if (status) status.textContent = `The passkey did not work: ${e.message}`;
    } finally {
      button.disabled = false;
    }
  });
}
