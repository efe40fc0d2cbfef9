//! Run the classifier over the committed trace set and summarise it (shared by
//! tests/traces.rs and examples/gestures.rs).

use std::path::Path;

use livecard_actions::{parse_trace_csv, Gesture, GestureClassifier, GestureConfig};

pub struct Outcome {
    pub file: String,
    pub label: String,
    pub kind: String,
    pub rate_hz: String,
    pub got: Vec<Gesture>,
}

pub fn label_of(g: Option<Gesture>) -> &'static str {
    match g {
        Some(Gesture::LiftUp) => "lift_up",
        Some(Gesture::PutDown) => "put_down",
        None => "none",
    }
}

/// Classify samples in memory (held-out sets that are not written to disk).
pub fn classify(
    file: &str,
    label: &str,
    kind: &str,
    rate_hz: f64,
    samples: &[livecard_actions::Sample],
    config: GestureConfig,
) -> Outcome {
    let mut c = GestureClassifier::new(config);
    Outcome {
        file: file.to_string(),
        label: label.to_string(),
        kind: kind.to_string(),
        rate_hz: format!("{rate_hz}"),
        got: samples.iter().filter_map(|s| c.push(*s)).collect(),
    }
}

/// (positives recognised, positives, gestures fired on negatives, negatives).
pub fn score(o: &[Outcome]) -> (usize, usize, usize, usize) {
    let pos: Vec<&Outcome> = o.iter().filter(|o| o.label != "none").collect();
    let hit = pos
        .iter()
        .filter(|o| o.got.len() == 1 && predicted(o) == o.label)
        .count();
    let neg: Vec<&Outcome> = o.iter().filter(|o| o.label == "none").collect();
    let fa = neg.iter().map(|o| o.got.len()).sum();
    (hit, pos.len(), fa, neg.len())
}

/// Read traces/manifest.csv and classify every trace it lists.
pub fn run_all(dir: &Path, config: GestureConfig) -> Result<Vec<Outcome>, String> {
    let manifest = std::fs::read_to_string(dir.join("manifest.csv"))
        .map_err(|e| format!("{}: {e}", dir.join("manifest.csv").display()))?;
    let mut out = Vec::new();
    for (i, line) in manifest.lines().enumerate().skip(1) {
        let cols: Vec<&str> = line.splitn(6, ',').collect();
        if cols.len() < 5 {
            return Err(format!("manifest line {}: too few columns", i + 1));
        }
        let path = dir.join(cols[0]);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let samples = parse_trace_csv(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut c = GestureClassifier::new(config);
        let got = samples.iter().filter_map(|s| c.push(*s)).collect();
        out.push(Outcome {
            file: cols[0].to_string(),
            label: cols[1].to_string(),
            kind: cols[2].to_string(),
            rate_hz: cols[3].to_string(),
            got,
        });
    }
    Ok(out)
}

/// What a trace produced, as one class: the first gesture, or none.
pub fn predicted(o: &Outcome) -> &'static str {
    label_of(o.got.first().copied())
}

pub const CLASSES: [&str; 3] = ["lift_up", "put_down", "none"];

/// The confusion matrix and per-scenario table as Markdown.
pub fn report_markdown(outcomes: &[Outcome]) -> String {
    let mut s = String::new();
    s.push_str("| true \\ predicted | lift_up (call) | put_down (SMS) | none | traces |\n");
    s.push_str("|---|---|---|---|---|\n");
    for truth in CLASSES {
        let row: Vec<&Outcome> = outcomes.iter().filter(|o| o.label == truth).collect();
        let count = |p: &str| row.iter().filter(|o| predicted(o) == p).count();
        s.push_str(&format!(
            "| {truth} | {} | {} | {} | {} |\n",
            count("lift_up"),
            count("put_down"),
            count("none"),
            row.len()
        ));
    }
    let pos: Vec<&Outcome> = outcomes.iter().filter(|o| o.label != "none").collect();
    let hit = pos
        .iter()
        .filter(|o| o.got.len() == 1 && predicted(o) == o.label)
        .count();
    let neg: Vec<&Outcome> = outcomes.iter().filter(|o| o.label == "none").collect();
    let false_alarms: usize = neg.iter().map(|o| o.got.len()).sum();
    s.push_str(&format!(
        "\nRecall on positives: {hit}/{} ({:.0} %). Gestures triggered by the {} negative traces: {false_alarms}.\n",
        pos.len(),
        100.0 * hit as f64 / pos.len().max(1) as f64,
        neg.len()
    ));
    s.push_str("\n| scenario | label | traces | recognised as expected |\n|---|---|---|---|\n");
    let mut kinds: Vec<(&str, &str)> = Vec::new();
    for o in outcomes {
        if !kinds.contains(&(o.kind.as_str(), o.label.as_str())) {
            kinds.push((o.kind.as_str(), o.label.as_str()));
        }
    }
    for (kind, label) in kinds {
        let row: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| o.kind == kind && o.label == label)
            .collect();
        let ok = row
            .iter()
            .filter(|o| {
                if o.label == "none" {
                    o.got.is_empty()
                } else {
                    o.got.len() == 1 && predicted(o) == o.label
                }
            })
            .count();
        let rates: Vec<&str> = row.iter().map(|o| o.rate_hz.as_str()).collect();
        s.push_str(&format!(
            "| {kind} | {label} | {} ({} Hz) | {ok} |\n",
            row.len(),
            rates.join(", ")
        ));
    }
    s
}

/// Recall and false alarms at several sensitivities, as Markdown.
pub fn sweep_markdown(dir: &Path) -> Result<String, String> {
    let mut s = String::from(
        "| sensitivity | recall (positives) | gestures on negatives | wrong gesture on positives |\n|---|---|---|---|\n",
    );
    for sens in [0.0f32, 0.25, 0.5, 0.75, 1.0] {
        let cfg = GestureConfig {
            sensitivity: sens,
            ..Default::default()
        };
        let o = run_all(dir, cfg)?;
        let pos: Vec<&Outcome> = o.iter().filter(|o| o.label != "none").collect();
        let hit = pos
            .iter()
            .filter(|o| o.got.len() == 1 && predicted(o) == o.label)
            .count();
        let wrong: usize = pos
            .iter()
            .map(|o| {
                o.got
                    .iter()
                    .filter(|g| label_of(Some(**g)) != o.label)
                    .count()
            })
            .sum();
        let fa: usize = o
            .iter()
            .filter(|o| o.label == "none")
            .map(|o| o.got.len())
            .sum();
        s.push_str(&format!(
            "| {sens:.2} | {hit}/{} | {fa} | {wrong} |\n",
            pos.len()
        ));
    }
    Ok(s)
}
