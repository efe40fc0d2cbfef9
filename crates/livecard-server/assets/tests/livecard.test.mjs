// The share page's crypto and vCard writer against docs/protocol-vectors.json (the same vectors
// the Rust tests check), with Node's WebCrypto. Run: `node --test tests/` in assets/.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import {
  ShareError, STRINGS, activeTempNumber, addressLine, avatarSrc, base32Decode, base64Decode,
  buildVcard, decodeRecord, decryptRecord, deriveKey, displayName, foldLine, hex, idForPublicKey,
  mailHref, normalizeCard, openRecord, parseId, parseSecret, pickLanguage, recordAad,
  recordSigningMessage, telHref, uriPart, vcardEscape, vcardFileName, verifySignature, webHref,
} from "../livecard.mjs";

const vectorsPath = fileURLToPath(new URL("../../../../docs/protocol-vectors.json", import.meta.url));
const { vectors, negative } = JSON.parse(readFileSync(vectorsPath, "utf8"));
const fromHex = (h) => new Uint8Array(h.match(/../g).map((b) => parseInt(b, 16)));

test("the vectors file has vectors", () => {
  assert.ok(vectors.length >= 1);
});

for (const [i, v] of vectors.entries()) {
  test(`vector ${i} (${v.name}): id, secret, key, aad, signed message`, async () => {
    const pk = fromHex(v.public_key_hex);
    assert.equal(await idForPublicKey(pk), v.id);
    assert.equal(parseId(v.id.toLowerCase()), v.id);
    const secret = parseSecret(`#${v.share_secret_base32}`);
    assert.equal(hex(secret), v.inputs.share_secret_hex);
    // The fragment is read case-insensitively (QR links are upper-cased, people type lower).
    assert.deepEqual(parseSecret(`#${v.share_secret_base32.toLowerCase()}`), secret);
    const key = await deriveKey(v.id, secret, true);
    assert.equal(hex(new Uint8Array(await crypto.subtle.exportKey("raw", key))), v.aes_key_hex);
    assert.equal(hex(recordAad(v.id, v.inputs.version)), v.aad_hex);
    const rec = decodeRecord(v.record_json);
    assert.equal(hex(rec.ciphertext), v.ciphertext_hex);
    assert.equal(
      hex(recordSigningMessage(rec.id, rec.version, rec.nonce, rec.ciphertext)),
      v.signed_message_hex,
    );
  });

  test(`vector ${i} (${v.name}): the link's record opens to the card`, async () => {
    const hash = new URL(v.link).hash;
    const opened = await openRecord(v.record_json, parseSecret(hash), v.id);
    assert.equal(opened.version, v.inputs.version);
    assert.equal(opened.signature, "verified", "Node 20 has Ed25519 in WebCrypto");
    const plain = await decryptRecord(decodeRecord(v.record_json), parseSecret(hash));
    assert.equal(new TextDecoder().decode(plain), v.plaintext_utf8);
    assert.deepEqual(opened.card, normalizeCard(v.inputs.card));
    assert.equal(displayName(opened.card), v.inputs.card.name || displayName(normalizeCard(v.inputs.card)));
  });

  test(`vector ${i}: the upper-cased QR link opens too`, async () => {
    const qr = v.link_qr_text;
    const secret = parseSecret(qr.slice(qr.indexOf("#")));
    const id = parseId(qr.slice(qr.lastIndexOf("/") + 1, qr.indexOf("#")));
    const opened = await openRecord(v.record_json, secret, id);
    assert.equal(opened.version, v.inputs.version);
  });
}

function flipFirstCiphertextBit(json) {
  const ct = base64Decode(json.ciphertext);
  ct[0] ^= 1;
  const b64url = Buffer.from(ct).toString("base64url");
  return { ...json, ciphertext: b64url };
}

for (const n of negative) {
  test(`negative: ${n.name}`, async () => {
    const v = vectors[n.of];
    const secret = parseSecret(`#${v.share_secret_base32}`);
    if (n.name === "tampered ciphertext") {
      const bad = flipFirstCiphertextBit(v.record_json);
      await assert.rejects(openRecord(bad, secret, v.id), (e) => e instanceof ShareError && e.code === "bad_signature");
      // Without a signature check (a browser lacking Ed25519) the AEAD still refuses it.
      await assert.rejects(decryptRecord(decodeRecord(bad), secret), (e) => e.code === "wrong_secret");
    } else if (n.name === "wrong secret") {
      const wrong = parseSecret("#AAAAAAAAAAAAAAAAAAAAAAAAAA");
      await assert.rejects(openRecord(v.record_json, wrong, v.id), (e) => e.code === "wrong_secret");
    } else if (n.name === "version moved") {
      const rec = { ...decodeRecord(v.record_json), version: v.inputs.version + 1 };
      await assert.rejects(decryptRecord(rec, secret), (e) => e.code === "wrong_secret");
      // And the signature no longer covers it.
      await assert.rejects(verifySignature(rec), (e) => e.code === "bad_signature");
    } else {
      assert.fail(`a negative vector this test does not know: ${n.name}`);
    }
  });
}

test("a record under another id than the link's is refused", async () => {
  const v = vectors[0];
  await assert.rejects(
    openRecord(v.record_json, parseSecret(`#${v.share_secret_base32}`), "AAAAAAAAAAAAAAAA"),
    (e) => e.code === "bad_record",
  );
});

test("a record whose key does not own its id is refused", async () => {
  const v = vectors[0];
  const other = Buffer.from(new Uint8Array(32).fill(7)).toString("base64url");
  await assert.rejects(
    openRecord({ ...v.record_json, public_key: other }, parseSecret(`#${v.share_secret_base32}`), v.id),
    (e) => e.code === "key_mismatch",
  );
});

test("malformed records are refused with bad_record", () => {
  const v = vectors[0].record_json;
  for (const bad of [
    null, {}, { ...v, nonce: "AAAA" }, { ...v, version: 0 }, { ...v, version: 2 ** 53 },
    { ...v, version: "1" }, { ...v, signature: "!!" }, { ...v, id: "nope" }, { ...v, ciphertext: "" },
  ]) {
    assert.throws(() => decodeRecord(bad), (e) => e.code === "bad_record", JSON.stringify(bad));
  }
});

test("secrets: missing, damaged, percent-encoded", () => {
  for (const h of ["", "#", "#  "]) assert.throws(() => parseSecret(h), (e) => e.code === "missing_secret");
  for (const h of ["#ABC", "#UCQ2FI5EUWTKPKFJVKV2ZLNOV1", "#UCQ2FI5EUWTKPKFJVKV2ZLNOV5", "#%zz"]) {
    assert.throws(() => parseSecret(h), (e) => e.code === "bad_secret", h);
  }
  assert.equal(parseSecret("#UCQ2FI5EUWTKPKFJVKV2ZLNOV4%20").length, 16);
});

test("base32: one spelling per value", () => {
  assert.deepEqual(base32Decode("MY"), new Uint8Array([0x66]));
  assert.equal(base32Decode("MZ"), null, "non-zero trailing bits");
  assert.equal(base32Decode("M"), null, "impossible length");
  assert.equal(base32Decode("M1"), null, "not in the alphabet");
  assert.equal(parseId("KZDVVJ2UMNDUYAU"), null);
  assert.equal(parseId("kzdvvj2umnduyauf"), "KZDVVJ2UMNDUYAUF");
});

test("vCard: escaping, URI parts, folding on UTF-8 boundaries", () => {
  assert.equal(vcardEscape("a,b;c\\d\ne\r"), "a\\,b\\;c\\\\d\\ne");
  assert.equal(uriPart("a b;c%\"d\u0007张"), "a%20b%3Bc%25%22d%07张");
  const folded = foldLine(`NOTE:${"张".repeat(40)}`);
  const lines = folded.split("\r\n");
  assert.equal(lines.at(-1), "");
  for (const l of lines) assert.ok(Buffer.byteLength(l) <= 75, `${Buffer.byteLength(l)} octets`);
  assert.ok(lines.slice(1, -1).every((l) => l.startsWith(" ")));
  assert.equal(lines.map((l, k) => (k ? l.slice(1) : l)).join(""), `NOTE:${"张".repeat(40)}`);
  // 5 + 23 × 3 = 74 octets: the next 3-octet character must go to the next line.
  assert.equal(foldLine(`NOTE:${"张".repeat(24)}`).split("\r\n")[0], `NOTE:${"张".repeat(23)}`);
});

test("vCard of vector 0 is what the Rust exporter writes", () => {
  const card = normalizeCard(vectors[0].inputs.card);
  const expected = [
    "BEGIN:VCARD",
    "VERSION:4.0",
    "FN:张三丰",
    "N:张;三丰;;;",
    "ORG:武当科技有限公司",
    "TITLE:总经理",
    "TEL;TYPE=cell:+8613800138000",
    "LIVECARD-TEMP.TEL;TYPE=cell:+8613900139000",
    "LIVECARD-TEMP.X-ABLabel:临时号码 Temporary (until 2030-01-01 10:00 UTC)",
    "EMAIL:zhang@wudang.example",
    "NOTE:新品发布：八折优惠",
    "IMPP;X-SERVICE-TYPE=WeChat:x-apple:zhangsanfeng",
    "X-WECHAT:zhangsanfeng",
    "X-LIVECARD-INDUSTRY:软件",
    "X-LIVECARD-BULLETIN:新品发布：八折优惠",
    "X-LIVECARD-TEMP-NUMBER:+8613900139000",
    "X-LIVECARD-TEMP-UNTIL:2030-01-01T10:00:00Z",
    "END:VCARD",
    "",
  ].join("\r\n");
  assert.equal(buildVcard(card), expected);
});

test("vCard: every field, special characters, avatar", () => {
  const png = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex").toString("base64");
  const card = normalizeCard({
    family: "Doe", given: "Jane", company: "A, B; C", mobile: ["+14155550100"], phone: ["+14155550101"],
    fax: ["+14155550102"], email: ["jane@example.com"], website: ["https://example.com/a,b"],
    address: [{ street: "1 Main St", locality: "Springfield", country: "US" }],
    qq: "12345", msn: "jane doe", bulletin: "line1\nline2", avatar: { mime: "image/png", data: png },
  });
  const v = buildVcard(card);
  assert.match(v, /\r\nFN:Jane Doe\r\n/);
  assert.match(v, /\r\nORG:A\\, B\\; C\r\n/);
  assert.match(v, /\r\nTEL;TYPE="work,voice":\+14155550101\r\n/);
  assert.match(v, /\r\nTEL;TYPE="work,fax":\+14155550102\r\n/);
  assert.match(v, /\r\nADR:;;1 Main St;Springfield;;;US\r\n/);
  assert.match(v, /\r\nURL:https:\/\/example.com\/a,b\r\n/);
  assert.match(v, new RegExp(`\\r\\nPHOTO:data:image/png;base64,${png.replace(/[+/]/g, "\\$&")}\\r\\n`));
  assert.match(v, /\r\nNOTE:line1\\nline2\r\n/);
  assert.match(v, /\r\nIMPP;X-SERVICE-TYPE=QQ:x-apple:12345\r\n/);
  assert.match(v, /\r\nIMPP;X-SERVICE-TYPE=MSN:msnim:jane%20doe\r\n/);
  assert.ok(!v.includes("LIVECARD-TEMP"));
  assert.equal(vcardFileName(card, "X"), "Jane Doe.vcf");
  assert.equal(vcardFileName(normalizeCard({ name: 'a/b:c*"d' }), "X"), "abcd.vcf");
  assert.equal(vcardFileName(normalizeCard({}), "KZDVVJ2UMNDUYAUF"), "KZDVVJ2UMNDUYAUF.vcf");
});

test("display name falls back like Card::display_name", () => {
  assert.equal(displayName(normalizeCard({ family: "张", given: "三" })), "张三");
  assert.equal(displayName(normalizeCard({ company: "ACME", mobile: ["+1"] })), "ACME");
  assert.equal(displayName(normalizeCard({ email: ["a@b.c"] })), "a@b.c");
});

test("the temporary number shows only while valid", () => {
  const card = normalizeCard({ temp_number: "+8613900139000", temp_until: "2030-01-01T10:00:00Z" });
  assert.equal(activeTempNumber(card, new Date("2029-12-31T00:00:00Z")), "+8613900139000");
  assert.equal(activeTempNumber(card, new Date("2030-01-01T10:00:00Z")), "");
  assert.equal(activeTempNumber(normalizeCard({ temp_number: "+1" }), new Date()), "");
});

test("links: only safe schemes", () => {
  assert.equal(telHref("+86 138-0013-8000"), "tel:+8613800138000");
  assert.equal(telHref("+86 10 1234 5678;ext=12"), "tel:+861012345678;ext=12");
  assert.equal(telHref("javascript:alert(1)"), "tel:1");
  assert.equal(telHref("none"), "");
  assert.equal(webHref("javascript:alert(1)"), "");
  assert.equal(webHref("data:text/html,x"), "");
  assert.equal(webHref("example.com"), "https://example.com/");
  assert.equal(webHref("http://example.com/x"), "http://example.com/x");
  assert.equal(mailHref("a@b.c"), "mailto:a@b.c");
  assert.equal(mailHref("javascript:alert(1)"), "");
  assert.equal(avatarSrc({ mime: "image/svg+xml", data: "PHN2Zy8+" }), "");
  assert.equal(avatarSrc({ mime: "image/png", data: "iVBO" }), "data:image/png;base64,iVBO");
});

test("languages: zh for any Chinese locale, both tables complete", () => {
  assert.equal(pickLanguage(["zh-CN"]), "zh");
  assert.equal(pickLanguage(["zh-TW", "en"]), "zh");
  assert.equal(pickLanguage(["en-US", "zh-CN"]), "en");
  assert.equal(pickLanguage([]), "en");
  assert.deepEqual(Object.keys(STRINGS.zh).sort(), Object.keys(STRINGS.en).sort());
  for (const lang of ["zh", "en"]) {
    for (const [k, s] of Object.entries(STRINGS[lang])) assert.ok(s.length > 0, `${lang}.${k}`);
  }
  assert.equal(addressLine({ country: "中国", region: "湖北省", locality: "十堰市", street: "武当山路1号" }, "zh"), "中国 湖北省 十堰市 武当山路1号");
  assert.equal(addressLine({ street: "1 Main St", locality: "Springfield", country: "US" }, "en"), "1 Main St, Springfield, US");
});
