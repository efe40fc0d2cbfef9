// Run by vectors_chromium.rs through WebDriver's execute_async in a share page served by the
// real server: imports the page's own livecard.mjs (the URL next to the page's share.mjs) and
// checks docs/protocol-vectors.json (arguments[0]) with the browser's WebCrypto. Calls the
// callback with {checks: [{vector, check, ok, detail}]} or {error}.
const [file, done] = [arguments[0], arguments[arguments.length - 1]];

(async () => {
  const page = document.querySelector('script[type="module"][src]');
  if (!page) throw new Error("no module script on the page");
  const lc = await import(new URL("livecard.mjs", page.src).href);

  const checks = [];
  const fromHex = (h) => new Uint8Array(h.match(/../g).map((b) => parseInt(b, 16)));
  // JSON with sorted keys: deep equality of plain data.
  const canon = (v) =>
    Array.isArray(v)
      ? `[${v.map(canon).join(",")}]`
      : v && typeof v === "object"
        ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(",")}}`
        : JSON.stringify(v);
  const same = (got, want) => canon(got) === canon(want);
  async function check(vector, name, fn) {
    try {
      const r = await fn();
      const ok = r === true || (Array.isArray(r) && same(r[0], r[1]));
      checks.push({ vector, check: name, ok, detail: ok ? "" : canon(r) });
    } catch (e) {
      checks.push({ vector, check: name, ok: false, detail: `threw ${e && e.stack ? e.stack : e}` });
    }
  }
  async function codeOf(promiseOrFn) {
    try {
      await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
      return "no error";
    } catch (e) {
      return e instanceof lc.ShareError ? e.code : `not a ShareError: ${e}`;
    }
  }

  for (const [i, v] of file.vectors.entries()) {
    const name = `${i} ${v.name}`;
    const secret = () => lc.parseSecret(`#${v.share_secret_base32}`);
    const rec = () => lc.decodeRecord(v.record_json);
    await check(name, "id", async () => [
      [await lc.idForPublicKey(fromHex(v.public_key_hex)), lc.parseId(v.id.toLowerCase())],
      [v.id, v.id],
    ]);
    await check(name, "share_secret", () => [
      [lc.hex(secret()), lc.hex(lc.parseSecret(`#${v.share_secret_base32.toLowerCase()}`))],
      [v.inputs.share_secret_hex, v.inputs.share_secret_hex],
    ]);
    await check(name, "aes_key", async () => {
      const key = await lc.deriveKey(v.id, secret(), true);
      return [lc.hex(new Uint8Array(await crypto.subtle.exportKey("raw", key))), v.aes_key_hex];
    });
    await check(name, "aad", () => [lc.hex(lc.recordAad(v.id, v.inputs.version)), v.aad_hex]);
    await check(name, "record", () => {
      const r = rec();
      return [
        [r.id, r.version, lc.hex(r.publicKey), lc.hex(r.nonce), lc.hex(r.ciphertext), lc.hex(r.signature)],
        [v.id, v.inputs.version, v.public_key_hex, v.inputs.nonce_hex, v.ciphertext_hex, v.signature_hex],
      ];
    });
    await check(name, "signed_message", () => {
      const r = rec();
      return [lc.hex(lc.recordSigningMessage(r.id, r.version, r.nonce, r.ciphertext)), v.signed_message_hex];
    });
    await check(name, "signature", async () => [await lc.verifySignature(rec()), "verified"]);
    await check(name, "plaintext", async () => [
      new TextDecoder().decode(await lc.decryptRecord(rec(), secret())),
      v.plaintext_utf8,
    ]);
    await check(name, "card", async () => {
      const opened = await lc.openRecord(v.record_json, secret(), v.id);
      return [
        [opened.card, opened.version, opened.signature],
        [lc.normalizeCard(v.inputs.card), v.inputs.version, "verified"],
      ];
    });
    for (const [check_name, text] of [["link", v.link], ["link_qr_text", v.link_qr_text]]) {
      await check(name, check_name, async () => {
        const hash = text.indexOf("#");
        const id = lc.parseId(text.slice(text.lastIndexOf("/", hash) + 1, hash));
        const s = lc.parseSecret(text.slice(hash));
        const base = text.slice(0, text.lastIndexOf("/", hash) - 2);
        const opened = await lc.openRecord(v.record_json, s, id);
        return [
          [base.toLowerCase(), id, lc.hex(s), opened.card],
          [v.inputs.base_url.toLowerCase(), v.id, v.inputs.share_secret_hex, lc.normalizeCard(v.inputs.card)],
        ];
      });
    }
  }

  for (const n of file.negative) {
    const v = file.vectors[n.of];
    const secret = lc.parseSecret(`#${v.share_secret_base32}`);
    await check(`negative ${n.name}`, n.name, async () => {
      if (n.name === "tampered ciphertext") {
        const ct = lc.base64Decode(v.record_json.ciphertext);
        ct[0] ^= 1;
        const bad = { ...v.record_json, ciphertext: lc.base64Encode(ct) };
        return [
          [await codeOf(lc.openRecord(bad, secret, v.id)), await codeOf(lc.decryptRecord(lc.decodeRecord(bad), secret))],
          ["bad_signature", "wrong_secret"],
        ];
      }
      if (n.name === "wrong secret") {
        const zero = lc.parseSecret("#AAAAAAAAAAAAAAAAAAAAAAAAAA");
        return [await codeOf(lc.openRecord(v.record_json, zero, v.id)), "wrong_secret"];
      }
      if (n.name === "version moved") {
        const rec = { ...lc.decodeRecord(v.record_json), version: v.inputs.version + 1 };
        return [
          [await codeOf(lc.decryptRecord(rec, secret)), await codeOf(lc.verifySignature(rec))],
          ["wrong_secret", "bad_signature"],
        ];
      }
      return [`a negative vector this page check does not know`, n.name];
    });
  }
  return { checks, userAgent: navigator.userAgent };
})().then(done, (e) => done({ error: String(e && e.stack ? e.stack : e) }));
