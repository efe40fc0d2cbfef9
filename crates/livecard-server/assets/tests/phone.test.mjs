// The share page's phone formatting (assets/phone.mjs over the vendored libphonenumber-js):
// the same cases as livecard_format::format_phone's unit tests.
import test from "node:test";
import assert from "node:assert/strict";
import { formatPhone, viewerRegion } from "../phone.mjs";

test("numbers of the viewer's region are national, others international", () => {
  assert.equal(formatPhone("+8613800138000", "CN"), "138 0013 8000");
  assert.equal(formatPhone("+861065529988", "CN"), "010 6552 9988");
  assert.equal(formatPhone("+8613800138000", "US"), "+86 138 0013 8000");
  assert.equal(formatPhone("+85221234567", "HK"), "2123 4567");
  assert.equal(formatPhone("+85221234567", "CN"), "+852 2123 4567");
  assert.equal(formatPhone("+16502530000", "US"), "(650) 253-0000");
  assert.equal(formatPhone("+16502530000", "CN"), "+1 650 253 0000");
  assert.equal(formatPhone("+4930123456", "DE"), "030 123456");
  assert.equal(formatPhone("+4930123456", ""), "+49 30 123456");
});

test("an extension is shown after the number", () => {
  assert.equal(formatPhone("+16502530000;ext=123", "US"), "(650) 253-0000 ext. 123");
  assert.equal(formatPhone("+861065529988;ext=12", "CN"), "010 6552 9988 ext. 12");
});

test("a value that is not a valid number in international form is shown as stored", () => {
  for (const v of ["12345", "front desk", "+86 12", "+", "", "138 0013 8000", "+86 138 0013 8000 <b>"]) {
    assert.equal(formatPhone(v, "CN"), v);
  }
  assert.equal(formatPhone(undefined, "CN"), undefined);
});

test("the viewer's region comes from the browser's languages", () => {
  assert.equal(viewerRegion(["zh-CN", "en-US"]), "CN");
  assert.equal(viewerRegion(["zh-Hant-TW"]), "TW");
  assert.equal(viewerRegion(["en-US"]), "US");
  assert.equal(viewerRegion(["en_gb"]), "GB");
  assert.equal(viewerRegion(["zh"]), "CN");
  assert.equal(viewerRegion(["en", "de"]), "");
  assert.equal(viewerRegion([]), "");
  assert.equal(viewerRegion(undefined), "");
});
