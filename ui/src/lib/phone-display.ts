// Phone numbers as a person reads them. The core formats every number of a card for the
// user's region (OwnCard/ReceivedCard `display`, from livecard_format::format_phone: "138 0013
// 8000" at home, "+1 650-253-0000" from elsewhere); the UI formats nothing itself, it only
// looks the core's string up here and falls back to the stored value (E.164).

/** The core's `display` map of a record (field key → one string per value), if it has one.
 *  Records are taken as plain objects so that any record the core sends fits. */
function displayOf(rec: object | null | undefined, field: string): readonly unknown[] | undefined {
  const display = (rec as { display?: unknown } | null | undefined)?.display;
  const list = display && typeof display === 'object' ? (display as Record<string, unknown>)[field] : undefined;
  return Array.isArray(list) ? list : undefined;
}

/** The shown form of `stored`, the `index`th value of `field` of `rec`. */
export function shownValue(rec: object | null | undefined, field: string, index: number, stored: string): string {
  const s = displayOf(rec, field)?.[index];
  return typeof s === 'string' ? s : stored;
}

/** The stored value behind `value` when it is exactly what the core showed for one of
 *  `stored` (the editor shows numbers formatted; a number the user did not touch is saved as
 *  it was), else `value` as typed. */
export function storedValue(rec: object | null | undefined, field: string, stored: readonly string[], value: string): string {
  const i = displayOf(rec, field)?.indexOf(value) ?? -1;
  return i >= 0 && i < stored.length ? stored[i] : value;
}

/** The core's shown form looked up by field and stored value, for lists that may come from
 *  another copy of the card than `rec` (the detail screen's actions are fetched apart from it:
 *  a number that is not in `rec` is shown as stored, never as another number's text). */
export function shownLookup(rec: { card: object } | null | undefined): (field: string, stored: string) => string {
  const shown = new Map<string, string>();
  const display = (rec as { display?: unknown } | null | undefined)?.display;
  for (const field of display && typeof display === 'object' ? Object.keys(display) : []) {
    const v = (rec?.card as Record<string, unknown> | undefined)?.[field];
    const stored = Array.isArray(v) ? v : [v];
    displayOf(rec, field)?.forEach((s, i) => {
      if (typeof s === 'string' && typeof stored[i] === 'string') shown.set(`${field}\n${stored[i]}`, s);
    });
  }
  return (field, value) => shown.get(`${field}\n${value}`) ?? value;
}
