// Passkeys: the browser's side of adding one (the security page) and of signing in with one (the
// second step of signing in). It handles the forms marked data-passkey, which stay hidden where
// there is no JavaScript or no WebAuthn; everything else on those pages works without it.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  const toB64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const fromB64 = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)).buffer;

  // The authenticator's answer as the server reads it (WebAuthn's JSON encoding).
  function answer(cred) {
    const r = cred.response;
    const out = { id: cred.id, rawId: toB64(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults(), response: { clientDataJSON: toB64(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = toB64(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = toB64(r.authenticatorData);
      out.response.signature = toB64(r.signature);
      if (r.userHandle) out.response.userHandle = toB64(r.userHandle);
    }
    return JSON.stringify(out);
  }

  async function post(url, fields) {
    const res = await fetch(url, { method: "POST", body: new URLSearchParams(fields), credentials: "same-origin" });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error || "The server answered " + res.status + ".");
    return body;
  }

  function showCodes(form, codes) {
    const section = document.createElement("section");
    const h = document.createElement("h2");
    h.textContent = "Your recovery codes";
    const p = document.createElement("p");
    p.textContent = "Each code signs you in once if you lose your passkeys. Keep them somewhere safe: they are shown only now.";
    const ul = document.createElement("ul");
    ul.className = "codes";
    for (const c of codes) {
      const li = document.createElement("li");
      const code = document.createElement("code");
      code.textContent = c;
      li.append(code);
      ul.append(li);
    }
    section.append(h, p, ul);
    form.before(section);
  }

  for (const form of document.querySelectorAll("form[data-passkey]")) {
    form.hidden = false;
    const error = form.querySelector(".error");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const fields = new FormData(form);
        const begin = await post(form.dataset.begin, fields);
        const pk = begin.options.publicKey;
        pk.challenge = fromB64(pk.challenge);
        let cred;
        if (form.dataset.passkey === "add") {
          pk.user.id = fromB64(pk.user.id);
          for (const c of pk.excludeCredentials || []) c.id = fromB64(c.id);
          cred = await navigator.credentials.create({ publicKey: pk });
        } else {
          for (const c of pk.allowCredentials || []) c.id = fromB64(c.id);
          cred = await navigator.credentials.get({ publicKey: pk });
        }
        fields.set("ceremony", begin.ceremony);
        fields.set("credential", answer(cred));
        const done = await post(form.action, fields);
        if (done.location) {
          location.assign(done.location);
        } else if (done.codes) {
          showCodes(form, done.codes);
          error.textContent = done.notice;
          error.hidden = false;
          error.className = "notice";
          error.setAttribute("role", "status");
        } else {
          location.assign("/settings/security?notice=" + encodeURIComponent(done.notice));
        }
      } catch (e) {
        error.textContent = e.name === "NotAllowedError" ? "The passkey was cancelled or timed out." : e.message;
        error.hidden = false;
      } finally {
        button.disabled = false;
      }
    });
  }
})();
