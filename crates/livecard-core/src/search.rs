//! The in-memory search index over received cards.
//!
//! Keys are computed at write time (see [`crate::keys`]) and stored with each card; the store
//! loads them into this index when it opens and keeps it current on every write. A query
//! scans every entry — 10,000 cards is a few hundred kilobytes of lowercase text — and
//! matches, per entry:
//! - the query as a substring of the display name (a prefix ranks first), of the other text
//!   (company, title, emails, numbers, tags, notes);
//! - phone digits, with or without the country code and separators;
//! - pinyin of Chinese names and companies: full spelling ("zhangsanfeng"), initials ("zsf"),
//!   a mix ("zhangsf"), a prefix of the last syllable ("zhangsanf"), spaces ignored
//!   ("zhang san"), from the first character (ranked as a name prefix) or any later one;
//! - otherwise every whitespace-separated word on its own ("doe john").
//!
//! Ranking: name prefix, then name match elsewhere, then other fields; within a rank by name
//! in pinyin order.

use std::collections::HashMap;
use std::sync::OnceLock;

use memchr::memmem::Finder;

use crate::keys::SearchKey;
use crate::model::{CardSummary, CardWindow, Sort};

/// One received card as the index holds it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub summary: CardSummary,
    pub key: SearchKey,
    pub sort_key: String,
    pub company_sort_key: String,
}

/// Per-entry bitmasks of the first letters of pinyin readings (bit 0 = 'a'), so most entries
/// are ruled out for a pinyin query without running the matcher.
#[derive(Debug, Clone, Copy, Default)]
struct Initials {
    /// Readings of the name's first character.
    name_first: u32,
    /// Readings of any character of the name.
    name_any: u32,
    /// Readings of any character of the company.
    company_any: u32,
}

fn letter_bit(b: u8) -> u32 {
    if b.is_ascii_lowercase() {
        1 << (b - b'a')
    } else {
        0
    }
}

fn mask(readings: &[Vec<String>]) -> u32 {
    readings
        .iter()
        .flatten()
        .filter_map(|r| r.bytes().next())
        .fold(0, |m, b| m | letter_bit(b))
}

impl Initials {
    fn of(key: &SearchKey) -> Self {
        Initials {
            name_first: key
                .name_py
                .first()
                .map_or(0, |r| mask(std::slice::from_ref(r))),
            name_any: mask(&key.name_py),
            company_any: mask(&key.company_py),
        }
    }
}

/// All received cards, in memory, for search and list.
#[derive(Debug, Default)]
pub struct SearchIndex {
    entries: Vec<Entry>,
    initials: Vec<Initials>,
    by_id: HashMap<String, usize>,
    /// Each entry's place in name order (`sort_key`, then id), computed on the first search
    /// after a change: ranking many hits then compares two integers instead of two strings.
    name_rank: OnceLock<Vec<u32>>,
    /// Entry indexes in each list order (by [`sort_slot`]), computed on first use after a
    /// change: a window of the list then sorts nothing.
    orders: [OnceLock<Vec<u32>>; 3],
}

fn sort_slot(sort: Sort) -> usize {
    match sort {
        Sort::Name => 0,
        Sort::Updated => 1,
        Sort::Company => 2,
    }
}

/// A prepared query.
struct Query {
    /// Lowercase, whitespace collapsed to single spaces.
    full: String,
    /// Substring finder for `full`, built once per query.
    finder: Finder<'static>,
    /// Words of `full`, when there is more than one, each with its finder and whether it
    /// can be pinyin.
    words: Vec<(String, Finder<'static>, bool)>,
    /// ASCII letters only, no spaces: a pinyin candidate (at most 120 letters).
    compact: Option<Vec<u8>>,
    /// Digits only when the query looks like a phone number (3+ digits, only separators).
    digits: Option<String>,
}

impl Query {
    fn new(q: &str) -> Option<Query> {
        let full = q
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if full.is_empty() {
            return None;
        }
        let mut words: Vec<(String, Finder<'static>, bool)> = full
            .split(' ')
            .map(|w| {
                let py = w.bytes().all(|b| b.is_ascii_lowercase());
                (w.to_string(), Finder::new(w.as_bytes()).into_owned(), py)
            })
            .collect();
        if words.len() < 2 {
            words.clear();
        }
        let compact: Vec<u8> = full.bytes().filter(|b| *b != b' ').collect();
        let compact =
            (compact.iter().all(u8::is_ascii_lowercase) && compact.len() <= 120).then_some(compact);
        let is_phoneish = full
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '.'));
        let d: String = full.chars().filter(char::is_ascii_digit).collect();
        let digits = (is_phoneish && d.len() >= 3).then_some(d);
        Some(Query {
            finder: Finder::new(full.as_bytes()).into_owned(),
            full,
            words,
            compact,
            digits,
        })
    }
}

/// Does `q` (ASCII lowercase, non-empty, ≤ 120 bytes) match the readings of consecutive
/// characters — full syllables, initials (also zh/ch/sh), the last one possibly a prefix?
/// With `anchored`, the match must start at the first character.
pub(crate) fn pinyin_match(readings: &[Vec<String>], q: &[u8], anchored: bool) -> bool {
    match pinyin_rank(readings, q) {
        Some(0) => true,
        Some(_) => !anchored,
        None => false,
    }
}

/// One pass of the matcher: `Some(0)` when `q` matches from the first character, `Some(1)`
/// when it matches only from a later one, `None` when not at all.
pub(crate) fn pinyin_rank(readings: &[Vec<String>], q: &[u8]) -> Option<u8> {
    let n = q.len();
    if n == 0 || n > 120 {
        return None;
    }
    let done: u128 = 1 << n;
    // Bit p set: q[..p] has been matched by the characters so far — in `anchored` by a run
    // that started at the first character, in `free` by one that started later.
    let mut anchored: u128 = 1;
    let mut free: u128 = 0;
    let mut found_free = false;
    for (i, slot) in readings.iter().enumerate() {
        if i > 0 && !found_free {
            free |= 1;
        }
        let mut next_a: u128 = 0;
        let mut next_f: u128 = 0;
        let mut bits = anchored | free;
        while bits != 0 {
            let p = bits.trailing_zeros() as usize;
            let bit = 1u128 << p;
            bits &= bits - 1;
            let rest = &q[p..];
            let mut next: u128 = 0;
            let mut partial = false;
            for r in slot {
                let rb = r.as_bytes();
                if rb.is_empty() {
                    continue;
                }
                if rest.starts_with(rb) {
                    next |= 1 << (p + rb.len());
                } else if rb.starts_with(rest) {
                    partial = true;
                }
                if rb[0] == rest[0] {
                    next |= 1 << (p + 1);
                    if rb.len() >= 2
                        && rb[1] == b'h'
                        && matches!(rb[0], b'z' | b'c' | b's')
                        && rest.len() >= 2
                        && rest[1] == b'h'
                    {
                        next |= 1 << (p + 2);
                    }
                }
            }
            if partial || next & done != 0 {
                if anchored & bit != 0 {
                    return Some(0);
                }
                found_free = true;
            }
            if anchored & bit != 0 {
                next_a |= next;
            }
            if free & bit != 0 {
                next_f |= next;
            }
        }
        anchored = next_a & !done;
        free = if found_free { 0 } else { next_f & !done };
        if anchored == 0 && (found_free || (free == 0 && i + 1 == readings.len())) {
            break;
        }
    }
    found_free.then_some(1)
}

impl Entry {
    /// 0 = name prefix, 1 = name, 2 = other fields; None = no match.
    fn rank(&self, ini: Initials, q: &Query) -> Option<u8> {
        let k = &self.key;
        let q0 = q.compact.as_ref().map_or(0, |c| letter_bit(c[0]));
        let py_name_first = q0 & ini.name_first != 0;
        let py_name_any = q0 & ini.name_any != 0;
        if k.name.starts_with(&q.full) {
            return Some(0);
        }
        let name_found = q.finder.find(k.name.as_bytes()).is_some();
        if py_name_any {
            if let Some(c) = &q.compact {
                // A name substring ranks 1; pinyin can still make it a prefix match (0).
                if !name_found || py_name_first {
                    match pinyin_rank(&k.name_py, c) {
                        Some(r) => return Some(r),
                        None if name_found => return Some(1),
                        None => {}
                    }
                }
            }
        }
        if name_found {
            return Some(1);
        }
        if q.finder.find(k.text.as_bytes()).is_some() {
            return Some(2);
        }
        if let Some(d) = &q.digits {
            if k.digits.contains(d.as_str()) {
                return Some(2);
            }
        }
        if q0 & ini.company_any != 0 {
            if let Some(c) = &q.compact {
                if pinyin_match(&k.company_py, c, false) {
                    return Some(2);
                }
            }
        }
        if !q.words.is_empty() {
            let mut all_in_name = true;
            for (w, finder, py) in &q.words {
                let w0 = letter_bit(w.as_bytes()[0]);
                let in_name = finder.find(k.name.as_bytes()).is_some()
                    || (*py
                        && w0 & ini.name_any != 0
                        && pinyin_match(&k.name_py, w.as_bytes(), false));
                if in_name {
                    continue;
                }
                all_in_name = false;
                let elsewhere = finder.find(k.text.as_bytes()).is_some()
                    || (*py
                        && w0 & ini.company_any != 0
                        && pinyin_match(&k.company_py, w.as_bytes(), false));
                if !elsewhere {
                    return None;
                }
            }
            return Some(if all_in_name { 1 } else { 2 });
        }
        None
    }
}

impl SearchIndex {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Gives back the spare capacity left by growing (a loaded index holds up to ~40 % more
    /// room than entries otherwise).
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
        self.initials.shrink_to_fit();
        self.by_id.shrink_to_fit();
    }

    /// Adds or replaces the entry with the same id.
    pub fn upsert(&mut self, entry: Entry) {
        self.changed();
        let ini = Initials::of(&entry.key);
        match self.by_id.get(&entry.summary.id) {
            Some(&i) => {
                self.entries[i] = entry;
                self.initials[i] = ini;
            }
            None => {
                self.by_id
                    .insert(entry.summary.id.clone(), self.entries.len());
                self.entries.push(entry);
                self.initials.push(ini);
            }
        }
    }

    pub fn remove(&mut self, id: &str) {
        if let Some(i) = self.by_id.remove(id) {
            self.changed();
            self.entries.swap_remove(i);
            self.initials.swap_remove(i);
            if let Some(moved) = self.entries.get(i) {
                self.by_id.insert(moved.summary.id.clone(), i);
            }
        }
    }

    /// Forget the cached orders (an entry was added, replaced or removed).
    fn changed(&mut self) {
        self.name_rank = OnceLock::new();
        self.orders = Default::default();
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id).map(|&i| &self.entries[i])
    }

    /// Cards matching `query`, best first; at most `limit` when given. An empty query
    /// matches nothing.
    pub fn search(&self, query: &str, limit: Option<usize>) -> Vec<CardSummary> {
        let Some(q) = Query::new(query) else {
            return Vec::new();
        };
        self.hits(&q, limit)
            .into_iter()
            .map(|(_, _, i)| self.entries[i].summary.clone())
            .collect()
    }

    /// (match rank, place in name order, entry) of every hit, best first; the `limit` best
    /// when given. The first two order the hits and are unique together, so an unstable sort
    /// gives one order.
    fn hits(&self, q: &Query, limit: Option<usize>) -> Vec<(u8, u32, usize)> {
        let name_rank = self.name_rank.get_or_init(|| self.name_ranks());
        let mut hits: Vec<(u8, u32, usize)> = self
            .entries
            .iter()
            .zip(self.initials.iter())
            .zip(name_rank.iter())
            .enumerate()
            .filter_map(|(i, ((e, ini), place))| e.rank(*ini, q).map(|r| (r, *place, i)))
            .collect();
        if let Some(n) = limit.filter(|n| *n > 0 && *n < hits.len()) {
            hits.select_nth_unstable(n - 1);
            hits.truncate(n);
        }
        hits.sort_unstable();
        if let Some(n) = limit {
            hits.truncate(n);
        }
        hits
    }

    /// One window of what the list shows: with a query (not only whitespace) its hits best
    /// first, as [`SearchIndex::search`] (`sort` does not apply); without one every card in
    /// `sort` order. `offset` past the end gives no rows; `total` is always the full count.
    pub fn window(&self, query: &str, sort: Sort, offset: usize, limit: usize) -> CardWindow {
        let picked: Vec<usize>;
        let total;
        match Query::new(query) {
            Some(q) => {
                let hits = self.hits(&q, None);
                total = hits.len();
                picked = hits
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map(|&(_, _, i)| i)
                    .collect();
            }
            None => {
                let order = self.orders[sort_slot(sort)].get_or_init(|| {
                    let mut v: Vec<&Entry> = self.entries.iter().collect();
                    sort_entries(&mut v, sort);
                    v.into_iter()
                        .map(|e| self.by_id[&e.summary.id] as u32)
                        .collect()
                });
                total = order.len();
                picked = order
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map(|&i| i as usize)
                    .collect();
            }
        }
        CardWindow {
            total,
            offset: offset.min(total),
            rows: picked
                .into_iter()
                .map(|i| self.entries[i].summary.clone())
                .collect(),
        }
    }

    /// Each entry's place when all are sorted by (`sort_key`, id).
    fn name_ranks(&self) -> Vec<u32> {
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        order.sort_unstable_by(|&a, &b| {
            let (a, b) = (&self.entries[a], &self.entries[b]);
            (&a.sort_key, &a.summary.id).cmp(&(&b.sort_key, &b.summary.id))
        });
        let mut rank = vec![0u32; order.len()];
        for (place, i) in order.into_iter().enumerate() {
            rank[i] = place as u32;
        }
        rank
    }

    /// Every card in the given order.
    pub fn list(&self, sort: Sort) -> Vec<CardSummary> {
        let mut v: Vec<&Entry> = self.entries.iter().collect();
        sort_entries(&mut v, sort);
        v.into_iter().map(|e| e.summary.clone()).collect()
    }

    /// Ids of every card in the given order.
    pub fn ids(&self, sort: Sort) -> Vec<String> {
        let mut v: Vec<&Entry> = self.entries.iter().collect();
        sort_entries(&mut v, sort);
        v.into_iter().map(|e| e.summary.id.clone()).collect()
    }
}

impl crate::Core {
    /// One window of what the card list shows: with a query (not only whitespace) its hits
    /// best first, as [`crate::Core::search`] (`sort` does not apply), else every card in
    /// `sort` order; the rows at `offset..offset + limit` and how many there are in all. The
    /// app asks for the rows in view only, so 10,000 cards cost a screenful of JSON per
    /// keystroke. Refused while the PIN lock is locked, as `search` and `summaries` are.
    pub async fn cards_window(
        &self,
        query: &str,
        sort: Sort,
        offset: usize,
        limit: usize,
    ) -> crate::Result<CardWindow> {
        // From the index: the list order is cached per sort and only the window is cloned.
        let db = self.unlocked().await?;
        db.window(query, sort, offset, limit).await
    }
}

fn sort_entries(v: &mut [&Entry], sort: Sort) {
    match sort {
        Sort::Name => {
            v.sort_by(|a, b| (&a.sort_key, &a.summary.id).cmp(&(&b.sort_key, &b.summary.id)))
        }
        Sort::Updated => v.sort_by(|a, b| {
            (b.summary.updated_at, &a.sort_key, &a.summary.id).cmp(&(
                a.summary.updated_at,
                &b.sort_key,
                &b.summary.id,
            ))
        }),
        Sort::Company => v.sort_by(|a, b| {
            (
                a.company_sort_key.is_empty(),
                &a.company_sort_key,
                &a.sort_key,
                &a.summary.id,
            )
                .cmp(&(
                    b.company_sort_key.is_empty(),
                    &b.company_sort_key,
                    &b.sort_key,
                    &b.summary.id,
                ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::readings_of;

    fn m(name: &str, q: &str, anchored: bool) -> bool {
        pinyin_match(&readings_of(name, true), q.as_bytes(), anchored)
    }

    #[test]
    fn pinyin_forms() {
        for q in [
            "zhangsanfeng",
            "zsf",
            "zhang",
            "zhangsf",
            "zhangsanf",
            "zs",
            "z",
            "zhsf",
        ] {
            assert!(m("张三丰", q, true), "{q}");
        }
        assert!(m("张三丰", "sanfeng", false));
        assert!(!m("张三丰", "sanfeng", true));
        assert!(!m("张三丰", "zhangsanfengx", false));
        assert!(!m("张三丰", "zsx", false));
        assert!(!m("张三丰", "li", false));
        // Polyphonic surname: surname reading and the others.
        assert!(m("单田芳", "shantianfang", true));
        assert!(m("单田芳", "dantianfang", true));
        assert!(m("曾国藩", "zengguofan", true));
    }

    #[test]
    fn rank_tells_prefix_from_later_match() {
        let r = |name: &str, q: &str| pinyin_rank(&readings_of(name, true), q.as_bytes());
        assert_eq!(r("张三丰", "zhang"), Some(0));
        assert_eq!(r("张三丰", "sf"), Some(1));
        assert_eq!(r("张三丰", "feng"), Some(1));
        assert_eq!(r("张三丰", "fengx"), None);
        // A later match first, then the prefix one: still rank 0.
        assert_eq!(r("王文", "w"), Some(0));
        assert_eq!(r("李王", "wang"), Some(1));
    }
}
