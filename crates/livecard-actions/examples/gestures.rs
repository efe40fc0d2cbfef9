//! Trace set tool.
//!
//! `cargo run -p livecard-actions --example gestures -- gen` writes the synthetic traces to
//! crates/livecard-actions/traces/; `… -- report` classifies them and writes the confusion
//! matrix into docs/GESTURES.md between the `<!-- confusion:begin/end -->` markers.

#[path = "../tests/support/eval.rs"]
#[allow(dead_code)]
mod eval;
#[path = "../tests/support/synth.rs"]
#[allow(dead_code)]
mod synth;

use std::path::PathBuf;

use anyhow::{bail, Context};
use livecard_actions::GestureConfig;

/// Five more draws of every scenario (other seeds), never committed nor tuned on.
fn held_out() -> String {
    let mut s = String::from(
        "\nHeld-out check: the generator run with 5 other seeds (5 × the same scenarios, not committed, never looked at while tuning):\n\n| seed salt | recall | gestures on negatives | misses |\n|---|---|---|---|\n",
    );
    for salt in 1..=5u64 {
        let outcomes: Vec<eval::Outcome> = synth::traces_with_salt(salt)
            .iter()
            .map(|t| {
                eval::classify(
                    &t.name,
                    synth::label_of(t.expected),
                    t.kind,
                    t.rate_hz,
                    &t.samples,
                    GestureConfig::default(),
                )
            })
            .collect();
        let (hit, pos, fa, _) = eval::score(&outcomes);
        let misses: Vec<String> = outcomes
            .iter()
            .filter(|o| {
                if o.label == "none" {
                    !o.got.is_empty()
                } else {
                    o.got.len() != 1 || eval::predicted(o) != o.label
                }
            })
            .map(|o| format!("{} → {:?}", o.file, o.got))
            .collect();
        s.push_str(&format!(
            "| {salt} | {hit}/{pos} | {fa} | {} |\n",
            if misses.is_empty() {
                "—".to_string()
            } else {
                misses.join("; ")
            }
        ));
    }
    s
}

fn main() -> anyhow::Result<()> {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let traces = crate_dir.join("traces");
    match std::env::args().nth(1).as_deref() {
        Some("gen") => {
            std::fs::create_dir_all(&traces)?;
            for old in std::fs::read_dir(&traces)? {
                let p = old?.path();
                if p.extension().is_some_and(|e| e == "csv") {
                    std::fs::remove_file(&p)?;
                }
            }
            let all = synth::all_traces();
            for t in &all {
                std::fs::write(traces.join(format!("{}.csv", t.name)), synth::to_csv(t))?;
            }
            std::fs::write(traces.join("manifest.csv"), synth::manifest(&all))?;
            println!("wrote {} traces to {}", all.len(), traces.display());
        }
        Some("report") => {
            let outcomes =
                eval::run_all(&traces, GestureConfig::default()).map_err(anyhow::Error::msg)?;
            let mut table = eval::report_markdown(&outcomes);
            table.push_str("\nThe same trace set at other sensitivities:\n\n");
            table.push_str(&eval::sweep_markdown(&traces).map_err(anyhow::Error::msg)?);
            table.push_str(&held_out());
            print!("{table}");
            for o in &outcomes {
                let want = o.label.as_str();
                let bad = if want == "none" {
                    !o.got.is_empty()
                } else {
                    o.got.len() != 1 || eval::predicted(o) != want
                };
                if bad {
                    println!("MISS {} ({}): got {:?}", o.file, o.kind, o.got);
                }
            }
            let doc = crate_dir.join("../../docs/GESTURES.md");
            let text = std::fs::read_to_string(&doc)
                .with_context(|| format!("reading {}", doc.display()))?;
            let (begin, end) = ("<!-- confusion:begin -->\n", "<!-- confusion:end -->");
            let (Some(a), Some(b)) = (text.find(begin), text.find(end)) else {
                bail!("{} lacks the confusion markers", doc.display());
            };
            let new = format!("{}{begin}{table}{}", &text[..a], &text[b..]);
            std::fs::write(&doc, new)?;
            println!("updated {}", doc.display());
        }
        _ => bail!("usage: gestures gen | report"),
    }
    Ok(())
}
