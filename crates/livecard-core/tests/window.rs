//! `Core::cards_window` (issue 15): the windowed card list's one data path, over a real SQLite
//! store with 1,000 imported cards.

use std::sync::Arc;

use livecard_core::keystore::MemoryStore;
use livecard_core::{Core, Sort};
use livecard_format::Region;

const N: usize = 1_000;

fn vcf(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let name = if i % 2 == 0 {
            format!("张伟{i:04}")
        } else {
            format!("Walker {i:04}")
        };
        s.push_str(&format!(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nORG:Company {c}\r\n\
             TEL;TYPE=CELL:+86139{i:08}\r\nEND:VCARD\r\n",
            c = i % 7
        ));
    }
    s
}

async fn core_with_cards(dir: &std::path::Path) -> Core {
    let core = Core::open(dir, Region::default())
        .await
        .expect("open core")
        .with_secrets(Arc::new(MemoryStore::new()));
    let report = core.add_contacts(vcf(N).as_bytes()).await.expect("import");
    assert_eq!(report.added.len(), N);
    core
}

fn ids(rows: &[livecard_core::CardSummary]) -> Vec<String> {
    rows.iter().map(|r| r.id.clone()).collect()
}

#[tokio::test]
async fn windows_of_the_list_are_slices_of_the_full_order() {
    let dir = tempfile::tempdir().unwrap();
    let core = core_with_cards(dir.path()).await;
    for sort in [Sort::Name, Sort::Updated, Sort::Company] {
        let all = ids(&core.summaries(sort).await.unwrap());
        assert_eq!(all.len(), N);
        let mut stitched = Vec::new();
        let mut offset = 0;
        while offset < N {
            let w = core.cards_window("", sort, offset, 64).await.unwrap();
            assert_eq!(w.total, N, "{sort:?}");
            assert_eq!(w.offset, offset);
            assert!(w.rows.len() <= 64);
            stitched.extend(ids(&w.rows));
            offset += 64;
        }
        assert_eq!(
            stitched, all,
            "pages of {sort:?} put together are the whole list"
        );
        // Only whitespace is no query.
        let w = core.cards_window("  \t", sort, 10, 5).await.unwrap();
        assert_eq!(ids(&w.rows), all[10..15].to_vec());
    }
}

#[tokio::test]
async fn windows_of_a_search_follow_its_ranking_and_the_total_counts_every_hit() {
    let dir = tempfile::tempdir().unwrap();
    let core = core_with_cards(dir.path()).await;
    for q in [
        "walker",
        "zhang",
        "zw",
        "company 3",
        "13900000",
        "nobody here",
    ] {
        let hits = ids(&core.search(q, None).await.unwrap());
        let w = core.cards_window(q, Sort::Company, 0, 30).await.unwrap();
        assert_eq!(w.total, hits.len(), "{q}");
        assert_eq!(ids(&w.rows), hits[..hits.len().min(30)].to_vec(), "{q}");
        if hits.len() > 30 {
            let w2 = core.cards_window(q, Sort::Name, 30, 30).await.unwrap();
            assert_eq!(ids(&w2.rows), hits[30..hits.len().min(60)].to_vec(), "{q}");
        }
    }
    assert_eq!(
        core.cards_window("walker", Sort::Name, 0, 1)
            .await
            .unwrap()
            .total,
        N / 2
    );
}

#[tokio::test]
async fn a_window_past_the_end_is_empty_and_a_write_shows_in_the_next_window() {
    let dir = tempfile::tempdir().unwrap();
    let core = core_with_cards(dir.path()).await;
    let w = core.cards_window("", Sort::Name, N + 5, 50).await.unwrap();
    assert_eq!((w.total, w.offset, w.rows.len()), (N, N, 0));
    let w = core.cards_window("", Sort::Name, N - 3, 50).await.unwrap();
    assert_eq!(w.rows.len(), 3);
    let w = core.cards_window("", Sort::Name, 0, 0).await.unwrap();
    assert_eq!((w.total, w.rows.len()), (N, 0));

    // A delete: the cached order is rebuilt, the total drops, the card is gone.
    let first = core.cards_window("", Sort::Name, 0, 1).await.unwrap().rows[0].clone();
    core.delete(&first.id).await.unwrap();
    let w = core.cards_window("", Sort::Name, 0, 1).await.unwrap();
    assert_eq!(w.total, N - 1);
    assert_ne!(w.rows[0].id, first.id);
}

#[tokio::test]
async fn a_locked_core_gives_no_window() {
    let dir = tempfile::tempdir().unwrap();
    let core = core_with_cards(dir.path()).await;
    core.set_pin("2468", None).await.unwrap();
    core.lock_now().await.unwrap();
    let err = core.cards_window("", Sort::Name, 0, 50).await.unwrap_err();
    assert_eq!(err.kind(), "locked", "{err}");
}

/// The app's launch prefetch (`Core::prefetch_list`) loads the index the first window then
/// uses; both at once load it once and agree with a window of a fresh core.
#[tokio::test]
async fn a_prefetch_at_launch_serves_the_first_window() {
    let dir = tempfile::tempdir().unwrap();
    core_with_cards(dir.path()).await.close().await;
    let core = Core::open(dir.path(), Region::default())
        .await
        .unwrap()
        .with_secrets(Arc::new(MemoryStore::new()));
    let (pre, first) = tokio::join!(
        core.prefetch_list(),
        core.cards_window("", Sort::Name, 0, 50)
    );
    pre.unwrap();
    let first = first.unwrap();
    assert_eq!(first.total, N);
    let again = core.cards_window("", Sort::Name, 0, 50).await.unwrap();
    assert_eq!(ids(&first.rows), ids(&again.rows));
    // A PIN set: the prefetch reads no card data and is no error.
    core.set_pin("2468", None).await.unwrap();
    let locked = Core::open(dir.path(), Region::default())
        .await
        .unwrap()
        .with_secrets(core.secrets().clone());
    locked.prefetch_list().await.unwrap();
    assert_eq!(
        locked
            .cards_window("", Sort::Name, 0, 50)
            .await
            .unwrap_err()
            .kind(),
        "locked"
    );
}

/// Closing checkpoints the WAL into the database: an import of many cards leaves no WAL for
/// the next open (the app's launch) to read.
#[tokio::test]
async fn closing_leaves_no_wal_behind() {
    let dir = tempfile::tempdir().unwrap();
    let core = core_with_cards(dir.path()).await;
    let wal = dir.path().join("livecard.sqlite-wal");
    let before = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert!(
        before > 100_000,
        "the import wrote through the WAL ({before} B)"
    );
    core.close().await;
    let after = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(after, 0, "WAL after close");
    // Nothing was lost: the cards are in the database file.
    let core = Core::open(dir.path(), Region::default())
        .await
        .unwrap()
        .with_secrets(Arc::new(MemoryStore::new()));
    assert_eq!(
        core.cards_window("", Sort::Name, 0, 1).await.unwrap().total,
        N
    );
}
