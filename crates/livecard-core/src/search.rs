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
//!
//! Memory: each card is held as one [`Packed`] — all its text (summary, keys, pinyin
//! readings) in one allocation — because 10,000 cards as separate `String`s and nested
//! vectors cost ~40 small allocations each, and glibc rounds every one up to 32 bytes or more
//! (docs/PERFORMANCE.md, "App with 10,000 cards").

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use memchr::memmem::Finder;

use crate::keys::{ReadingsRef, SearchKey};
use crate::model::{CardSummary, CardWindow, Sort, Source, Status};

/// One received card as the writers hand it to the index (which keeps it as a [`Packed`]).
#[derive(Debug, Clone)]
pub struct Entry {
    pub summary: CardSummary,
    pub key: SearchKey,
    pub sort_key: String,
    pub company_sort_key: String,
}

/// The text parts of a [`Packed`] card, in the order they are stored.
#[derive(Clone, Copy)]
enum Part {
    Id,
    Name,
    Company,
    Title,
    /// `SearchKey::name`.
    KeyName,
    /// `SearchKey::text`.
    Text,
    /// `SearchKey::digits`.
    Digits,
    SortKey,
    CompanySortKey,
    /// `SearchKey::name_py`, packed (`keys::Readings`).
    NamePy,
    /// `SearchKey::company_py`, packed.
    CompanyPy,
}

const PARTS: usize = Part::CompanyPy as usize + 1;

/// One card as the index holds it: every text part in one string, found by end offsets.
#[derive(Debug)]
struct Packed {
    text: Box<str>,
    ends: [u32; PARTS],
    tags: Box<[String]>,
    added_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    source: Source,
    status: Status,
    live: bool,
    changed: bool,
}

impl Packed {
    fn new(e: Entry) -> Packed {
        let s = &e.summary;
        let k = &e.key;
        let parts: [&str; PARTS] = [
            &s.id,
            &s.name,
            &s.company,
            &s.title,
            &k.name,
            &k.text,
            &k.digits,
            &e.sort_key,
            &e.company_sort_key,
            k.name_py.packed(),
            k.company_py.packed(),
        ];
        let mut text = String::with_capacity(parts.iter().map(|p| p.len()).sum());
        let mut ends = [0u32; PARTS];
        for (end, p) in ends.iter_mut().zip(parts) {
            text.push_str(p);
            *end = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        let Entry { summary, .. } = e;
        Packed {
            text: text.into_boxed_str(),
            ends,
            tags: summary.tags.into_boxed_slice(),
            added_at: summary.added_at,
            updated_at: summary.updated_at,
            source: summary.source,
            status: summary.status,
            live: summary.live,
            changed: summary.changed,
        }
    }

    #[inline]
    fn part(&self, p: Part) -> &str {
        let i = p as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..self.ends[i] as usize).unwrap_or("")
    }

    fn id(&self) -> &str {
        self.part(Part::Id)
    }

    fn sort_key(&self) -> &str {
        self.part(Part::SortKey)
    }

    fn readings(&self, p: Part) -> ReadingsRef<'_> {
        ReadingsRef::from_packed(self.part(p))
    }

    fn summary(&self) -> CardSummary {
        CardSummary {
            id: self.id().to_string(),
            name: self.part(Part::Name).to_string(),
            company: self.part(Part::Company).to_string(),
            title: self.part(Part::Title).to_string(),
            source: self.source,
            live: self.live,
            status: self.status,
            changed: self.changed,
            added_at: self.added_at,
            updated_at: self.updated_at,
            tags: self.tags.to_vec(),
        }
    }
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

fn mask<'a>(chars: impl Iterator<Item = crate::keys::CharReadings<'a>>) -> u32 {
    chars
        .flat_map(|c| c.iter())
        .filter_map(|r| r.first())
        .fold(0, |m, b| m | letter_bit(*b))
}

impl Initials {
    fn of(p: &Packed) -> Self {
        let name = p.readings(Part::NamePy);
        Initials {
            name_first: mask(name.chars().take(1)),
            name_any: mask(name.chars()),
            company_any: mask(p.readings(Part::CompanyPy).chars()),
        }
    }
}

/// All received cards, in memory, for search and list.
#[derive(Debug, Default)]
pub struct SearchIndex {
    entries: Vec<Packed>,
    initials: Vec<Initials>,
    /// Entry indexes sorted by id (binary search; no second copy of every id).
    by_id: Vec<u32>,
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
pub(crate) fn pinyin_match(readings: ReadingsRef<'_>, q: &[u8], anchored: bool) -> bool {
    match pinyin_rank(readings, q) {
        Some(0) => true,
        Some(_) => !anchored,
        None => false,
    }
}

/// One pass of the matcher: `Some(0)` when `q` matches from the first character, `Some(1)`
/// when it matches only from a later one, `None` when not at all.
pub(crate) fn pinyin_rank(readings: ReadingsRef<'_>, q: &[u8]) -> Option<u8> {
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
    let mut chars = readings.chars();
    let mut i = 0usize;
    while let Some(slot) = chars.next() {
        if i > 0 && !found_free {
            free |= 1;
        }
        i += 1;
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
            for rb in slot.iter() {
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
        if anchored == 0 && (found_free || (free == 0 && chars.is_done())) {
            break;
        }
    }
    found_free.then_some(1)
}

impl Packed {
    /// 0 = name prefix, 1 = name, 2 = other fields; None = no match.
    fn rank(&self, ini: Initials, q: &Query) -> Option<u8> {
        let name = self.part(Part::KeyName);
        let text = self.part(Part::Text);
        let q0 = q.compact.as_ref().map_or(0, |c| letter_bit(c[0]));
        let py_name_first = q0 & ini.name_first != 0;
        let py_name_any = q0 & ini.name_any != 0;
        if name.starts_with(&q.full) {
            return Some(0);
        }
        let name_found = q.finder.find(name.as_bytes()).is_some();
        if py_name_any {
            if let Some(c) = &q.compact {
                // A name substring ranks 1; pinyin can still make it a prefix match (0).
                if !name_found || py_name_first {
                    match pinyin_rank(self.readings(Part::NamePy), c) {
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
        if q.finder.find(text.as_bytes()).is_some() {
            return Some(2);
        }
        if let Some(d) = &q.digits {
            if self.part(Part::Digits).contains(d.as_str()) {
                return Some(2);
            }
        }
        if q0 & ini.company_any != 0 {
            if let Some(c) = &q.compact {
                if pinyin_match(self.readings(Part::CompanyPy), c, false) {
                    return Some(2);
                }
            }
        }
        if !q.words.is_empty() {
            let mut all_in_name = true;
            for (w, finder, py) in &q.words {
                let w0 = letter_bit(w.as_bytes()[0]);
                let in_name = finder.find(name.as_bytes()).is_some()
                    || (*py
                        && w0 & ini.name_any != 0
                        && pinyin_match(self.readings(Part::NamePy), w.as_bytes(), false));
                if in_name {
                    continue;
                }
                all_in_name = false;
                let elsewhere = finder.find(text.as_bytes()).is_some()
                    || (*py
                        && w0 & ini.company_any != 0
                        && pinyin_match(self.readings(Part::CompanyPy), w.as_bytes(), false));
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

    /// Where `id` is (`Ok`) or would go (`Err`) in `by_id`.
    fn find(&self, id: &str) -> Result<usize, usize> {
        self.by_id
            .binary_search_by(|&i| self.entries[i as usize].id().cmp(id))
    }

    /// Adds or replaces the entry with the same id.
    pub fn upsert(&mut self, entry: Entry) {
        self.changed();
        let p = Packed::new(entry);
        let ini = Initials::of(&p);
        match self.find(p.id()) {
            Ok(pos) => {
                let i = self.by_id[pos] as usize;
                self.entries[i] = p;
                self.initials[i] = ini;
            }
            Err(pos) => {
                // Loading inserts in id order, so at the end; a new card in the app moves
                // up to 10,000 `u32`s.
                self.by_id.insert(pos, self.entries.len() as u32);
                self.entries.push(p);
                self.initials.push(ini);
            }
        }
    }

    pub fn remove(&mut self, id: &str) {
        let Ok(pos) = self.find(id) else { return };
        self.changed();
        let i = self.by_id[pos] as usize;
        let last = self.entries.len() - 1;
        if i != last {
            // The last entry moves to `i` (swap_remove): point its `by_id` slot there first,
            // while every slot still names the entry it sorts by.
            if let Ok(lpos) = self.find(self.entries[last].id()) {
                self.by_id[lpos] = i as u32;
            }
        }
        self.by_id.remove(pos);
        self.entries.swap_remove(i);
        self.initials.swap_remove(i);
    }

    /// Forget the cached orders (an entry was added, replaced or removed).
    fn changed(&mut self) {
        self.name_rank = OnceLock::new();
        self.orders = Default::default();
    }

    /// The summary of the card with this id.
    pub fn get(&self, id: &str) -> Option<CardSummary> {
        let pos = self.find(id).ok()?;
        Some(self.entries[self.by_id[pos] as usize].summary())
    }

    /// Cards matching `query`, best first; at most `limit` when given. An empty query
    /// matches nothing.
    pub fn search(&self, query: &str, limit: Option<usize>) -> Vec<CardSummary> {
        let Some(q) = Query::new(query) else {
            return Vec::new();
        };
        self.hits(&q, limit)
            .into_iter()
            .map(|(_, _, i)| self.entries[i].summary())
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
                let order = self.orders[sort_slot(sort)].get_or_init(|| self.order(sort));
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
                .map(|i| self.entries[i].summary())
                .collect(),
        }
    }

    /// Each entry's place when all are sorted by (`sort_key`, id).
    fn name_ranks(&self) -> Vec<u32> {
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        order.sort_unstable_by(|&a, &b| {
            let (a, b) = (&self.entries[a], &self.entries[b]);
            (a.sort_key(), a.id()).cmp(&(b.sort_key(), b.id()))
        });
        let mut rank = vec![0u32; order.len()];
        for (place, i) in order.into_iter().enumerate() {
            rank[i] = place as u32;
        }
        rank
    }

    /// Entry indexes in the given order.
    fn order(&self, sort: Sort) -> Vec<u32> {
        let mut v: Vec<u32> = (0..self.entries.len() as u32).collect();
        let e = &self.entries;
        let at = |i: &u32| &e[*i as usize];
        match sort {
            Sort::Name => v.sort_by(|a, b| {
                (at(a).sort_key(), at(a).id()).cmp(&(at(b).sort_key(), at(b).id()))
            }),
            Sort::Updated => v.sort_by(|a, b| {
                let (a, b) = (at(a), at(b));
                (b.updated_at, a.sort_key(), a.id()).cmp(&(a.updated_at, b.sort_key(), b.id()))
            }),
            Sort::Company => {
                fn key(p: &Packed) -> (bool, &str, &str, &str) {
                    let c = p.part(Part::CompanySortKey);
                    (c.is_empty(), c, p.sort_key(), p.id())
                }
                v.sort_by(|a, b| key(at(a)).cmp(&key(at(b))))
            }
        }
        v
    }

    /// Every card in the given order.
    pub fn list(&self, sort: Sort) -> Vec<CardSummary> {
        self.order(sort)
            .into_iter()
            .map(|i| self.entries[i as usize].summary())
            .collect()
    }

    /// Ids of every card in the given order.
    pub fn ids(&self, sort: Sort) -> Vec<String> {
        self.order(sort)
            .into_iter()
            .map(|i| self.entries[i as usize].id().to_string())
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{readings_of, Readings};

    fn m(name: &str, q: &str, anchored: bool) -> bool {
        let r = Readings::from_nested(&readings_of(name, true));
        pinyin_match(r.view(), q.as_bytes(), anchored)
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

    fn entry(id: &str, name: &str, company: &str) -> Entry {
        let card = livecard_format::Card {
            given: name.to_string(),
            company: company.to_string(),
            ..Default::default()
        };
        let display = card.display_name();
        Entry {
            summary: CardSummary {
                id: id.to_string(),
                name: display.clone(),
                company: company.to_string(),
                title: String::new(),
                source: Source::Vcf,
                live: false,
                status: Status::Active,
                changed: false,
                added_at: DateTime::<Utc>::UNIX_EPOCH,
                updated_at: DateTime::<Utc>::UNIX_EPOCH,
                tags: vec![format!("tag-{id}")],
            },
            key: crate::keys::search_key(&card, &[], ""),
            sort_key: crate::keys::sort_key(&display, true),
            company_sort_key: crate::keys::sort_key(company, false),
        }
    }

    /// Adds, replaces and removes in a pseudo-random order against a map: every id is found
    /// (by `get`, by search) exactly while the map holds it, with its latest fields.
    #[test]
    fn upserts_and_removes_keep_every_id_findable() {
        let names = ["张伟", "王芳", "李娜", "John Doe", "欧阳明", "单田芳"];
        let mut model = std::collections::BTreeMap::new();
        let mut idx = SearchIndex::new();
        let mut x: u64 = 7;
        for step in 0..3000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let id = format!("id{:03}", (x >> 33) % 300);
            if (x >> 20).is_multiple_of(3) {
                idx.remove(&id);
                model.remove(&id);
            } else {
                let name = names[(x >> 40) as usize % names.len()];
                idx.upsert(entry(&id, name, "华为技术"));
                model.insert(id, (name, step));
            }
            assert_eq!(idx.len(), model.len());
        }
        for n in 0..300 {
            let id = format!("id{n:03}");
            match (idx.get(&id), model.get(&id)) {
                (Some(s), Some((name, _))) => {
                    assert_eq!(s.name, *name);
                    assert_eq!(s.tags, [format!("tag-{id}")]);
                }
                (None, None) => {}
                (got, want) => panic!("{id}: index {got:?}, model {want:?}"),
            }
        }
        let ids = idx.ids(Sort::Name);
        assert_eq!(ids.len(), model.len());
        let zw = idx.search("zhangwei", None);
        let want = model.values().filter(|(n, _)| *n == "张伟").count();
        assert_eq!(zw.len(), want);
        assert_eq!(idx.search("hwjs", None).len(), model.len());
        assert_eq!(
            idx.search("shantf", None).len(),
            model.values().filter(|(n, _)| *n == "单田芳").count()
        );
    }

    #[test]
    fn rank_tells_prefix_from_later_match() {
        let r = |name: &str, q: &str| {
            pinyin_rank(
                Readings::from_nested(&readings_of(name, true)).view(),
                q.as_bytes(),
            )
        };
        assert_eq!(r("张三丰", "zhang"), Some(0));
        assert_eq!(r("张三丰", "sf"), Some(1));
        assert_eq!(r("张三丰", "feng"), Some(1));
        assert_eq!(r("张三丰", "fengx"), None);
        // A later match first, then the prefix one: still rank 0.
        assert_eq!(r("王文", "w"), Some(0));
        assert_eq!(r("李王", "wang"), Some(1));
    }
}
