//! "The server only ever holds ciphertext" (PROTOCOL.md §4), checked on the dependency graph
//! rather than on words in the sources: the server's normal and build dependency closure (what
//! its binary can link, whatever features other workspace members turn on) holds no crate that
//! can seal, open or keep a card's secrets — not livecard-format (ShareSecret, CardKeys,
//! seal/open), not the client core, not x25519 / AES-GCM / Argon2 / a keystore. The
//! compiler does the rest: a name from those crates does not resolve in the server.
//!
//! A control runs the same walk from livecard-core and must find them, so a broken walk cannot
//! pass.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

/// Crates that hold card keys or secrets, or can decrypt a card. (Not HKDF: PostgreSQL's
/// SCRAM login in sqlx uses it, and a card cannot be opened without AES-GCM.)
const SECRET_HOLDERS: [&str; 8] = [
    "livecard-format",
    "livecard-core",
    "livecard-lock",
    "x25519-dalek",
    "aes-gcm",
    "argon2",
    "keyring-core",
    "linux-keyutils-keyring-store",
];

/// `cargo metadata` of the workspace: package id → name, and normal/build edges.
struct Graph {
    names: HashMap<String, String>,
    edges: HashMap<String, Vec<String>>,
}

fn metadata() -> Graph {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata JSON");
    let names = v["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().expect("id").to_string(),
                p["name"].as_str().expect("name").to_string(),
            )
        })
        .collect();
    let mut edges = HashMap::new();
    for node in v["resolve"]["nodes"].as_array().expect("resolve nodes") {
        let id = node["id"].as_str().expect("node id").to_string();
        let deps = node["deps"]
            .as_array()
            .expect("deps")
            .iter()
            .filter(|d| {
                // Edges a binary links through: normal (kind null) and build dependencies.
                d["dep_kinds"]
                    .as_array()
                    .expect("dep_kinds")
                    .iter()
                    .any(|k| k["kind"].is_null() || k["kind"] == "build")
            })
            .map(|d| d["pkg"].as_str().expect("pkg").to_string())
            .collect();
        edges.insert(id, deps);
    }
    Graph { names, edges }
}

/// Names of every package reachable from `root` over normal and build edges.
fn closure(g: &Graph, root: &str) -> BTreeSet<String> {
    let start = g
        .names
        .iter()
        .find(|(_, n)| n.as_str() == root)
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("{root} is not in the workspace metadata"));
    let mut seen = BTreeSet::new();
    let mut stack = vec![start];
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        stack.extend(g.edges.get(&id).into_iter().flatten().cloned());
    }
    seen.iter().map(|id| g.names[id].clone()).collect()
}

#[test]
fn server_dependency_closure_holds_no_secret_crate() {
    let g = metadata();
    let server = closure(&g, "livecard-server");
    assert!(
        server.contains("livecard-wire") && server.contains("axum"),
        "the walk found the server's own dependencies: {server:?}"
    );
    let found: Vec<&str> = SECRET_HOLDERS
        .iter()
        .copied()
        .filter(|c| server.contains(*c))
        .collect();
    assert!(
        found.is_empty(),
        "livecard-server depends (normal/build) on {found:?}: the server must know only the wire format"
    );

    // The control: the client core does hold them, so the walk can see such crates.
    let core = closure(&g, "livecard-core");
    for c in [
        "livecard-format",
        "aes-gcm",
        "hkdf",
        "argon2",
        "keyring-core",
    ] {
        assert!(core.contains(c), "control: livecard-core should reach {c}");
    }
}

#[test]
fn wire_crate_depends_on_no_workspace_crate() {
    let g = metadata();
    let wire = closure(&g, "livecard-wire");
    let inner: Vec<&String> = wire
        .iter()
        .filter(|n| n.starts_with("livecard-") && n.as_str() != "livecard-wire")
        .collect();
    assert!(inner.is_empty(), "livecard-wire depends on {inner:?}");
    for c in SECRET_HOLDERS {
        assert!(!wire.contains(c), "livecard-wire depends on {c}");
    }
}
