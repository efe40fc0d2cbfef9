// Phone numbers on the share page, formatted for the viewer's region as the app does it
// (livecard_format::format_phone): numbers of the viewer's region in national format
// ("138 0013 8000"), others international ("+86 138 0013 8000"), a value that is not a valid
// number in international form as stored. The card keeps E.164 (with ";ext=N"); tel: links
// and the vCard use that. The library is libphonenumber-js with its "min" metadata, vendored
// by scripts/vendor-libphonenumber.sh (why: docs/DEPENDENCIES.md). share.mjs loads this
// module after the card is on screen, so the card never waits for it.

import { parsePhoneNumberFromString } from "./libphonenumber.mjs";

/** The viewer's region from the browser's languages: the first tag with a region
 *  ("zh-CN", "zh-Hant-TW", "en-US"); a Chinese tag without one counts as CN; else "". */
export function viewerRegion(languages) {
  const tags = (languages || []).map((t) => String(t || ""));
  for (const tag of tags) {
    const region = tag.split(/[-_]/).slice(1).find((p) => /^[A-Za-z]{2}$/.test(p));
    if (region) return region.toUpperCase();
  }
  return tags.some((t) => /^zh\b/i.test(t)) ? "CN" : "";
}

/** `stored` as a person in `region` reads it (see the top of this file). */
export function formatPhone(stored, region) {
  const v = String(stored ?? "").trim();
  // Only the form the app stores (E.164, maybe ";ext=N"): the library would also pick a
  // number out of free text, which must be shown as it was written.
  if (!/^\+[0-9]{2,15}(;ext=[0-9]{1,10})?$/.test(v)) return stored;
  let n;
  try {
    n = parsePhoneNumberFromString(v);
  } catch {
    return stored;
  }
  if (!n || !n.isValid()) return stored;
  return region && n.country === region ? n.formatNational() : n.formatInternational();
}
