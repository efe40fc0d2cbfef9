//! The lift-up / put-down gesture classifier (DESIGN.md point 9, patent ¶0020).
//!
//! Input: accelerometer samples *including gravity*, in m/s², in the W3C DeviceMotionEvent
//! `accelerationIncludingGravity` frame: x to the right of the screen, y up the screen, z out of
//! the screen; a phone lying face up on a table reads (0, 0, +9.81). docs/GESTURES.md explains
//! the physics; in short:
//!
//! * A low-pass filter (time constant 150 ms) of the samples estimates gravity, hence the pose:
//!   `tilt` = angle between the screen normal and vertical (0° flat face up, 90° upright).
//! * The magnitude |a| minus its mean is, to first order, the vertical linear acceleration
//!   whatever the pose; integrated over the motion it gives the vertical velocity, whose
//!   dominant sign says whether the phone went up or down. Using the mean over the motion
//!   (start and end at rest) cancels the sensor's scale and offset errors.
//! * **Lift up**: a held reading pose (tilt ≤ 50°) turns into an upright pose with the top edge
//!   up (tilt 55–130°, gravity along +y) that is held calm for 200 ms, the tilt grew by ≥ 25°,
//!   and the motion went up (peak upward velocity ≥ 0.275 m/s and clearly larger than any
//!   downward one). Pocketing and dropping the arm reach the same pose while going *down*.
//! * **Put down**: a pose in the hand (tilt ≥ 20°) turns into flat (tilt ≤ 15°) and *still*
//!   (per-axis spread ≤ 0.13 m/s² over 300 ms: a table, not a hand), the tilt fell by ≥ 20°,
//!   and the motion went down. Taps on a phone already on the table never start from a pose
//!   in the hand.
//!
//! Every duration is in milliseconds of sample time, so the classifier works the same at
//! 20 Hz and at 100 Hz and with jittery timestamps; samples that go back in time or are not
//! finite are ignored, and a gap over 500 ms restarts the history.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// Standard gravity, m/s².
pub const G: f32 = 9.806_65;

/// One accelerometer reading including gravity (m/s², device frame, see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Sample {
    /// Timestamp in milliseconds (any origin; must increase).
    pub t_ms: f64,
    pub x: f32,
    pub y: f32,
    pub z: f32,
}

impl Sample {
    pub fn new(t_ms: f64, x: f32, y: f32, z: f32) -> Self {
        Sample { t_ms, x, y, z }
    }

    /// The same reading with all axes negated: for sources that report gravity as −9.81 on
    /// the up axis (CoreMotion's convention; some iOS WebKit versions). See docs/GESTURES.md.
    pub fn inverted(self) -> Self {
        Sample {
            x: -self.x,
            y: -self.y,
            z: -self.z,
            ..self
        }
    }
}

/// A recognised gesture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Gesture {
    /// Raised from a reading pose to the ear.
    LiftUp,
    /// Lowered onto a table (flat, still).
    PutDown,
}

/// Tuning of the classifier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GestureConfig {
    /// 0.0 (strict: bigger, clearer motions only) to 1.0 (eager). Default 0.5.
    pub sensitivity: f32,
    /// After a gesture, nothing is recognised for this long, and the next gesture must start
    /// from a fresh pose. Default 2500 ms.
    pub refractory_ms: f64,
}

impl Default for GestureConfig {
    fn default() -> Self {
        GestureConfig {
            sensitivity: 0.5,
            refractory_ms: 2500.0,
        }
    }
}

/// Thresholds derived from a [`GestureConfig`].
#[derive(Debug, Clone, Copy)]
struct Params {
    tau_ms: f64,
    window_ms: f64,
    max_gap_ms: f64,
    pre_ms: f64,
    max_transition_ms: f64,
    start_hold_ms: f64,
    // lift
    lift_start_max: f32,
    lift_end_min: f32,
    lift_end_max: f32,
    lift_up_y_min: f32,
    lift_hold_ms: f64,
    lift_calm_std: f32,
    lift_min_delta: f32,
    // put down
    put_start_min: f32,
    put_end_max: f32,
    put_hold_ms: f64,
    put_still: f32,
    put_min_delta: f32,
    // motion
    v_min: f32,
    dominance: f32,
}

impl Params {
    fn from(c: &GestureConfig) -> Self {
        let s = if c.sensitivity.is_finite() {
            c.sensitivity.clamp(0.0, 1.0)
        } else {
            0.5
        };
        Params {
            tau_ms: 150.0,
            window_ms: 3000.0,
            max_gap_ms: 500.0,
            pre_ms: 800.0,
            max_transition_ms: 2000.0,
            start_hold_ms: 150.0,
            lift_start_max: 50.0,
            lift_end_min: 55.0,
            lift_end_max: 130.0,
            lift_up_y_min: 0.35,
            lift_hold_ms: 200.0,
            lift_calm_std: 1.2 + 1.6 * s,
            lift_min_delta: 35.0 - 20.0 * s,
            put_start_min: 20.0,
            put_end_max: 15.0,
            put_hold_ms: 300.0,
            put_still: 0.08 + 0.10 * s,
            put_min_delta: 25.0 - 10.0 * s,
            v_min: 0.40 - 0.25 * s,
            dominance: 1.5,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    t: f64,
    raw: [f32; 3],
    mag: f32,
    /// Angle between the screen normal and vertical, degrees (from the gravity estimate).
    tilt: f32,
    /// Gravity estimate's y component / |g|: 1 upright, −1 upside down.
    up_y: f32,
}

/// Streaming classifier: feed samples in time order, get a gesture when one completes.
#[derive(Debug, Clone)]
pub struct GestureClassifier {
    config: GestureConfig,
    p: Params,
    buf: VecDeque<Entry>,
    grav: Option<[f32; 3]>,
    last_t: Option<f64>,
    blocked_until: f64,
}

impl GestureClassifier {
    pub fn new(config: GestureConfig) -> Self {
        GestureClassifier {
            p: Params::from(&config),
            config,
            buf: VecDeque::new(),
            grav: None,
            last_t: None,
            blocked_until: f64::NEG_INFINITY,
        }
    }

    pub fn config(&self) -> GestureConfig {
        self.config
    }

    /// Forget everything (a card was closed, the screen was off).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.grav = None;
        self.last_t = None;
        self.blocked_until = f64::NEG_INFINITY;
    }

    /// Add one sample; returns the gesture it completes, if any.
    pub fn push(&mut self, s: Sample) -> Option<Gesture> {
        if !(s.t_ms.is_finite() && s.x.is_finite() && s.y.is_finite() && s.z.is_finite()) {
            return None;
        }
        let raw = [s.x, s.y, s.z];
        let t = s.t_ms;
        match self.last_t {
            Some(last) if t <= last => return None,
            Some(last) if t - last > self.p.max_gap_ms => {
                let blocked = self.blocked_until;
                self.reset();
                self.blocked_until = blocked;
            }
            _ => {}
        }
        let grav = match (self.grav, self.last_t) {
            (Some(g), Some(last)) => {
                let alpha = (1.0 - (-(t - last) / self.p.tau_ms).exp()) as f32;
                [
                    g[0] + alpha * (raw[0] - g[0]),
                    g[1] + alpha * (raw[1] - g[1]),
                    g[2] + alpha * (raw[2] - g[2]),
                ]
            }
            _ => raw,
        };
        self.grav = Some(grav);
        self.last_t = Some(t);
        let gn = norm(grav).max(1e-3);
        let entry = Entry {
            t,
            raw,
            mag: norm(raw),
            tilt: (grav[2] / gn).clamp(-1.0, 1.0).acos().to_degrees(),
            up_y: grav[1] / gn,
        };
        self.buf.push_back(entry);
        while self.buf.front().is_some_and(|e| e.t < t - self.p.window_ms) {
            self.buf.pop_front();
        }
        if t < self.blocked_until {
            return None;
        }
        let found = if self.is_lift() {
            Some(Gesture::LiftUp)
        } else if self.is_put_down() {
            Some(Gesture::PutDown)
        } else {
            None
        };
        if found.is_some() {
            self.blocked_until = t + self.config.refractory_ms.max(0.0);
            self.buf.clear();
        }
        found
    }

    /// Index of the first entry with `t >= from`, if the buffer reaches back that far.
    fn covered_from(&self, from: f64) -> Option<usize> {
        let first = self.buf.front()?;
        // Allow one sample interval of slack (20 Hz → 50 ms, plus jitter).
        if first.t > from + 60.0 {
            return None;
        }
        Some(self.buf.partition_point(|e| e.t < from))
    }

    /// The end of a gesture: entries `[i..]` of the last `hold_ms`, all satisfying `pose`.
    fn held_end(&self, hold_ms: f64, pose: impl Fn(&Entry) -> bool) -> Option<usize> {
        let now = self.buf.back()?.t;
        let i = self.covered_from(now - hold_ms)?;
        let tail = self.buf.range(i..);
        if self.buf.len() - i < 3 {
            return None;
        }
        tail.clone().all(pose).then_some(i)
    }

    /// Latest entry before `end` in `pose`, not older than the transition limit, with the pose
    /// held for `start_hold_ms` before it. Returns (index, extreme tilt of the start pose).
    fn start_pose(
        &self,
        end: usize,
        pose: impl Fn(&Entry) -> bool,
        pick: impl Fn(f32, f32) -> f32,
    ) -> Option<(usize, f32)> {
        let now = self.buf.back()?.t;
        let i0 = (0..end).rev().find(|&i| pose(&self.buf[i]))?;
        let t0 = self.buf[i0].t;
        if now - t0 > self.p.max_transition_ms {
            return None;
        }
        let from = self.covered_from(t0 - self.p.start_hold_ms)?;
        let held = self.buf.range(from..=i0);
        if !held.clone().all(&pose) {
            return None;
        }
        // The start pose's tilt: the extreme over up to 400 ms before it.
        let k = self.buf.partition_point(|e| e.t < t0 - 400.0);
        let tilt = self
            .buf
            .range(k..=i0)
            .map(|e| e.tilt)
            .fold(self.buf[i0].tilt, &pick);
        Some((i0, tilt))
    }

    /// Peak upward and downward vertical velocity (m/s) from entry `from` to now, by
    /// integrating |a| minus its mean over the span (trapezoids over the real timestamps).
    fn vertical_velocity(&self, from: usize) -> (f32, f32) {
        let span: Vec<&Entry> = self.buf.range(from..).collect();
        if span.len() < 2 {
            return (0.0, 0.0);
        }
        let dur = (span[span.len() - 1].t - span[0].t) as f32 / 1000.0;
        let mut area = 0.0f32;
        for w in span.windows(2) {
            area += 0.5 * (w[0].mag + w[1].mag) * ((w[1].t - w[0].t) as f32 / 1000.0);
        }
        let mean = if dur > 0.0 { area / dur } else { G };
        let (mut v, mut vmax, mut vmin) = (0.0f32, 0.0f32, 0.0f32);
        for w in span.windows(2) {
            let dt = (w[1].t - w[0].t) as f32 / 1000.0;
            v += 0.5 * ((w[0].mag - mean) + (w[1].mag - mean)) * dt;
            vmax = vmax.max(v);
            vmin = vmin.min(v);
        }
        (vmax, vmin)
    }

    fn motion_from(&self, i0: usize) -> (f32, f32) {
        let t_s = self.buf[i0].t - self.p.pre_ms;
        let from = self.buf.partition_point(|e| e.t < t_s);
        self.vertical_velocity(from)
    }

    fn is_lift(&self) -> bool {
        let p = &self.p;
        let Some(end) = self.held_end(p.lift_hold_ms, |e| {
            (p.lift_end_min..=p.lift_end_max).contains(&e.tilt) && e.up_y >= p.lift_up_y_min
        }) else {
            return false;
        };
        let (mean_tilt, std_mag) = tilt_and_spread(self.buf.range(end..));
        if std_mag > p.lift_calm_std {
            return false;
        }
        let Some((i0, start_tilt)) = self.start_pose(end, |e| e.tilt <= p.lift_start_max, f32::min)
        else {
            return false;
        };
        if mean_tilt - start_tilt < p.lift_min_delta {
            return false;
        }
        let (up, down) = self.motion_from(i0);
        up >= p.v_min && up >= p.dominance * -down
    }

    fn is_put_down(&self) -> bool {
        let p = &self.p;
        let Some(end) = self.held_end(p.put_hold_ms, |e| e.tilt <= p.put_end_max) else {
            return false;
        };
        if axis_spread(self.buf.range(end..)) > p.put_still {
            return false;
        }
        let (end_tilt, _) = tilt_and_spread(self.buf.range(end..));
        let Some((i0, start_tilt)) = self.start_pose(end, |e| e.tilt >= p.put_start_min, f32::max)
        else {
            return false;
        };
        if start_tilt - end_tilt < p.put_min_delta {
            return false;
        }
        let (up, down) = self.motion_from(i0);
        -down >= p.v_min && -down >= p.dominance * up
    }
}

fn norm(v: [f32; 3]) -> f32 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// Mean tilt and standard deviation of |a| over entries.
fn tilt_and_spread<'a>(it: impl Iterator<Item = &'a Entry> + Clone) -> (f32, f32) {
    let n = it.clone().count().max(1) as f32;
    let mean_tilt = it.clone().map(|e| e.tilt).sum::<f32>() / n;
    let mean_mag = it.clone().map(|e| e.mag).sum::<f32>() / n;
    let var = it.map(|e| (e.mag - mean_mag).powi(2)).sum::<f32>() / n;
    (mean_tilt, var.sqrt())
}

/// sqrt of the summed per-axis variances of the raw samples: 0 for a phone on a table (up to
/// sensor noise); a hand's tremor and drift show up here even when |a| does not change.
fn axis_spread<'a>(it: impl Iterator<Item = &'a Entry> + Clone) -> f32 {
    let n = it.clone().count().max(1) as f32;
    let mut total = 0.0;
    for k in 0..3 {
        let mean = it.clone().map(|e| e.raw[k]).sum::<f32>() / n;
        total += it.clone().map(|e| (e.raw[k] - mean).powi(2)).sum::<f32>() / n;
    }
    total.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A phone at rest in a pose given by its tilt (0 flat, 90 upright).
    fn at_rest(t: f64, tilt_deg: f32) -> Sample {
        let r = tilt_deg.to_radians();
        Sample::new(t, 0.0, G * r.sin(), G * r.cos())
    }

    fn smooth(u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        u * u * u * (10.0 - 15.0 * u + 6.0 * u * u)
    }

    /// A noise-free lift: rest at 35°, then 700 ms to 85° while rising `rise_m`, then rest.
    fn lift(rate_hz: f64, rise_m: f64) -> Vec<Sample> {
        let dt = 1000.0 / rate_hz;
        let (t0, dur) = (1000.0, 700.0);
        let mut out = Vec::new();
        let mut t = 0.0;
        while t < 3000.0 {
            let u = (t - t0) / dur;
            let tilt = 35.0 + 50.0 * smooth(u);
            // Second derivative of the min-jerk profile: vertical acceleration.
            let uc = u.clamp(0.0, 1.0);
            let acc = if (0.0..=1.0).contains(&u) {
                rise_m * (60.0 * uc - 180.0 * uc * uc + 120.0 * uc * uc * uc)
                    / (dur / 1000.0).powi(2)
            } else {
                0.0
            };
            let s = at_rest(t, tilt as f32);
            let k = 1.0 + acc as f32 / G;
            out.push(Sample::new(t, s.x * k, s.y * k, s.z * k));
            t += dt;
        }
        out
    }

    fn run(samples: &[Sample]) -> Vec<Gesture> {
        let mut c = GestureClassifier::new(GestureConfig::default());
        samples.iter().filter_map(|s| c.push(*s)).collect()
    }

    #[test]
    fn lift_is_recognised_at_20_and_100_hz() {
        assert_eq!(run(&lift(20.0, 0.3)), vec![Gesture::LiftUp]);
        assert_eq!(run(&lift(100.0, 0.3)), vec![Gesture::LiftUp]);
    }

    #[test]
    fn same_rotation_going_down_is_not_a_lift() {
        assert_eq!(run(&lift(50.0, -0.3)), vec![]);
        // No vertical motion at all (turning the screen towards someone): nothing either.
        assert_eq!(run(&lift(50.0, 0.0)), vec![]);
    }

    #[test]
    fn phone_at_rest_never_triggers() {
        let still: Vec<Sample> = (0..400).map(|i| at_rest(i as f64 * 10.0, 0.0)).collect();
        assert_eq!(run(&still), vec![]);
        let upright: Vec<Sample> = (0..400).map(|i| at_rest(i as f64 * 10.0, 90.0)).collect();
        assert_eq!(run(&upright), vec![]);
    }

    #[test]
    fn bad_samples_are_ignored_and_reset_forgets() {
        let mut c = GestureClassifier::new(GestureConfig::default());
        assert_eq!(c.push(Sample::new(0.0, f32::NAN, 0.0, 9.8)), None);
        assert_eq!(c.push(Sample::new(f64::INFINITY, 0.0, 0.0, 9.8)), None);
        let l = lift(50.0, 0.3);
        let mut got = Vec::new();
        for s in &l {
            // Every sample twice: the duplicate timestamp is dropped.
            got.extend(c.push(*s));
            got.extend(c.push(*s));
        }
        assert_eq!(got, vec![Gesture::LiftUp]);
        c.reset();
        assert_eq!(
            l.iter().filter_map(|s| c.push(*s)).collect::<Vec<_>>(),
            vec![Gesture::LiftUp]
        );
    }

    #[test]
    fn refractory_period_swallows_a_second_lift() {
        let two: Vec<Sample> = lift(50.0, 0.3)
            .into_iter()
            .chain(lift(50.0, 0.3).into_iter().map(|s| Sample {
                t_ms: s.t_ms + 3000.0,
                ..s
            }))
            .collect();
        assert_eq!(run(&two), vec![Gesture::LiftUp, Gesture::LiftUp]);
        let mut c = GestureClassifier::new(GestureConfig {
            refractory_ms: 10_000.0,
            ..Default::default()
        });
        let got: Vec<Gesture> = two.iter().filter_map(|s| c.push(*s)).collect();
        assert_eq!(got, vec![Gesture::LiftUp]);
    }

    #[test]
    fn sensitivity_moves_the_velocity_threshold() {
        // A 10 cm lift in 700 ms peaks at ~0.27 m/s: below the strict threshold, above the eager one.
        let small = lift(50.0, 0.10);
        let strict = GestureConfig {
            sensitivity: 0.0,
            ..Default::default()
        };
        let eager = GestureConfig {
            sensitivity: 1.0,
            ..Default::default()
        };
        let mut c = GestureClassifier::new(strict);
        assert!(small.iter().all(|s| c.push(*s).is_none()));
        let mut c = GestureClassifier::new(eager);
        assert_eq!(
            small.iter().filter_map(|s| c.push(*s)).collect::<Vec<_>>(),
            vec![Gesture::LiftUp]
        );
    }
}
