// The compact binary record plaintext (PROTOCOL.md §3 "Plaintext": 0xC1 || compact card) in
// the share page, against docs/protocol-vectors.json's `compact_plaintext` (checked by the
// Rust tests too). Run: `node --test tests/` in assets/.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import {
  COMPACT_PLAINTEXT_MAGIC, ShareError, decodeRecord, decryptRecord, hex, normalizeCard, openRecord,
  parseCompactCard, parseSecret,
} from "../livecard.mjs";

const vectorsPath = fileURLToPath(new URL("../../../../docs/protocol-vectors.json", import.meta.url));
const { compact_plaintext: compact } = JSON.parse(readFileSync(vectorsPath, "utf8"));
const fromHex = (h) => new Uint8Array(h.match(/../g).map((b) => parseInt(b, 16)));

test("the vectors file has compact plaintext vectors", () => {
  assert.ok(compact.cards.length >= 3);
});

for (const [i, v] of compact.cards.entries()) {
  test(`compact vector ${i} (${v.name}): opens to the card, like its JSON form`, async () => {
    const secret = parseSecret(new URL(v.link).hash);
    const plain = await decryptRecord(decodeRecord(v.record_json), secret);
    assert.equal(plain[0], COMPACT_PLAINTEXT_MAGIC);
    assert.equal(hex(plain), v.plaintext_hex);
    const opened = await openRecord(v.record_json, secret, v.record_json.id);
    assert.equal(opened.signature, "verified");
    assert.deepEqual(opened.card, normalizeCard(v.card));
    assert.deepEqual(opened.card, normalizeCard(JSON.parse(v.card_json_plaintext_utf8)));
  });
}

test("the every-field vector carries an avatar, an address and the new fields", async () => {
  const v = compact.cards.find((c) => c.card.avatar);
  const secret = parseSecret(new URL(v.link).hash);
  const { card } = await openRecord(v.record_json, secret, v.record_json.id);
  assert.deepEqual(card.avatar, { mime: "image/png", data: "iVBORw0KGgo=" });
  assert.equal(card.address[0].postal_code, "518057");
  assert.equal(card.wecom, "zsf-wecom");
  assert.equal(card.telegram, "zhang_san");
  assert.equal(card.temp_until, "2030-01-01T10:00:00Z");
});

test("malformed compact cards are bad_record errors, unknown codes are skipped", () => {
  const body = fromHex(compact.cards[0].plaintext_hex).subarray(1);
  for (let n = 0; n < body.length; n++) {
    try {
      parseCompactCard(body.subarray(0, n));
    } catch (e) {
      assert.ok(e instanceof ShareError && e.code === "bad_record", String(e));
    }
  }
  const bad = (bytes, what) =>
    assert.throws(() => parseCompactCard(new Uint8Array(bytes)), (e) => e.code === "bad_record" && e.message.includes(what));
  bad([1, 5, 0x61], "runs past the end");
  bad([1, 1, 0x61, 1, 1, 0x62], "twice");
  bad([1, 1, 0xff], "UTF-8");
  bad([1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "length");
  assert.deepEqual(parseCompactCard(new Uint8Array([99, 2, 0, 0, 1, 1, 0x78])), { name: "x" });
  // The inbox key entry (0x7F) is skipped by the page, but only once.
  assert.deepEqual(parseCompactCard(new Uint8Array([0x7f, 1, 0, 1, 1, 0x78])), { name: "x" });
  bad([0x7f, 1, 0, 0x7f, 1, 0], "twice");
});
