// The share page reads the field table (fields.mjs, generated from
// crates/livecard-format/src/fields.rs): every handle of the table is kept by normalizeCard and
// written by buildVcard as the Rust exporter writes it (IMPP line + X- property).
import { test } from "node:test";
import assert from "node:assert/strict";

import { FIELDS, buildVcard, normalizeCard } from "../livecard.mjs";

test("the table lists the fields the page knows, with labels in both languages", () => {
  const keys = FIELDS.map((f) => f.key);
  for (const k of ["name", "mobile", "email", "address", "qq", "wechat", "temp_until"]) {
    assert.ok(keys.includes(k), k);
  }
  for (const f of FIELDS) assert.ok(f.label_zh && f.label_en && f.vcard && f.kind, f.key);
});

test("every handle of the table survives normalizeCard and is written to the vCard", () => {
  for (const f of FIELDS.filter((f) => f.kind === "handle")) {
    const card = normalizeCard({ name: "张三", [f.key]: "zs_handle1" });
    assert.equal(card[f.key], "zs_handle1", f.key);
    const v = buildVcard(card);
    assert.ok(v.includes(`\r\n${f.vcard}:zs_handle1\r\n`), `${f.key}: ${v}`);
    if (f.impp) {
      assert.ok(v.includes(`\r\nIMPP;X-SERVICE-TYPE=${f.impp}:${f.impp_scheme}:zs_handle1\r\n`), `${f.key}: ${v}`);
    }
  }
});
