// livecard share page: protocol v1 in the browser (docs/PROTOCOL.md §1–3) and the vCard 4.0
// writer. Pure functions over WebCrypto (`globalThis.crypto.subtle`), no DOM: the page
// (share.mjs) and the Node tests (tests/*.test.mjs) import this same file.

import { FIELDS } from "./fields.mjs";
import { STRINGS } from "./messages.mjs";

export { FIELDS };

export const ID_CHARS = 16;
export const SECRET_CHARS = 26;
export const SECRET_BYTES = 16;
const ID_BYTES = 10;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const MAX_VERSION = 2 ** 53 - 1;
const HKDF_INFO = "livecard v1 card";
const RECORD_DOMAIN = "livecard-record-v1";

/** A failure the page explains to the person; `code` picks the message. */
export class ShareError extends Error {
  constructor(code, detail) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = "ShareError";
    this.code = code;
  }
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/**
 * RFC 4648 base32 without padding, any case. Returns null for a bad character, a length no
 * encoder produces, or non-zero unused trailing bits (each value has one spelling).
 */
export function base32Decode(text) {
  const s = String(text).toUpperCase();
  if (![0, 2, 4, 5, 7].includes(s.length % 8)) return null;
  const out = [];
  let acc = 0;
  let bits = 0;
  for (const c of s) {
    const v = B32.indexOf(c);
    if (v < 0) return null;
    acc = ((acc << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return null;
  return new Uint8Array(out);
}

/** base64 (standard or url alphabet, padding optional) → bytes; null when malformed. */
export function base64Decode(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return null;
  let s = text.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (s.length % 4 === 1) return null;
  s += "=".repeat((4 - (s.length % 4)) % 4);
  try {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** bytes → standard base64 with padding (as the Rust vCard writer's PHOTO). */
export function base64Encode(bytes) {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A card id from a URL path segment: 16 base32 characters, any case → upper case, or null. */
export function parseId(text) {
  const s = String(text || "").trim().toUpperCase();
  if (s.length !== ID_CHARS) return null;
  return base32Decode(s) ? s : null;
}

/**
 * The share secret from `location.hash`: `#` + 26 base32 characters, any case. Returns
 * `{secret: Uint8Array}` or throws ShareError `missing_secret` / `bad_secret`.
 */
export function parseSecret(hash) {
  let s = String(hash || "");
  if (s.startsWith("#")) s = s.slice(1);
  try {
    s = decodeURIComponent(s);
  } catch {
    // keep it as it is; the check below names it bad
  }
  s = s.trim();
  if (s === "") throw new ShareError("missing_secret");
  if (s.length !== SECRET_CHARS) throw new ShareError("bad_secret", `${s.length} characters`);
  const bytes = base32Decode(s);
  if (!bytes || bytes.length !== SECRET_BYTES) throw new ShareError("bad_secret", "not base32");
  return bytes;
}

const enc = new TextEncoder();

function u64be(n) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

function lp(bytes) {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** aad = ASCII(id) || u64be(version). */
export function recordAad(id, version) {
  return concat(enc.encode(id), u64be(version));
}

/** M = lp("livecard-record-v1") || lp(id) || u64be(version) || lp(nonce) || lp(ciphertext). */
export function recordSigningMessage(id, version, nonce, ciphertext) {
  return concat(
    lp(enc.encode(RECORD_DOMAIN)),
    lp(enc.encode(id)),
    u64be(version),
    lp(nonce),
    lp(ciphertext),
  );
}

/** The id a public key owns: base32 of the first 10 bytes of SHA-256(key). */
export async function idForPublicKey(publicKey) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", publicKey));
  return base32Encode(digest.subarray(0, ID_BYTES));
}

function base32Encode(bytes) {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += B32[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

/** AES-256-GCM key = HKDF-SHA256(ikm = secret, salt = ASCII(id), info = "livecard v1 card"). */
export async function deriveKey(id, secret, extractable = false) {
  const ikm = await crypto.subtle.importKey("raw", secret, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: enc.encode(id), info: enc.encode(HKDF_INFO) },
    ikm,
    { name: "AES-GCM", length: 256 },
    extractable,
    ["decrypt"],
  );
}

/**
 * A record from the API's JSON (`SealedRecord`, byte fields base64url) as bytes; throws
 * ShareError `bad_record` when a member is missing or malformed.
 */
export function decodeRecord(json) {
  if (!json || typeof json !== "object") throw new ShareError("bad_record", "not an object");
  const id = parseId(json.id);
  const publicKey = base64Decode(json.public_key);
  const nonce = base64Decode(json.nonce);
  const ciphertext = base64Decode(json.ciphertext);
  const signature = base64Decode(json.signature);
  const version = json.version;
  if (!id) throw new ShareError("bad_record", "id");
  if (!publicKey || publicKey.length !== 32) throw new ShareError("bad_record", "public_key");
  if (!nonce || nonce.length !== NONCE_BYTES) throw new ShareError("bad_record", "nonce");
  if (!ciphertext || ciphertext.length < TAG_BYTES) throw new ShareError("bad_record", "ciphertext");
  if (!signature || signature.length !== 64) throw new ShareError("bad_record", "signature");
  if (!Number.isSafeInteger(version) || version < 1 || version > MAX_VERSION) {
    throw new ShareError("bad_record", "version");
  }
  return { id, publicKey, version, nonce, ciphertext, signature };
}

/**
 * Ed25519 verification of the record's signature with WebCrypto. Returns "verified", or
 * "unsupported" when this browser has no Ed25519 in WebCrypto (then only the AEAD vouches for
 * the card); throws ShareError `bad_signature` when the signature does not verify.
 */
export async function verifySignature(rec) {
  let key;
  try {
    key = await crypto.subtle.importKey("raw", rec.publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch (e) {
    if (e && (e.name === "NotSupportedError" || e.name === "SyntaxError" || e instanceof TypeError)) {
      return "unsupported";
    }
    throw new ShareError("bad_signature", "public key refused");
  }
  const msg = recordSigningMessage(rec.id, rec.version, rec.nonce, rec.ciphertext);
  const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, rec.signature, msg);
  if (!ok) throw new ShareError("bad_signature");
  return "verified";
}

/** Decrypts the record's card JSON bytes; throws ShareError `wrong_secret` when GCM fails. */
export async function decryptRecord(rec, secret) {
  const key = await deriveKey(rec.id, secret);
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: rec.nonce, additionalData: recordAad(rec.id, rec.version), tagLength: 128 },
      key,
      rec.ciphertext,
    );
    return new Uint8Array(plain);
  } catch {
    throw new ShareError("wrong_secret");
  }
}

/**
 * Everything the page does with a fetched record: decode, check the id is the key's, check
 * the signature (when the browser can), decrypt, parse the card. `expectedId` is the id of
 * the link. Returns `{card, version, signature: "verified" | "unsupported"}`.
 */
export async function openRecord(json, secret, expectedId) {
  const rec = decodeRecord(json);
  if (expectedId && rec.id !== expectedId) throw new ShareError("bad_record", "id differs from the link");
  if ((await idForPublicKey(rec.publicKey)) !== rec.id) throw new ShareError("key_mismatch");
  const signature = await verifySignature(rec);
  const plain = await decryptRecord(rec, secret);
  let card;
  if (plain[0] === COMPACT_PLAINTEXT_MAGIC) {
    card = parseCompactCard(plain.subarray(1));
  } else {
    try {
      card = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plain));
    } catch {
      throw new ShareError("bad_record", "plaintext is not JSON");
    }
  }
  if (!card || typeof card !== "object" || Array.isArray(card)) {
    throw new ShareError("bad_record", "plaintext is not a card");
  }
  return { card: normalizeCard(card), version: rec.version, signature };
}

/** First byte of a record plaintext in the compact binary form (PROTOCOL.md §3). */
export const COMPACT_PLAINTEXT_MAGIC = 0xc1;
const INBOX_CODE = 0x7f;
const BY_CODE = new Map(FIELDS.map((f) => [f.compact, f]));

/**
 * The compact binary card (PROTOCOL.md §8 "Compact binary card", after the 0xC1 byte) as the
 * JSON plaintext's object: entries `code || LEB128 length || value`, unknown codes skipped,
 * a single-valued code twice refused. Throws ShareError `bad_record` for anything malformed.
 */
export function parseCompactCard(bytes) {
  const bad = (at, why) => new ShareError("bad_record", `compact card, byte ${at}: ${why}`);
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const chunkAt = (buf, pos) => {
    let n = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw bad(pos, "length cut off");
      if (shift > 28) throw bad(pos, "length too long");
      const b = buf[pos++];
      n += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    if (pos + n > buf.length) throw bad(pos, `value of ${n} bytes runs past the end`);
    return [buf.subarray(pos, pos + n), pos + n];
  };
  const text = (v, at) => {
    try {
      return utf8.decode(v);
    } catch {
      throw bad(at, "text is not UTF-8");
    }
  };
  const card = {};
  const seen = new Set();
  let pos = 0;
  while (pos < bytes.length) {
    const at = pos;
    const code = bytes[pos++];
    const [v, next] = chunkAt(bytes, pos);
    pos = next;
    const f = BY_CODE.get(code);
    const single = !f || !f.multi;
    if ((f || code === INBOX_CODE) && single) {
      if (seen.has(code)) throw bad(at, `field code ${code} appears twice`);
      seen.add(code);
    }
    if (!f) continue; // the inbox key (the page does not use it) or a newer field
    if (f.key === "avatar") {
      const [mime, rest] = chunkAt(v, 0);
      card.avatar = { mime: text(mime, at), data: base64Encode(v.subarray(rest)) };
    } else if (f.kind === "address") {
      const parts = {};
      let p = 0;
      for (const name of ADDRESS_PARTS) {
        const [part, n] = chunkAt(v, p);
        parts[name] = text(part, at);
        p = n;
      }
      if (p !== v.length) throw bad(at, "address has extra bytes");
      (card.address ??= []).push(parts);
    } else if (f.multi) {
      const t = text(v, at);
      if (t !== "") (card[f.key] ??= []).push(t);
    } else {
      card[f.key] = text(v, at);
    }
  }
  return card;
}

// From the field table (fields.mjs, generated from crates/livecard-format/src/fields.rs).
const TEXT_FIELDS = FIELDS.filter((f) => !f.multi && ["text", "handle", "phone"].includes(f.kind)).map((f) => f.key);
const LIST_FIELDS = FIELDS.filter((f) => f.multi && f.kind !== "address").map((f) => f.key);
const ADDRESS_PARTS = ["po_box", "extended", "street", "locality", "region", "postal_code", "country"];

/** A card with every member present and of the right type (missing = empty, PROTOCOL §3). */
export function normalizeCard(raw) {
  const str = (v) => (typeof v === "string" ? v : "");
  const card = {};
  for (const f of TEXT_FIELDS) card[f] = str(raw[f]);
  for (const f of LIST_FIELDS) card[f] = Array.isArray(raw[f]) ? raw[f].filter((v) => typeof v === "string") : [];
  card.address = (Array.isArray(raw.address) ? raw.address : [])
    .filter((a) => a && typeof a === "object")
    .map((a) => Object.fromEntries(ADDRESS_PARTS.map((p) => [p, str(a[p])])));
  card.temp_until = str(raw.temp_until);
  const av = raw.avatar;
  card.avatar = av && typeof av === "object" && typeof av.mime === "string" && typeof av.data === "string"
    ? { mime: av.mime, data: av.data }
    : null;
  return card;
}

function isCjk(c) {
  const u = c.codePointAt(0);
  return (u >= 0x4e00 && u <= 0x9fff) || (u >= 0x3400 && u <= 0x4dbf) ||
    (u >= 0xf900 && u <= 0xfaff) || (u >= 0x20000 && u <= 0x2fa1f);
}

/** The name to show, as `Card::display_name` in Rust. */
export function displayName(card) {
  if (card.name.trim() !== "") return card.name.trim();
  const joined = (Array.from(card.family).some(isCjk)
    ? `${card.family}${card.given}`
    : `${card.given} ${card.family}`).trim();
  if (joined !== "") return joined;
  for (const v of [card.company, ...card.mobile, ...card.phone, ...card.email]) {
    if (v.trim() !== "") return v;
  }
  return "";
}

/** The temporary number while valid at `now` (a Date), else "". */
export function activeTempNumber(card, now) {
  if (!card.temp_number || !card.temp_until) return "";
  const until = Date.parse(card.temp_until);
  return Number.isFinite(until) && until > now.getTime() ? card.temp_number : "";
}

// ---------------------------------------------------------------------------------------------
// vCard 4.0, written exactly as livecard_format::vcard::to_vcard writes it (same properties,
// same order, same escaping and folding), so the Rust importer reads back the same card.

/** TEXT value escaping (RFC 6350 §3.4): `\\ \, \; \n`, CR dropped. */
export function vcardEscape(s) {
  let out = "";
  for (const c of s) {
    if (c === "\\") out += "\\\\";
    else if (c === ",") out += "\\,";
    else if (c === ";") out += "\\;";
    else if (c === "\n") out += "\\n";
    else if (c !== "\r") out += c;
  }
  return out;
}

/** Percent-encode what cannot stand raw in a URI value (controls, `% ; , \ space "`). */
export function uriPart(s) {
  let out = "";
  for (const c of s) {
    if (/\p{Cc}/u.test(c) || '%;,\\ "'.includes(c)) {
      for (const b of enc.encode(c)) out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
    } else {
      out += c;
    }
  }
  return out;
}

function utf8Len(c) {
  const u = c.codePointAt(0);
  return u < 0x80 ? 1 : u < 0x800 ? 2 : u < 0x10000 ? 3 : 4;
}

/** One content line folded at 75 octets, never inside a UTF-8 sequence, ending in CRLF. */
export function foldLine(line) {
  let out = "";
  let width = 0;
  for (const c of line) {
    const n = utf8Len(c);
    if (width + n > 75) {
      out += "\r\n ";
      width = 1;
    }
    out += c;
    width += n;
  }
  return out + "\r\n";
}

const pad2 = (n) => String(n).padStart(2, "0");

/** RFC 3339 in UTC as chrono writes it (`…:SSZ`, fractions only when non-zero). */
function rfc3339(text) {
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$/.test(text)) return text;
  const d = new Date(text);
  const ms = d.getUTCMilliseconds();
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}` +
    `${ms ? `.${String(ms).padStart(3, "0")}` : ""}Z`;
}

function untilLabel(text) {
  const d = new Date(text);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())} UTC`;
}

/** The card as one vCard 4.0 (CRLF, folded at 75 octets), like the Rust exporter. */
export function buildVcard(card) {
  const lines = ["BEGIN:VCARD", "VERSION:4.0", `FN:${vcardEscape(displayName(card))}`];
  const until = card.temp_until && Number.isFinite(Date.parse(card.temp_until)) ? card.temp_until : "";
  if (card.family || card.given) lines.push(`N:${vcardEscape(card.family)};${vcardEscape(card.given)};;;`);
  if (card.company) lines.push(`ORG:${vcardEscape(card.company)}`);
  if (card.title) lines.push(`TITLE:${vcardEscape(card.title)}`);
  for (const m of card.mobile) lines.push(`TEL;TYPE=cell:${vcardEscape(m)}`);
  for (const p of card.phone) lines.push(`TEL;TYPE="work,voice":${vcardEscape(p)}`);
  for (const f of card.fax) lines.push(`TEL;TYPE="work,fax":${vcardEscape(f)}`);
  if (card.temp_number) {
    lines.push(`LIVECARD-TEMP.TEL;TYPE=cell:${vcardEscape(card.temp_number)}`);
    const label = `临时号码 Temporary${until ? ` (until ${untilLabel(until)})` : ""}`;
    lines.push(`LIVECARD-TEMP.X-ABLabel:${vcardEscape(label)}`);
  }
  for (const e of card.email) lines.push(`EMAIL:${vcardEscape(e)}`);
  for (const a of card.address) {
    lines.push(`ADR:${ADDRESS_PARTS.map((p) => vcardEscape(a[p])).join(";")}`);
  }
  for (const u of card.website) lines.push(`URL:${u.replace(/[\r\n]/g, "")}`);
  if (card.avatar) {
    const bytes = base64Decode(card.avatar.data);
    if (bytes) {
      lines.push(`PHOTO:data:${card.avatar.mime.replace(/[,;\r\n]/g, "")};base64,${base64Encode(bytes)}`);
    }
  }
  if (card.bulletin) lines.push(`NOTE:${vcardEscape(card.bulletin)}`);
  // The messengers and handles of the field table, as the Rust exporter writes them.
  const handles = FIELDS.filter((f) => f.kind === "handle" && f.vcard.startsWith("X-") && card[f.key]);
  for (const f of handles) {
    if (f.impp) lines.push(`IMPP;X-SERVICE-TYPE=${f.impp}:${f.impp_scheme}:${uriPart(card[f.key])}`);
  }
  for (const f of handles) lines.push(`${f.vcard}:${vcardEscape(card[f.key])}`);
  if (card.industry) lines.push(`X-LIVECARD-INDUSTRY:${vcardEscape(card.industry)}`);
  if (card.bulletin) lines.push(`X-LIVECARD-BULLETIN:${vcardEscape(card.bulletin)}`);
  if (card.temp_number) lines.push(`X-LIVECARD-TEMP-NUMBER:${vcardEscape(card.temp_number)}`);
  if (until) lines.push(`X-LIVECARD-TEMP-UNTIL:${rfc3339(until)}`);
  lines.push("END:VCARD");
  return lines.map(foldLine).join("");
}

/** A file name for the .vcf: the display name without characters file systems refuse. */
export function vcardFileName(card, id) {
  const base = displayName(card).replace(/[\p{Cc}/\\:*?"<>|]/gu, "").trim().slice(0, 60);
  return `${base || id}.vcf`;
}

// ---------------------------------------------------------------------------------------------
// Links the page may show: only these schemes, so a card cannot smuggle `javascript:` in.

/** `tel:` URI of a phone number (digits, `+`, `*`, `#` and an `;ext=N` kept), or "". */
export function telHref(number) {
  const s = String(number);
  const ext = s.match(/;ext=(\d+)/i);
  const main = s.replace(/;ext=\d+/i, "").replace(/[^0-9+*#]/g, "");
  return /[0-9]/.test(main) ? `tel:${main}${ext ? `;ext=${ext[1]}` : ""}` : "";
}

/** A website as an http(s) URL, or "" when it is anything else. */
export function webHref(text) {
  const s = String(text).trim();
  for (const candidate of [s, `https://${s}`]) {
    try {
      const u = new URL(candidate);
      if ((u.protocol === "http:" || u.protocol === "https:") && u.hostname.includes(".")) return u.href;
    } catch {
      // try the next form
    }
  }
  return "";
}

export function mailHref(address) {
  const s = String(address).trim();
  return /^[^\s@<>()"]+@[^\s@<>()"]+$/.test(s) ? `mailto:${s}` : "";
}

/** An avatar as a data: URL for <img>, only for image types browsers render safely. */
export function avatarSrc(avatar) {
  if (!avatar || !["image/jpeg", "image/png", "image/gif", "image/webp"].includes(avatar.mime)) return "";
  const bytes = base64Decode(avatar.data);
  return bytes ? `data:${avatar.mime};base64,${base64Encode(bytes)}` : "";
}

// ---------------------------------------------------------------------------------------------
// Words of the page, 中文 and English: the share.* rows of the one catalogue
// (crates/livecard-i18n), generated into messages.mjs.

export { STRINGS };

/** "zh" for any Chinese browser language (zh, zh-CN, zh-TW, zh-Hans…), else "en". */
export function pickLanguage(languages) {
  const first = (languages || []).find((l) => typeof l === "string" && l !== "") || "en";
  return first.toLowerCase().startsWith("zh") ? "zh" : "en";
}

/** One line of an address, in the order people of that language write it. */
export function addressLine(a, lang) {
  const parts = lang === "zh" || /[\u4e00-\u9fff]/.test(Object.values(a).join(""))
    ? [a.country, a.region, a.locality, a.street, a.extended, a.po_box, a.postal_code]
    : [a.po_box, a.extended, a.street, a.locality, a.region, a.postal_code, a.country];
  return parts.filter((p) => p && p.trim()).join(lang === "zh" ? " " : ", ");
}
