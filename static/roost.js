// Roost's progressive enhancements. Every page works without this file; with it:
// - the compose form counts characters, keeps its draft across a reload, and previews images;
// - the time zone setting offers the browser's zone.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Character counter for a textarea with a maxlength (the compose and edit forms).
  for (const ta of document.querySelectorAll("form.compose textarea[maxlength]")) {
    const max = Number(ta.getAttribute("maxlength"));
    const out = document.createElement("p");
    out.className = "hint counter";
    out.setAttribute("aria-live", "polite");
    ta.insertAdjacentElement("afterend", out);
    const update = () => {
      const left = max - [...ta.value].length;
      out.textContent = left + " characters left";
      out.classList.toggle("over", left < 20);
    };
    ta.addEventListener("input", update);
    update();
  }

  // Drafts: the compose form's text and warning are kept in this browser until it is sent.
  for (const form of document.querySelectorAll("form.compose")) {
    const reply = form.querySelector('input[name="in_reply_to"]');
    const key = "roost-draft:" + (reply ? reply.value : "new");
    const fields = ["text", "cw"].map((n) => form.querySelector('[name="' + n + '"]')).filter(Boolean);
    let saved = null;
    try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (saved) {
      // Over what the server prefilled (a reply's mentions). A sent form drops its draft, so a
      // refused post, which the server sends back filled in, finds none.
      for (const f of fields) {
        const d = saved[f.name];
        if (d && d !== f.value) f.value = d;
      }
    }
    const store = () => {
      const d = {};
      for (const f of fields) d[f.name] = f.value;
      try { localStorage.setItem(key, JSON.stringify(d)); } catch (e) { /* private mode: no drafts */ }
    };
    for (const f of fields) f.addEventListener("input", store);
    form.addEventListener("submit", () => { try { localStorage.removeItem(key); } catch (e) { /* none */ } });
    for (const f of fields) f.dispatchEvent(new Event("input"));
  }

  // Image previews beside their description fields.
  for (const input of document.querySelectorAll('form.compose input[type="file"][name="media"]')) {
    input.addEventListener("change", () => {
      const row = input.closest(".row");
      let img = row.querySelector("img.preview");
      const file = input.files && input.files[0];
      if (!file) { if (img) img.remove(); return; }
      if (!img) {
        img = document.createElement("img");
        img.className = "preview";
        img.alt = "Preview of the chosen image";
        row.prepend(img);
      }
      const reader = new FileReader();
      reader.onload = () => { img.src = reader.result; };
      reader.readAsDataURL(file);
      const alt = row.querySelector('input[name="alt"]');
      if (alt && !alt.value) alt.focus();
    });
  }

  // The time zone setting offers the browser's own zone.
  const tz = document.querySelector("input[data-browser-zone]");
  if (tz && window.Intl) {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && tz.value !== zone) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = "Use this device's zone (" + zone + ")";
      b.addEventListener("click", () => { tz.value = zone; tz.focus(); });
      tz.insertAdjacentElement("afterend", b);
    }
  }
});
