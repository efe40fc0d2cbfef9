//! Property tests of the sync decision (`livecard_core::decide`, issue 14 item 2): random held
//! copies and incoming records over versions, signatures, pinned keys, revocation, deletion,
//! secrets and partial copies; then real sealed records (signed, tampered, read with the right
//! or a reset secret) through the same function. Plus a snapshot of the refusal codes and of
//! the messages they have always printed.

use livecard_core::decide::{
    decide, decide_gone, pins_key, Decision, Held, HeldCard, Incoming, Refusal, Secret, Tomb,
    REFUSAL_CODES,
};
use livecard_core::i18n::Lang;
use livecard_core::Status;
use livecard_format::crypto::{self, CardKeys, ShareSecret};
use livecard_format::wire::{RecordError, MAX_VERSION};
use livecard_format::Card;
use proptest::prelude::*;

const KEY: [u8; 32] = [1; 32];
const OTHER_KEY: [u8; 32] = [2; 32];

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![
        Just(Status::Active),
        Just(Status::Revoked),
        Just(Status::Deleted)
    ]
}

/// Versions that collide often (equal, one apart) as well as far apart.
fn version() -> impl Strategy<Value = i64> {
    prop_oneof![0i64..6, 1i64..=MAX_VERSION as i64]
}

fn held() -> impl Strategy<Value = Held> {
    let pinned = prop_oneof![
        Just(None),
        Just(Some(KEY.to_vec())),
        Just(Some(OTHER_KEY.to_vec())),
        Just(Some(vec![7u8; 5])),
    ];
    let card = proptest::option::of((version(), any::<bool>(), status()).prop_map(
        |(version, partial, status)| HeldCard {
            version,
            partial,
            status,
        },
    ));
    (pinned, card).prop_map(|(pinned_key, card)| Held { pinned_key, card })
}

fn record_error() -> impl Strategy<Value = RecordError> {
    prop_oneof![
        Just(RecordError::BadSignature),
        Just(RecordError::BadPublicKey),
        Just(RecordError::KeyMismatch {
            id: "AAAAAAAAAAAAAAAA".into(),
            expected: "BBBBBBBBBBBBBBBB".into()
        }),
        Just(RecordError::TooShort),
        (0u64..3).prop_map(RecordError::VersionOutOfRange),
    ]
}

/// A card that keeps the limits, or one whose name is far over them.
fn card() -> impl Strategy<Value = Card> {
    any::<bool>().prop_map(|over| {
        let name = if over {
            "长".repeat(10_000)
        } else {
            "张三".into()
        };
        Card {
            name,
            ..Card::default()
        }
    })
}

fn incoming() -> impl Strategy<Value = Incoming> {
    let verified = prop_oneof![4 => Just(Ok(())), 1 => record_error().prop_map(Err)];
    let secret = prop_oneof![
        Just(Secret::Missing),
        Just(Secret::Stored),
        any::<bool>().prop_map(|new| Secret::Given { new }),
    ];
    let opened = prop_oneof![
        3 => card().prop_map(Ok),
        1 => Just(Err(RecordError::DecryptFailed)),
        1 => Just(Err(RecordError::BadPlaintext("not JSON".into()))),
    ];
    (
        version(),
        prop_oneof![Just(KEY), Just(OTHER_KEY)],
        verified,
        secret,
        any::<bool>(),
        any::<bool>(),
        opened,
    )
        .prop_map(
            |(v, public_key, verified, secret, partial, server_known, opened)| Incoming {
                version: v as u64,
                public_key,
                verified,
                // There is something to read the record with exactly when a secret exists.
                opened: (secret != Secret::Missing).then_some(opened),
                secret,
                partial,
                server_known,
            },
        )
}

fn pinned_differs(held: &Held, key: &[u8; 32]) -> bool {
    held.pinned_key
        .as_ref()
        .is_some_and(|p| p.as_slice() != key.as_slice())
}

fn accepts(d: &Decision) -> bool {
    matches!(
        d,
        Decision::Add | Decision::Update { .. } | Decision::Revoke
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// Decide is total (a panic fails the test) and deterministic.
    #[test]
    fn decide_is_total_and_deterministic(h in held(), i in incoming()) {
        prop_assert_eq!(decide(&h, &i), decide(&h, &i));
    }

    /// Nothing that fails verification is ever accepted, and the refusal names the fault.
    #[test]
    fn never_accepts_a_record_that_does_not_verify(h in held(), i in incoming()) {
        if let Err(e) = &i.verified {
            prop_assert_eq!(decide(&h, &i), Decision::Refuse(Refusal::from_record_error(e)));
        }
    }

    /// Never accepts a record whose key differs from the pinned one.
    #[test]
    fn never_accepts_a_key_other_than_the_pinned_one(h in held(), i in incoming()) {
        if i.verified.is_ok() && pinned_differs(&h, &i.public_key) {
            prop_assert_eq!(decide(&h, &i), Decision::Refuse(Refusal::KeyChanged));
        }
    }

    /// Never accepts a lower version than the one held (no rollback), and says so.
    #[test]
    fn never_accepts_a_lower_version(h in held(), i in incoming()) {
        let d = decide(&h, &i);
        if let Some(c) = h.card {
            if (i.version as i64) < c.version {
                prop_assert!(matches!(d, Decision::Refuse(_)), "{:?}", d);
                if i.verified.is_ok() && !pinned_differs(&h, &i.public_key)
                    && i.secret != Secret::Missing
                {
                    prop_assert_eq!(d, Decision::Refuse(Refusal::Rollback {
                        version: i.version as i64,
                        held: c.version,
                    }));
                }
            }
        }
    }

    /// An accepted update has a higher version, or an equal one that completes a partial
    /// copy or re-reads a revoked card under a new secret; it is a readable card within the
    /// limits, and the change history is kept only when the held copy was complete.
    #[test]
    fn an_update_is_newer_or_completes_or_rereads(h in held(), i in incoming()) {
        if let Decision::Update { record_changes } = decide(&h, &i) {
            let c = h.card.expect("an update needs a held card");
            let v = i.version as i64;
            let completes = c.partial && !i.partial;
            let rereads = i.secret == Secret::Given { new: true } && c.status != Status::Active;
            prop_assert!(v > c.version || (v == c.version && (completes || rereads)));
            prop_assert!(c.status != Status::Deleted, "a deleted card no longer updates");
            prop_assert!(i.verified.is_ok() && !pinned_differs(&h, &i.public_key));
            let card = i.opened.as_ref().and_then(|o| o.as_ref().ok()).expect("readable");
            prop_assert!(card.validate(&livecard_format::Limits::DEFAULT).is_ok());
            prop_assert_eq!(record_changes, !c.partial);
        }
    }

    /// An equal version with nothing to complete or re-read changes nothing.
    #[test]
    fn an_equal_version_changes_nothing_otherwise(h in held(), i in incoming()) {
        if let (Some(c), Ok(()), Some(_)) = (h.card, &i.verified, &i.opened) {
            let same = i.version as i64 == c.version;
            let completes = c.partial && !i.partial;
            let rereads = i.secret == Secret::Given { new: true } && c.status != Status::Active;
            if same && !completes && !rereads && !pinned_differs(&h, &i.public_key) {
                prop_assert_eq!(decide(&h, &i), Decision::Unchanged);
            }
        }
    }

    /// Revocation: only an active card, only for a newer verified record that no longer
    /// decrypts; an old secret on a card that is not active is a refusal, not a revocation.
    #[test]
    fn revokes_only_an_active_card_on_a_newer_unreadable_record(h in held(), i in incoming()) {
        let d = decide(&h, &i);
        if d == Decision::Revoke {
            let c = h.card.expect("held");
            prop_assert_eq!(c.status, Status::Active);
            prop_assert!(i.version as i64 > c.version);
            prop_assert!(matches!(i.opened, Some(Err(RecordError::DecryptFailed))));
        }
        if let (Some(c), Some(Err(RecordError::DecryptFailed)), Ok(())) =
            (h.card, &i.opened, &i.verified)
        {
            if !pinned_differs(&h, &i.public_key) && c.status == Status::Revoked
                && i.version as i64 > c.version
            {
                prop_assert_eq!(d, Decision::Refuse(Refusal::LinkReset));
            }
        }
    }

    /// Adding: only when nothing is held, the record is readable, keeps the limits and its
    /// server is known; a new card never revokes, updates or stays unchanged.
    #[test]
    fn adds_only_a_new_readable_card_with_a_server(h in held(), i in incoming()) {
        let d = decide(&h, &i);
        if d == Decision::Add {
            prop_assert!(h.card.is_none() && i.server_known && i.verified.is_ok());
            prop_assert!(matches!(&i.opened, Some(Ok(c))
                if c.validate(&livecard_format::Limits::DEFAULT).is_ok()));
        }
        if h.card.is_none() {
            prop_assert!(matches!(d, Decision::Add | Decision::Refuse(_)), "{:?}", d);
        }
    }

    /// The first valid key seen is pinned, whatever is decided next; a pinned key is never
    /// replaced, and an unverified one never pinned.
    #[test]
    fn pins_only_the_first_verified_key(h in held(), i in incoming()) {
        prop_assert_eq!(
            pins_key(&h, &i.verified),
            i.verified.is_ok() && h.pinned_key.is_none()
        );
        if accepts(&decide(&h, &i)) {
            prop_assert!(!pinned_differs(&h, &i.public_key));
        }
    }

    /// Tombstones: only a verified one from the pinned key deletes, and only a card held and
    /// not yet deleted.
    #[test]
    fn a_tombstone_deletes_only_when_verified_from_the_pinned_key(
        h in held(),
        key in prop_oneof![Just(KEY), Just(OTHER_KEY)],
        verified in prop_oneof![Just(Ok(())), record_error().prop_map(Err)],
    ) {
        let t = Tomb { public_key: key, verified };
        let d = decide_gone(&h, &t);
        match &t.verified {
            Err(e) => prop_assert_eq!(d, Decision::Refuse(Refusal::from_record_error(e))),
            Ok(()) if pinned_differs(&h, &key) => {
                prop_assert_eq!(d, Decision::Refuse(Refusal::KeyChanged))
            }
            Ok(()) => prop_assert_eq!(
                d,
                if h.card.is_some_and(|c| c.status != Status::Deleted) {
                    Decision::Gone
                } else {
                    Decision::Unchanged
                }
            ),
        }
    }

    /// Every refusal survives its JSON form (the stored `last_refusal`) and renders words in
    /// both languages.
    #[test]
    fn refusals_round_trip_and_have_words(
        r in prop_oneof![
            Just(Refusal::BadSignature), Just(Refusal::KeyChanged), Just(Refusal::LinkReset),
            ".{0,40}".prop_map(|detail| Refusal::BadRecord { detail }),
            ".{0,40}".prop_map(|text| Refusal::Other { text }),
            (1i64..=MAX_VERSION as i64, 1i64..=MAX_VERSION as i64)
                .prop_map(|(version, held)| Refusal::Rollback { version, held }),
        ]
    ) {
        let json = serde_json::to_string(&r).unwrap();
        prop_assert_eq!(serde_json::from_str::<Refusal>(&json).unwrap(), r.clone());
        let tagged = json.contains(&format!("\"code\":\"{}\"", r.code()));
        prop_assert!(tagged, "{}", json);
        for lang in [Lang::En, Lang::Zh] {
            let text = r.text(lang);
            prop_assert!(!text.starts_with("refusal."), "no catalogue row: {}", text);
            let unfilled = text.contains("{version}") || text.contains("{held}");
            prop_assert!(!unfilled, "{}", text);
        }
    }
}

/// A signed record of `card` at version `v` with fresh keys.
fn sealed(keys: &CardKeys, secret: &ShareSecret, v: u64) -> livecard_format::wire::SealedRecord {
    let c = Card {
        name: "李四".into(),
        ..Card::default()
    };
    crypto::seal(&c, keys, secret, v).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Real records: the facts come from `SealedRecord::verify` and `crypto::open`, as sync
    /// gathers them. Tampered signatures are refused; a reset secret revokes an active card
    /// only for a newer version; a lower version is refused; the right secret updates.
    #[test]
    fn real_records_decide_as_the_rules_say(
        held_v in 1u64..5,
        v in 1u64..7,
        tamper in any::<bool>(),
        reset in any::<bool>(),
        st in status(),
    ) {
        let keys = CardKeys::generate();
        let secret = ShareSecret::generate();
        let mut rec = sealed(&keys, &secret, v);
        if tamper {
            rec.signature[3] ^= 0x40;
        }
        let read_with = if reset { ShareSecret::generate() } else { secret.clone() };
        let held = Held {
            pinned_key: Some(rec.public_key.to_vec()),
            card: Some(HeldCard { version: held_v as i64, partial: false, status: st }),
        };
        let verified = rec.verify();
        let inc = Incoming {
            version: rec.version,
            public_key: rec.public_key,
            opened: verified.is_ok().then(|| crypto::open(&rec, &read_with)),
            verified,
            secret: Secret::Stored,
            partial: false,
            server_known: false,
        };
        let d = decide(&held, &inc);
        let want = if tamper {
            Decision::Refuse(Refusal::BadSignature)
        } else if v < held_v {
            Decision::Refuse(Refusal::Rollback { version: v as i64, held: held_v as i64 })
        } else if v == held_v {
            Decision::Unchanged
        } else if st == Status::Deleted {
            Decision::Refuse(Refusal::Deleted)
        } else if reset && st == Status::Active {
            Decision::Revoke
        } else if reset {
            Decision::Refuse(Refusal::LinkReset)
        } else {
            Decision::Update { record_changes: true }
        };
        prop_assert_eq!(d, want);
    }
}

/// The codes are a contract (stored in databases, sent in JSON): they never change. And the
/// messages are exactly what the CLI and the JSON answers printed before codes existed.
#[test]
fn refusal_codes_and_messages_are_stable() {
    let all = [
        (Refusal::BadSignature, "refused: bad signature / 签名无效"),
        (
            Refusal::KeyMismatch,
            "refused: the card's key does not match its id / 密钥不符",
        ),
        (
            Refusal::BadRecord {
                detail: "ciphertext shorter than the 16-byte tag".into(),
            },
            "refused: ciphertext shorter than the 16-byte tag",
        ),
        (
            Refusal::KeyChanged,
            "refused: the card's public key changed since first seen / 公钥已变更",
        ),
        (Refusal::NoSecret, "no share secret for this card"),
        (
            Refusal::Unreadable,
            "cannot read the card: the link's secret is wrong or was reset by its owner / 链接已失效",
        ),
        (
            Refusal::BreaksLimits {
                detail: "invalid card: name: too long".into(),
            },
            "refused: card breaks the limits: invalid card: name: too long",
        ),
        (Refusal::NoServer, "no server known for this card"),
        (
            Refusal::Rollback {
                version: 1,
                held: 2,
            },
            "refused: version 1 is older than the version 2 held here (rollback) / 拒绝旧版本",
        ),
        (
            Refusal::Deleted,
            "the owner deleted this card; it no longer updates / 名片已删除",
        ),
        (
            Refusal::LinkReset,
            "the link's secret no longer reads this card: the owner reset the link / 链接已失效",
        ),
        (Refusal::Gone, "the owner deleted this card / 名片已被删除"),
        (
            Refusal::PublishedDeleted {
                id: "ABCDEFGHIJKLMNOP".into(),
            },
            "card ABCDEFGHIJKLMNOP was deleted on the server; it cannot be published again (publish a new card) / 名片已在服务器删除",
        ),
        (
            Refusal::NewerUnreadable {
                detail: "decryption failed: wrong share secret or tampered record".into(),
            },
            "cannot read the server's newer version (decryption failed: wrong share secret or tampered record): another device reset the link; import its keys (`livecard keys import`)",
        ),
        (
            Refusal::Other {
                text: "an old sentence / 旧句子".into(),
            },
            "an old sentence / 旧句子",
        ),
    ];
    let codes: Vec<&str> = all.iter().map(|(r, _)| r.code()).collect();
    assert_eq!(
        codes, REFUSAL_CODES,
        "every refusal is listed once, in order"
    );
    assert_eq!(
        REFUSAL_CODES,
        [
            "bad_signature",
            "key_mismatch",
            "bad_record",
            "key_changed",
            "no_secret",
            "unreadable",
            "breaks_limits",
            "no_server",
            "rollback",
            "deleted",
            "link_reset",
            "gone",
            "published_deleted",
            "newer_unreadable",
            "other",
        ]
    );
    for (r, message) in &all {
        assert_eq!(r.to_string(), *message, "{}", r.code());
        // Words in both languages from the catalogue, for the app to show.
        let (en, zh) = (r.text(Lang::En), r.text(Lang::Zh));
        assert!(!en.is_empty() && !zh.is_empty(), "{}", r.code());
        assert!(!en.starts_with("refusal.") && !zh.starts_with("refusal."));
    }
    assert_eq!(
        serde_json::to_string(&Refusal::Rollback {
            version: 3,
            held: 5
        })
        .unwrap(),
        r#"{"code":"rollback","version":3,"held":5}"#
    );
    assert_eq!(
        serde_json::to_string(&Refusal::KeyChanged).unwrap(),
        r#"{"code":"key_changed"}"#
    );
    assert_eq!(
        Refusal::Rollback {
            version: 3,
            held: 5
        }
        .text(Lang::Zh),
        "拒绝旧版本"
    );
}
