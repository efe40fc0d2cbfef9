//! Accelerometer traces as CSV (`t_ms,x,y,z`, one sample a line, an optional header line,
//! `#` comments). Used by the trace tests and by anyone recording real traces to replay.
//!
//! Hand-written rather than the `csv` crate: four numbers a line, and errors must name the
//! line; a dependency would not make this shorter.

use crate::gesture::Sample;

/// A trace line that is not `t_ms,x,y,z`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("trace line {line}: {message}")]
pub struct TraceError {
    pub line: usize,
    pub message: String,
}

/// Parse a trace. Lines are 1-based in errors.
pub fn parse_trace_csv(text: &str) -> Result<Vec<Sample>, TraceError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') || (i == 0 && l.starts_with("t_ms")) {
            continue;
        }
        let cols: Vec<&str> = l.split(',').map(str::trim).collect();
        if cols.len() != 4 {
            return Err(TraceError {
                line,
                message: format!("expected 4 columns t_ms,x,y,z, found {}", cols.len()),
            });
        }
        let mut v = [0f64; 4];
        for (k, c) in cols.iter().enumerate() {
            v[k] = c
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| TraceError {
                    line,
                    message: format!("column {} is not a finite number: {c:?}", k + 1),
                })?;
        }
        out.push(Sample {
            t_ms: v[0],
            x: v[1] as f32,
            y: v[2] as f32,
            z: v[3] as f32,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_comments_and_values() {
        let s = parse_trace_csv("t_ms,x,y,z\n# lift\n0,0.1,0.2,9.8\n10.5,0,-1,9.7\n").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].t_ms, 10.5);
        assert_eq!(s[1].y, -1.0);
    }

    #[test]
    fn names_the_bad_line() {
        let e = parse_trace_csv("t_ms,x,y,z\n0,0,0,9.8\n1,0,zero,9.8\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("column 3"), "{e}");
        let e = parse_trace_csv("0,0,9.8\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(parse_trace_csv("0,NaN,0,0").is_err());
    }
}
