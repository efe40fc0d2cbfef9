//! Search over 10,000 generated cards (Chinese and Latin names) in a real SQLite store,
//! through the core.

use livecard_core::{CardSummary, Core, Sort, Source};
use livecard_format::vcard::Imported;
use livecard_format::{Card, Region};

struct Fixture {
    _dir: tempfile::TempDir,
    store: Core,
    zsf: String,
    stf: String,
    john: String,
}

fn planted(name: &str, mobile: &str, email: &str, company: &str, title: &str) -> Card {
    let (family, given) = livecard_format::card::split_name(name);
    Card {
        name: name.into(),
        family,
        given,
        mobile: vec![mobile.into()],
        email: vec![email.into()],
        company: company.into(),
        title: title.into(),
        ..Default::default()
    }
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Core::open(dir.path(), Region::default()).await.unwrap();
    let mut cards: Vec<(Card, Vec<String>)> = livecard_testdata::generate(10_000)
        .into_iter()
        .map(|c| (c, Vec::new()))
        .collect();
    cards.push((
        planted(
            "张三丰",
            "+8613812345678",
            "zsf@wudang.example",
            "武当派",
            "掌门",
        ),
        Vec::new(),
    ));
    cards.push((
        planted(
            "单田芳",
            "+8613712345678",
            "stf@pingshu.example",
            "评书社",
            "艺术家",
        ),
        Vec::new(),
    ));
    cards.push((
        planted(
            "John Appleseed",
            "+14155550123",
            "john.appleseed@orchard.example",
            "Orchard Inc",
            "Gardener",
        ),
        Vec::new(),
    ));
    let cards = cards
        .into_iter()
        .map(|(card, warnings)| Imported { card, warnings })
        .collect();
    let out = store.add_imported(cards, Source::Vcf).await.unwrap().added;
    assert_eq!(out.len(), 10_003);
    let id = |i: usize| out[i].id.clone();
    Fixture {
        zsf: id(10_000),
        stf: id(10_001),
        john: id(10_002),
        _dir: dir,
        store,
    }
}

async fn ids(f: &Fixture, q: &str) -> Vec<String> {
    f.store
        .search(q, None)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect()
}

async fn hits(f: &Fixture, q: &str) -> Vec<CardSummary> {
    f.store.search(q, None).await.unwrap()
}

#[tokio::test]
async fn search_over_ten_thousand_cards() {
    let f = fixture().await;
    let total = 10_003;

    // Full pinyin, with and without spaces, any case: exactly the planted card.
    for q in [
        "zhangsanfeng",
        "zhang san feng",
        "ZhangSanFeng",
        "zhang san",
    ] {
        let r = ids(&f, q).await;
        assert_eq!(r.first(), Some(&f.zsf), "{q}: {r:?}");
    }
    assert_eq!(ids(&f, "zhangsanfeng").await, vec![f.zsf.clone()]);

    // Initials and mixes.
    for q in ["zsf", "ZSF", "zhangsf", "zhangsanf"] {
        let r = ids(&f, q).await;
        assert!(r.contains(&f.zsf), "{q}");
        assert!(r.len() < 50, "{q}: {} hits", r.len());
    }
    assert_eq!(ids(&f, "zhangsf").await, vec![f.zsf.clone()]);

    // Partial pinyin "zhang": the planted 张 and no name without a zhang reading first.
    let r = hits(&f, "zhang").await;
    assert!(r.iter().any(|s| s.id == f.zsf));
    assert!(r[0].name.starts_with('张'), "{}", r[0].name);

    // Chinese substring.
    assert_eq!(ids(&f, "张三").await, vec![f.zsf.clone()]);
    assert_eq!(ids(&f, "三丰").await, vec![f.zsf.clone()]);
    // Given-name pinyin from the middle of the name.
    assert!(ids(&f, "sanfeng").await.contains(&f.zsf));

    // Polyphonic surname: surname reading and the common one.
    for q in ["shantianfang", "stf", "dantianfang"] {
        assert!(ids(&f, q).await.contains(&f.stf), "{q}");
    }
    // 曾 as a surname reads zeng: every generated 曾 card is found by "zeng".
    let zeng = hits(&f, "zeng").await;
    assert!(zeng.iter().filter(|s| s.name.starts_with('曾')).count() > 100);

    // Phone digits with or without the country code and separators.
    for q in [
        "13812345678",
        "+86 138 1234 5678",
        "8613812345678",
        "138-1234-5678",
        "812345678",
    ] {
        assert_eq!(ids(&f, q).await, vec![f.zsf.clone()], "{q}");
    }
    // A generated card by its mobile (card 4242 → +8613900004242).
    let r = hits(&f, "13900004242").await;
    assert_eq!(r.len(), 1);

    // Email and company, title.
    assert_eq!(ids(&f, "zsf@wudang").await, vec![f.zsf.clone()]);
    assert_eq!(ids(&f, "user4242@example.com").await.len(), 1);
    assert_eq!(ids(&f, "武当").await, vec![f.zsf.clone()]);
    assert_eq!(ids(&f, "wudang").await, vec![f.zsf.clone()]);
    assert_eq!(ids(&f, "掌门").await, vec![f.zsf.clone()]);
    let eng = hits(&f, "Engineer").await.len();
    assert!(eng > 500 && eng < total, "{eng}");

    // Latin names: prefix, substring, words in any order, case.
    assert_eq!(ids(&f, "John Apple").await, vec![f.john.clone()]);
    assert_eq!(ids(&f, "appleseed john").await, vec![f.john.clone()]);
    assert_eq!(ids(&f, "APPLESEED").await, vec![f.john.clone()]);
    assert_eq!(ids(&f, "orchard").await, vec![f.john.clone()]);
    assert_eq!(ids(&f, "4155550123").await, vec![f.john.clone()]);

    // Ranking: name prefix first. "li": names whose first syllable starts with li (李, 林,
    // 刘, 梁, Linda, Lee…) before names that only contain "li" (Alice, Oliver, Williams).
    let starts_li = |name: &str| {
        name.to_lowercase().starts_with("li")
            || livecard_core::keys::readings_of(name, true)
                .first()
                .is_some_and(|r| r.iter().any(|x| x.starts_with("li")))
    };
    let r = hits(&f, "li").await;
    let first_non_prefix = r.iter().position(|s| !starts_li(&s.name)).unwrap();
    assert!(first_non_prefix > 100, "{first_non_prefix}");
    assert!(r[first_non_prefix..].iter().all(|s| !starts_li(&s.name)));
    assert!(r[first_non_prefix..]
        .iter()
        .any(|s| s.name.starts_with("Alice")));

    // Nothing and everything.
    assert!(hits(&f, "").await.is_empty());
    assert!(hits(&f, "   ").await.is_empty());
    assert!(hits(&f, "qqqqxxxx").await.is_empty());
    assert!(hits(&f, "zhangsanfengx").await.is_empty());
    assert_eq!(f.store.search("wang", Some(5)).await.unwrap().len(), 5);

    // Results carry what the list shows.
    let s = &hits(&f, "zhangsanfeng").await[0];
    assert_eq!(
        (s.name.as_str(), s.company.as_str(), s.title.as_str()),
        ("张三丰", "武当派", "掌门")
    );
    assert!(!s.changed);

    // The list in pinyin order: every sort key non-decreasing, 张三丰 under Z.
    let list = f.store.summaries(Sort::Name).await.unwrap();
    assert_eq!(list.len(), total);
    let pos = |id: &str| list.iter().position(|s| s.id == id).unwrap();
    let z_first = list
        .iter()
        .position(|s| {
            s.name.starts_with('张') || s.name.starts_with('赵') || s.name.starts_with('Z')
        })
        .unwrap_or(list.len());
    assert!(pos(&f.zsf) >= z_first);
    assert!(pos(&f.john) < pos(&f.zsf));

    // Search still right after edits (index kept in step), and after reopening.
    f.store.delete(&f.zsf).await.unwrap();
    assert!(hits(&f, "zhangsanfeng").await.is_empty());
    let dir = f._dir.path().to_path_buf();
    let reopened = Core::open(&dir, Region::default()).await.unwrap();
    assert_eq!(
        reopened.search("shantianfang", None).await.unwrap()[0].id,
        f.stf
    );
    assert!(reopened
        .search("zhangsanfeng", None)
        .await
        .unwrap()
        .is_empty());
}

/// Ids of `q`'s hits, in order.
async fn search_ids(store: &Core, q: &str, limit: Option<usize>) -> Vec<String> {
    store
        .search(q, limit)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect()
}

/// Hits of equal rank come in name order, also after cards are added and removed between
/// searches (the index keeps a name order that every write must invalidate), and a limit
/// gives the first hits of the same order.
#[tokio::test]
async fn hits_stay_in_name_order_across_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Core::open(dir.path(), Region::default()).await.unwrap();
    let add = |name: &'static str, mobile: &'static str| {
        let store = &store;
        async move {
            let card = planted(name, mobile, "w@example.com", "", "");
            let imported = vec![Imported {
                card,
                warnings: Vec::new(),
            }];
            store
                .add_imported(imported, Source::Vcf)
                .await
                .unwrap()
                .added
                .remove(0)
                .id
        }
    };
    // The order `wang` hits must come in: the name order of the list, restricted to them
    // (all are prefix matches, so they share one rank).
    let expect = |list: Vec<CardSummary>, hits: &[String]| -> Vec<String> {
        list.into_iter()
            .map(|s| s.id)
            .filter(|id| hits.contains(id))
            .collect()
    };
    add("王伟", "+8613900000001").await;
    add("Wang Zoe", "+8613900000002").await;
    add("王安", "+8613900000003").await;
    add("李明", "+8613900000004").await;
    let first: Vec<String> = search_ids(&store, "wang", None).await;
    assert_eq!(first.len(), 3, "{first:?}");
    let list = store.summaries(Sort::Name).await.unwrap();
    assert_eq!(first, expect(list, &first));

    // A card added after the first search lands in its place; one removed is gone.
    let wa = add("汪阿", "+8613900000005").await;
    let second: Vec<String> = search_ids(&store, "wang", None).await;
    assert_eq!(second.len(), 4, "{second:?}");
    assert!(second.contains(&wa));
    let list = store.summaries(Sort::Name).await.unwrap();
    assert_eq!(second, expect(list, &second));
    assert_ne!(second.last(), Some(&wa), "汪阿 sorts before Wang Zoe");

    store.delete(&second[0]).await.unwrap();
    let third: Vec<String> = search_ids(&store, "wang", None).await;
    assert_eq!(third, second[1..].to_vec());

    let limited: Vec<String> = search_ids(&store, "wang", Some(2)).await;
    assert_eq!(limited, third[..2].to_vec());
}
