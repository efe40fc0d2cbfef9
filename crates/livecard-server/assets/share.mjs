// livecard share page: reads the id from the path and the secret from the fragment, fetches the
// sealed record, decrypts it here (the server never sees the secret) and shows the card.
// Builds the DOM with textContent only (the CSP also requires Trusted Types for script sinks).

import {
  FIELDS, ShareError, STRINGS, activeTempNumber, addressLine, avatarSrc, buildVcard, displayName,
  mailHref, openRecord, parseId, parseSecret, pickLanguage, telHref, vcardFileName, webHref,
} from "./livecard.mjs";

const languages = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
const lang = pickLanguage(languages);
// Phone numbers formatted for the viewer's region by phone.mjs (libphonenumber-js, ~120 KB,
// cached for good like every asset). It loads while the card is fetched and decrypted; the
// card is shown once both are done, and with the numbers as stored if it fails to load.
const phoneLoad = import("./phone.mjs").then(
  (m) => {
    const region = m.viewerRegion(languages);
    return (v) => m.formatPhone(v, region);
  },
  (e) => {
    console.error(e);
    return (v) => v;
  },
);
const t = STRINGS[lang];
const $ = (id) => document.getElementById(id);

function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function showStatus(kind, code, retry) {
  const status = $("status");
  status.hidden = false;
  status.className = kind;
  status.dataset.code = code;
  $("status-text").textContent = t[code] || t.server;
  const button = $("retry");
  button.hidden = !retry;
  if (retry) button.onclick = () => load();
}

function idFromPath() {
  const parts = location.pathname.split("/").filter((p) => p !== "");
  const i = parts.findIndex((p) => p.toLowerCase() === "c");
  return parseId(i >= 0 ? parts[i + 1] : parts[parts.length - 1]);
}

function addRow(list, label, value, href, extraClass) {
  if (!value) return;
  const dt = el("dt", label);
  const dd = el("dd");
  if (extraClass) dd.className = extraClass;
  if (href) {
    const a = el("a", value, { href });
    if (href.startsWith("http")) {
      a.setAttribute("rel", "noopener noreferrer");
      a.setAttribute("target", "_blank");
    }
    dd.append(a);
  } else {
    dd.textContent = value;
  }
  list.append(dt, dd);
}

function formatUntil(text) {
  const d = new Date(text);
  try {
    return new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : "en", { dateStyle: "medium", timeStyle: "short" }).format(d);
  } catch {
    return d.toISOString();
  }
}

function render(id, opened, showPhone) {
  const { card, version, signature } = opened;
  const name = displayName(card);
  document.title = `${name} · ${t.title}`;
  $("name").textContent = name;
  $("subtitle").textContent = [card.title, card.company].filter(Boolean).join(" · ");
  const src = avatarSrc(card.avatar);
  const img = $("avatar");
  if (src) {
    img.src = src;
    img.alt = name;
    img.hidden = false;
  } else {
    img.hidden = true;
  }
  const bulletin = $("bulletin");
  bulletin.textContent = card.bulletin;
  bulletin.hidden = !card.bulletin;

  const list = $("fields");
  list.replaceChildren();
  const temp = activeTempNumber(card, new Date());
  if (temp) {
    addRow(list, `${t.temp} (${t.until} ${formatUntil(card.temp_until)})`, showPhone(temp), telHref(temp), "temp");
  }
  for (const m of card.mobile) addRow(list, t.mobile, showPhone(m), telHref(m));
  for (const p of card.phone) addRow(list, t.phone, showPhone(p), telHref(p));
  for (const f of card.fax) addRow(list, t.fax, showPhone(f), "");
  for (const e of card.email) addRow(list, t.email, e, mailHref(e));
  for (const a of card.address) addRow(list, t.address, addressLine(a, lang), "");
  for (const w of card.website) addRow(list, t.website, w, webHref(w));
  addRow(list, t.industry, card.industry, "");
  // Messengers and handles, in the field table's order with its labels (fields.mjs); a field
  // whose row opens a web page (Telegram) links to it.
  for (const f of FIELDS.filter((f) => f.kind === "handle")) {
    const v = card[f.key];
    const href = f.link && /^@?[A-Za-z0-9_]{5,32}$/.test(v || "")
      ? f.link.replace("{}", encodeURIComponent(v.replace(/^@/, "")))
      : "";
    addRow(list, lang === "zh" ? f.label_zh : f.label_en, v, href);
  }

  $("verify-note").textContent = `${signature === "verified" ? t.verified : t.unverified} ${t.version} ${version}.`;
  const add = $("add-contact");
  add.textContent = t.add_contact;
  add.onclick = () => {
    const blob = new Blob([buildVcard(card)], { type: "text/vcard;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const a = el("a", null, { href: url, download: vcardFileName(card, id) });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    $("add-note").textContent = t.downloaded;
  };
  $("status").hidden = true;
  $("card").hidden = false;
}

async function load() {
  $("card").hidden = true;
  const id = idFromPath();
  if (!id) return showStatus("error", "invalid_link", false);
  let secret;
  try {
    secret = parseSecret(location.hash);
  } catch (e) {
    return showStatus("error", e instanceof ShareError ? e.code : "bad_secret", false);
  }
  if (!globalThis.crypto || !crypto.subtle) return showStatus("error", "no_webcrypto", false);
  showStatus("loading", "loading", false);
  let response;
  try {
    response = await fetch(`../v1/cards/${id}`, {
      headers: { Accept: "application/json" },
      cache: "no-cache",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
  } catch {
    return showStatus("error", "network", true);
  }
  if (response.status === 404) return showStatus("error", "not_found", false);
  if (response.status === 410) return showStatus("error", "gone", false);
  if (response.status === 429 || response.status === 503) return showStatus("error", "busy", true);
  if (!response.ok) return showStatus("error", "server", true);
  let json;
  try {
    json = await response.json();
  } catch {
    return showStatus("error", "network", true);
  }
  try {
    const opened = await openRecord(json, secret, id);
    render(id, opened, await phoneLoad);
  } catch (e) {
    console.error(e);
    showStatus("error", e instanceof ShareError ? e.code : "bad_record", false);
  }
}

function start() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t.title;
  $("get-app-hint").textContent = t.get_app_hint;
  const appUrl = document.querySelector('meta[name="livecard-app-url"]')?.content || "";
  const getApp = $("get-app");
  getApp.textContent = t.get_app;
  if (webHref(appUrl) && /^https?:/i.test(appUrl)) {
    getApp.href = webHref(appUrl);
  } else {
    getApp.hidden = true;
    $("get-app-hint").hidden = true;
  }
  $("retry").textContent = t.retry;
  window.addEventListener("hashchange", load);
  load();
}

start();
