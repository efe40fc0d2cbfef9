//! Synthetic accelerometer traces modelled on real motions (docs/GESTURES.md, "Trace set").
//!
//! Each trace is a sequence of key poses (tilt, roll, yaw of the phone; position of the phone in
//! metres) joined by minimum-jerk moves, the way a hand moves. The accelerometer reading is the
//! proper acceleration — the second derivative of the position plus gravity (+9.81 up) — turned
//! into the device frame, plus what real phones add: walking/running bounce, hand tremor and
//! slow hand drift while held, impacts and taps, per-axis offset and scale error, white sensor
//! noise, and a sample clock of 20–100 Hz with ±25 % jitter.
//!
//! Deterministic: every trace has its own ChaCha seed. Used by examples/gestures.rs (writes
//! traces/) and tests/traces.rs (checks the committed files match).

use std::f64::consts::PI;

use livecard_actions::{Gesture, Sample};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub const G: f64 = 9.806_65;

/// A trace and what it should produce.
pub struct Trace {
    /// File stem, e.g. `lift_up-lift-03`.
    pub name: String,
    pub expected: Option<Gesture>,
    /// Scenario, e.g. `walking`.
    pub kind: &'static str,
    pub rate_hz: f64,
    pub description: String,
    pub samples: Vec<Sample>,
}

pub fn label_of(g: Option<Gesture>) -> &'static str {
    match g {
        Some(Gesture::LiftUp) => "lift_up",
        Some(Gesture::PutDown) => "put_down",
        None => "none",
    }
}

/// A key pose at time `t` (ms). Between keys the phone moves with a minimum-jerk profile.
#[derive(Clone, Copy, Debug)]
struct Key {
    t: f64,
    /// Screen tilt from horizontal, degrees: 0 flat face up, 90 upright, -90 upside down.
    pitch: f64,
    /// Sideways roll, degrees.
    roll: f64,
    /// Turn about the screen normal, degrees (90 = landscape).
    yaw: f64,
    /// Position (m): right, forward, up.
    pos: [f64; 3],
    /// Held in a hand (tremor, drift) from this key on.
    hand: bool,
}

/// Something added on top of the key-pose motion.
#[derive(Clone, Debug)]
enum Extra {
    /// Walking or running: vertical bounce at `f` Hz with amplitude `a` (m/s²) and harmonics,
    /// sideways sway at f/2, and pitch wobble (degrees), between `from` and `to` ms.
    Gait {
        from: f64,
        to: f64,
        f: f64,
        a: f64,
        sway: f64,
        wobble: f64,
    },
    /// A short knock (tap on the table, phone set down): damped 40 Hz ringing along the
    /// screen normal, peak `a` m/s², at `t` ms.
    Knock { t: f64, a: f64 },
}

struct Scene {
    keys: Vec<Key>,
    extras: Vec<Extra>,
    duration: f64,
}

fn min_jerk(u: f64) -> f64 {
    let u = u.clamp(0.0, 1.0);
    u * u * u * (10.0 - 15.0 * u + 6.0 * u * u)
}

impl Scene {
    fn segment(&self, t: f64) -> (Key, Key, f64) {
        let k = &self.keys;
        if t <= k[0].t {
            return (k[0], k[0], 0.0);
        }
        for w in k.windows(2) {
            if t <= w[1].t {
                let u = (t - w[0].t) / (w[1].t - w[0].t).max(1e-9);
                return (w[0], w[1], min_jerk(u));
            }
        }
        let last = k[k.len() - 1];
        (last, last, 1.0)
    }

    /// Pose (pitch, roll, yaw in degrees), position, and whether the phone is in a hand.
    fn pose(&self, t: f64) -> ([f64; 3], [f64; 3], bool) {
        let (a, b, s) = self.segment(t);
        let l = |x: f64, y: f64| x + (y - x) * s;
        (
            [l(a.pitch, b.pitch), l(a.roll, b.roll), l(a.yaw, b.yaw)],
            [
                l(a.pos[0], b.pos[0]),
                l(a.pos[1], b.pos[1]),
                l(a.pos[2], b.pos[2]),
            ],
            if s >= 1.0 { b.hand } else { a.hand || b.hand },
        )
    }
}

/// World vector (right, forward, up) → device frame for a phone with this pitch/roll/yaw.
fn to_device(w: [f64; 3], pitch: f64, roll: f64, yaw: f64) -> [f64; 3] {
    let (sp, cp) = pitch.to_radians().sin_cos();
    let (sr, cr) = roll.to_radians().sin_cos();
    let (sy, cy) = yaw.to_radians().sin_cos();
    // Pitch about the device x axis: up (0,0,1) → (0, sin p, cos p).
    let a = [w[0], w[1] * cp + w[2] * sp, -w[1] * sp + w[2] * cp];
    // Roll about the device y axis.
    let b = [a[0] * cr + a[2] * sr, a[1], -a[0] * sr + a[2] * cr];
    // Yaw about the screen normal.
    [b[0] * cy + b[1] * sy, -b[0] * sy + b[1] * cy, b[2]]
}

/// A gaussian from two uniforms (Box–Muller); rand_distr is not needed for one function.
fn gauss(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.gen_range(1e-12..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

/// Render a scene into samples.
fn render(scene: &Scene, rate_hz: f64, rng: &mut ChaCha8Rng) -> Vec<Sample> {
    let sensor_sigma = rng.gen_range(0.02..0.06);
    let tremor_sigma = rng.gen_range(0.08..0.22);
    let bias = [
        rng.gen_range(-0.12..0.12),
        rng.gen_range(-0.12..0.12),
        rng.gen_range(-0.12..0.12),
    ];
    let scale = 1.0 + rng.gen_range(-0.01..0.01);
    // Slow hand drift: two sinusoids per angle.
    let drift: Vec<(f64, f64, f64)> = (0..4)
        .map(|_| {
            (
                rng.gen_range(0.3..1.5),
                rng.gen_range(0.0..2.0 * PI),
                rng.gen_range(0.8..2.5),
            )
        })
        .collect();
    let gait_phase = rng.gen_range(0.0..2.0 * PI);
    let mut tremor = [0.0f64; 3];
    let h = 2.0; // ms, for the numerical second derivative of the position
    let dt0 = 1000.0 / rate_hz;
    let mut out = Vec::new();
    let mut t = rng.gen_range(0.0..dt0);
    let mut last_t = None::<f64>;
    while t < scene.duration {
        let (ang, p0, hand) = scene.pose(t);
        let (_, pm, _) = scene.pose(t - h);
        let (_, pp, _) = scene.pose(t + h);
        let mut acc = [0.0; 3];
        for k in 0..3 {
            acc[k] = (pp[k] - 2.0 * p0[k] + pm[k]) / (h / 1000.0).powi(2);
        }
        let [mut pitch, mut roll, yaw] = ang;
        if hand {
            pitch += drift[0].2 * (2.0 * PI * drift[0].0 * t / 1000.0 + drift[0].1).sin()
                + drift[1].2 * 0.5 * (2.0 * PI * drift[1].0 * t / 1000.0 + drift[1].1).sin();
            roll += drift[2].2 * (2.0 * PI * drift[2].0 * t / 1000.0 + drift[2].1).sin()
                + drift[3].2 * 0.5 * (2.0 * PI * drift[3].0 * t / 1000.0 + drift[3].1).sin();
            // Tremor: an AR(1) process (~10 Hz corner) per axis, in the world frame.
            let dt = last_t.map_or(dt0, |l| t - l);
            let keep = (-dt / 16.0).exp();
            for v in tremor.iter_mut() {
                *v = keep * *v + (1.0 - keep * keep).sqrt() * tremor_sigma * gauss(rng);
            }
            for k in 0..3 {
                acc[k] += tremor[k];
            }
        }
        let mut knock_dev = 0.0;
        for e in &scene.extras {
            match *e {
                Extra::Gait {
                    from,
                    to,
                    f,
                    a,
                    sway,
                    wobble,
                } if t >= from && t <= to => {
                    let ph = 2.0 * PI * f * t / 1000.0 + gait_phase;
                    // Ramp in/out over 300 ms.
                    let ramp = ((t - from) / 300.0).min((to - t) / 300.0).clamp(0.0, 1.0);
                    acc[2] += ramp * a * (ph.sin() + 0.35 * (2.0 * ph).sin() + 0.1 * gauss(rng));
                    acc[0] += ramp * sway * (0.5 * ph).sin();
                    acc[1] += ramp * 0.3 * a * (ph + 0.7).sin();
                    pitch += ramp * wobble * (ph + 0.4).sin();
                    roll += ramp * 0.6 * wobble * (0.5 * ph).cos();
                }
                Extra::Knock { t: tk, a } if t >= tk && t < tk + 80.0 => {
                    let s = (t - tk) / 1000.0;
                    knock_dev += a * (-s / 0.012).exp() * (2.0 * PI * 40.0 * s).cos();
                }
                _ => {}
            }
        }
        let proper = [acc[0], acc[1], acc[2] + G];
        let mut d = to_device(proper, pitch, roll, yaw);
        d[2] += knock_dev;
        let sample = Sample {
            t_ms: (t * 10.0).round() / 10.0,
            x: round3((d[0] * scale + bias[0] + sensor_sigma * gauss(rng)) as f32),
            y: round3((d[1] * scale + bias[1] + sensor_sigma * gauss(rng)) as f32),
            z: round3((d[2] * scale + bias[2] + sensor_sigma * gauss(rng)) as f32),
        };
        out.push(sample);
        last_t = Some(t);
        t += dt0 * (1.0 + rng.gen_range(-0.25..0.25));
    }
    out
}

fn round3(v: f32) -> f32 {
    (v * 1000.0).round() / 1000.0
}

const RATES: [f64; 6] = [20.0, 25.0, 30.0, 50.0, 60.0, 100.0];

fn key(t: f64, pitch: f64, roll: f64, yaw: f64, pos: [f64; 3], hand: bool) -> Key {
    Key {
        t,
        pitch,
        roll,
        yaw,
        pos,
        hand,
    }
}

struct Builder {
    salt: u64,
    traces: Vec<Trace>,
    counters: std::collections::HashMap<&'static str, usize>,
}

impl Builder {
    fn add(
        &mut self,
        expected: Option<Gesture>,
        kind: &'static str,
        f: impl FnOnce(&mut ChaCha8Rng) -> (Scene, String),
    ) {
        let n = self.counters.entry(kind).or_insert(0);
        *n += 1;
        let name = format!("{}-{}-{:02}", label_of(expected), kind, n);
        // Seed from the name: adding a trace does not change the others.
        let seed = name
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64 ^ self.salt, |h, b| {
                (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
            });
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let rate_hz = RATES[rng.gen_range(0..RATES.len())];
        let (scene, description) = f(&mut rng);
        let samples = render(&scene, rate_hz, &mut rng);
        self.traces.push(Trace {
            name,
            expected,
            kind,
            rate_hz,
            description,
            samples,
        });
    }
}

/// The whole trace set, in a fixed order (the committed one).
pub fn all_traces() -> Vec<Trace> {
    traces_with_salt(0)
}

/// The same scenarios with other random draws: `salt` ≠ 0 gives a held-out set.
pub fn traces_with_salt(salt: u64) -> Vec<Trace> {
    let mut b = Builder {
        salt,
        traces: Vec::new(),
        counters: Default::default(),
    };
    let lift = Some(Gesture::LiftUp);
    let put = Some(Gesture::PutDown);

    // ---- Positives: lift to the ear from a reading pose (several speeds, angles, ears).
    for (i, dur) in [
        450.0, 600.0, 750.0, 900.0, 1100.0, 1400.0, 550.0, 800.0, 1000.0, 650.0,
    ]
    .into_iter()
    .enumerate()
    {
        b.add(lift, "lift", |r| {
            let start = r.gen_range(15.0..48.0);
            let end = r.gen_range(68.0..105.0);
            let ear = if i % 2 == 0 { 1.0 } else { -1.0 };
            let roll = ear * r.gen_range(10.0..45.0);
            let rise = r.gen_range(0.15..0.40);
            let t0 = r.gen_range(900.0..1500.0);
            let yaw = r.gen_range(-20.0..20.0);
            (
                Scene {
                    keys: vec![
                        key(0.0, start, 0.0, 0.0, [0.0; 3], true),
                        key(t0, start, 0.0, 0.0, [0.0; 3], true),
                        key(t0 + dur, end, roll, yaw, [0.05 * ear, 0.05, rise], true),
                    ],
                    extras: vec![],
                    duration: t0 + dur + 1500.0,
                },
                format!(
                    "reading at {start:.0}° → ear at {end:.0}°, roll {roll:.0}°, up {rise:.2} m in {dur:.0} ms"
                ),
            )
        });
    }
    // Lift from the phone lying on the table straight to the ear.
    for _ in 0..2 {
        b.add(lift, "lift_from_table", |r| {
            let dur = r.gen_range(700.0..1200.0);
            let rise = r.gen_range(0.35..0.6);
            let t0 = r.gen_range(900.0..1400.0);
            (
                Scene {
                    keys: vec![
                        key(0.0, 0.0, 0.0, 0.0, [0.0; 3], false),
                        key(t0, 0.0, 0.0, 0.0, [0.0; 3], false),
                        key(t0 + dur, 85.0, 25.0, 10.0, [0.1, 0.0, rise], true),
                    ],
                    extras: vec![],
                    duration: t0 + dur + 1500.0,
                },
                format!("flat on a table → ear, up {rise:.2} m in {dur:.0} ms"),
            )
        });
    }
    // Lift while walking.
    for _ in 0..2 {
        b.add(lift, "lift_walking", |r| {
            let dur = r.gen_range(600.0..900.0);
            let t0 = r.gen_range(1500.0..2500.0);
            let rise = r.gen_range(0.25..0.4);
            (
                Scene {
                    keys: vec![
                        key(0.0, 35.0, 0.0, 0.0, [0.0; 3], true),
                        key(t0, 35.0, 0.0, 0.0, [0.0; 3], true),
                        key(t0 + dur, 85.0, -30.0, 0.0, [-0.05, 0.05, rise], true),
                    ],
                    extras: vec![Extra::Gait {
                        from: 0.0,
                        to: t0 + dur + 2000.0,
                        f: r.gen_range(1.6..2.0),
                        a: r.gen_range(1.0..1.8),
                        sway: 0.5,
                        wobble: 2.0,
                    }],
                    duration: t0 + dur + 2000.0,
                },
                format!("walking, reading → ear, up {rise:.2} m in {dur:.0} ms"),
            )
        });
    }

    // ---- Positives: put the phone down on a table.
    for (i, dur) in [
        450.0, 600.0, 750.0, 900.0, 1100.0, 650.0, 800.0, 1000.0, 550.0, 1300.0,
    ]
    .into_iter()
    .enumerate()
    {
        b.add(put, "put_down", |r| {
            let start = r.gen_range(22.0..60.0);
            let drop = r.gen_range(0.18..0.55);
            let t0 = r.gen_range(900.0..1500.0);
            let knock = if i % 3 == 0 {
                r.gen_range(1.0..3.0)
            } else {
                r.gen_range(3.0..9.0)
            };
            (
                Scene {
                    keys: vec![
                        key(0.0, start, 0.0, 0.0, [0.0; 3], true),
                        key(t0, start, 0.0, 0.0, [0.0; 3], true),
                        key(t0 + dur, r.gen_range(-2.0..2.0), r.gen_range(-2.0..2.0), r.gen_range(-30.0..30.0), [0.0, 0.15, -drop], false),
                    ],
                    extras: vec![Extra::Knock {
                        t: t0 + dur - 5.0,
                        a: knock,
                    }],
                    duration: t0 + dur + 1500.0,
                },
                format!("reading at {start:.0}° → table, down {drop:.2} m in {dur:.0} ms, knock {knock:.1} m/s²"),
            )
        });
    }
    // From the ear (after a call) down onto the table.
    for _ in 0..2 {
        b.add(put, "put_down_from_ear", |r| {
            let dur = r.gen_range(800.0..1300.0);
            let drop = r.gen_range(0.4..0.7);
            let t0 = r.gen_range(900.0..1400.0);
            (
                Scene {
                    keys: vec![
                        key(0.0, 85.0, 30.0, 0.0, [0.0; 3], true),
                        key(t0, 85.0, 30.0, 0.0, [0.0; 3], true),
                        key(t0 + dur, 0.0, 0.0, 0.0, [0.0, 0.2, -drop], false),
                    ],
                    extras: vec![Extra::Knock {
                        t: t0 + dur - 5.0,
                        a: 4.0,
                    }],
                    duration: t0 + dur + 1500.0,
                },
                format!("at the ear → table, down {drop:.2} m in {dur:.0} ms"),
            )
        });
    }

    // ---- Negatives.
    for _ in 0..4 {
        b.add(None, "walking", |r| {
            let f = r.gen_range(1.5..2.2);
            let a = r.gen_range(1.5..3.5);
            let pitch = r.gen_range(25.0..55.0);
            (
                Scene {
                    keys: vec![key(0.0, pitch, 0.0, 0.0, [0.0; 3], true)],
                    extras: vec![Extra::Gait {
                        from: 0.0,
                        to: 8000.0,
                        f,
                        a,
                        sway: 0.8,
                        wobble: r.gen_range(2.0..6.0),
                    }],
                    duration: 8000.0,
                },
                format!("walking at {f:.1} Hz, bounce {a:.1} m/s², phone in hand at {pitch:.0}°"),
            )
        });
    }
    for _ in 0..3 {
        b.add(None, "running", |r| {
            let f = r.gen_range(2.6..3.2);
            let a = r.gen_range(6.0..11.0);
            let pitch = r.gen_range(40.0..70.0);
            (
                Scene {
                    keys: vec![key(0.0, pitch, 0.0, 0.0, [0.0; 3], true)],
                    extras: vec![Extra::Gait {
                        from: 0.0,
                        to: 8000.0,
                        f,
                        a,
                        sway: 2.5,
                        wobble: r.gen_range(15.0..30.0),
                    }],
                    duration: 8000.0,
                },
                format!("running at {f:.1} Hz, bounce {a:.1} m/s², arm swing around {pitch:.0}°"),
            )
        });
    }
    for i in 0..5 {
        b.add(None, "pocketing", |r| {
            let upright = i % 2 == 0;
            let walking = i >= 3;
            let end_pitch = if upright {
                r.gen_range(75.0..100.0)
            } else {
                r.gen_range(-100.0..-75.0)
            };
            let dur = r.gen_range(600.0..1200.0);
            let t0 = r.gen_range(900.0..1400.0);
            let drop = r.gen_range(0.25..0.5);
            let mut extras = vec![];
            if walking {
                extras.push(Extra::Gait {
                    from: t0 + dur,
                    to: t0 + dur + 4000.0,
                    f: 1.8,
                    a: 2.5,
                    sway: 0.8,
                    wobble: 3.0,
                });
            }
            (
                Scene {
                    keys: vec![
                        key(0.0, 40.0, 0.0, 0.0, [0.0; 3], true),
                        key(t0, 40.0, 0.0, 0.0, [0.0; 3], true),
                        key(
                            t0 + dur,
                            end_pitch,
                            r.gen_range(-10.0..10.0),
                            0.0,
                            [0.15, 0.0, -drop],
                            false,
                        ),
                    ],
                    extras,
                    duration: t0 + dur + 4000.0,
                },
                format!(
                    "reading → trouser pocket {} ({end_pitch:.0}°), down {drop:.2} m{}",
                    if upright { "top up" } else { "top down" },
                    if walking {
                        ", then walking"
                    } else {
                        ", standing"
                    }
                ),
            )
        });
    }
    for i in 0..4 {
        b.add(None, "out_of_pocket", |r| {
            let start = if i % 2 == 0 { 88.0 } else { -88.0 };
            let dur = r.gen_range(700.0..1200.0);
            let t0 = r.gen_range(900.0..1400.0);
            let rise = r.gen_range(0.3..0.5);
            let end = r.gen_range(25.0..50.0);
            (
                Scene {
                    keys: vec![
                        key(0.0, start, 0.0, 0.0, [0.0; 3], false),
                        key(t0, start, 0.0, 0.0, [0.0; 3], false),
                        key(t0 + dur, end, 0.0, 0.0, [-0.1, 0.1, rise], true),
                    ],
                    extras: vec![],
                    duration: t0 + dur + 2500.0,
                },
                format!("pocket ({start:.0}°) → reading at {end:.0}°, up {rise:.2} m"),
            )
        });
    }
    for _ in 0..4 {
        b.add(None, "table_taps", |r| {
            let mut extras = vec![];
            let mut t = 800.0;
            while t < 6000.0 {
                extras.push(Extra::Knock {
                    t,
                    a: r.gen_range(2.0..12.0) * if r.gen_bool(0.5) { 1.0 } else { -1.0 },
                });
                t += r.gen_range(150.0..900.0);
            }
            let n = extras.len();
            (
                Scene {
                    keys: vec![key(0.0, r.gen_range(-2.0..2.0), 0.0, 0.0, [0.0; 3], false)],
                    extras,
                    duration: 7000.0,
                },
                format!("flat on a table, {n} finger taps of 2–12 m/s²"),
            )
        });
    }
    for i in 0..3 {
        b.add(None, "landscape", |r| {
            let pitch = r.gen_range(25.0..55.0);
            let yaw = if i == 1 { -90.0 } else { 90.0 };
            let t0 = r.gen_range(900.0..1400.0);
            let dur = r.gen_range(400.0..900.0);
            (
                Scene {
                    keys: vec![
                        key(0.0, pitch, 0.0, 0.0, [0.0; 3], true),
                        key(t0, pitch, 0.0, 0.0, [0.0; 3], true),
                        key(
                            t0 + dur,
                            pitch + r.gen_range(-10.0..10.0),
                            0.0,
                            yaw,
                            [0.0, 0.0, 0.03],
                            true,
                        ),
                    ],
                    extras: vec![],
                    duration: t0 + dur + 2500.0,
                },
                format!("reading at {pitch:.0}°, turned to landscape ({yaw:.0}°)"),
            )
        });
    }
    for _ in 0..3 {
        b.add(None, "sitting_down", |r| {
            let pitch = r.gen_range(25.0..55.0);
            let t0 = r.gen_range(900.0..1400.0);
            let dur = r.gen_range(800.0..1300.0);
            let drop = r.gen_range(0.35..0.55);
            (
                Scene {
                    keys: vec![
                        key(0.0, pitch, 0.0, 0.0, [0.0; 3], true),
                        key(t0, pitch, 0.0, 0.0, [0.0; 3], true),
                        key(
                            t0 + dur,
                            pitch - r.gen_range(-10.0..15.0),
                            0.0,
                            0.0,
                            [0.0, -0.1, -drop],
                            true,
                        ),
                    ],
                    extras: vec![Extra::Knock {
                        t: t0 + dur - 20.0,
                        a: 3.0,
                    }],
                    duration: t0 + dur + 2500.0,
                },
                format!("reading at {pitch:.0}° while sitting down ({drop:.2} m)"),
            )
        });
    }
    for _ in 0..3 {
        b.add(None, "arm_down", |r| {
            let t0 = r.gen_range(900.0..1400.0);
            let dur = r.gen_range(600.0..1000.0);
            let drop = r.gen_range(0.35..0.6);
            let end = r.gen_range(75.0..100.0);
            (
                Scene {
                    keys: vec![
                        key(0.0, 40.0, 0.0, 0.0, [0.0; 3], true),
                        key(t0, 40.0, 0.0, 0.0, [0.0; 3], true),
                        key(
                            t0 + dur,
                            end,
                            r.gen_range(-30.0..30.0),
                            0.0,
                            [0.2, -0.1, -drop],
                            true,
                        ),
                    ],
                    extras: vec![],
                    duration: t0 + dur + 2500.0,
                },
                format!(
                    "reading → arm hanging at the side, phone top up ({end:.0}°), down {drop:.2} m"
                ),
            )
        });
    }
    for _ in 0..2 {
        b.add(None, "raise_to_read", |r| {
            let t0 = r.gen_range(900.0..1400.0);
            let dur = r.gen_range(600.0..1000.0);
            let rise = r.gen_range(0.35..0.6);
            let end = r.gen_range(25.0..50.0);
            (
                Scene {
                    keys: vec![
                        key(0.0, 88.0, 10.0, 0.0, [0.0; 3], true),
                        key(t0, 88.0, 10.0, 0.0, [0.0; 3], true),
                        key(t0 + dur, end, 0.0, 0.0, [-0.2, 0.1, rise], true),
                    ],
                    extras: vec![],
                    duration: t0 + dur + 2500.0,
                },
                format!("arm hanging (88°) → reading at {end:.0}°, up {rise:.2} m"),
            )
        });
    }
    for _ in 0..3 {
        b.add(None, "show_screen", |r| {
            let t0 = r.gen_range(900.0..1400.0);
            let dur = r.gen_range(500.0..900.0);
            let end = r.gen_range(85.0..110.0);
            let up = r.gen_range(0.0..0.06);
            (
                Scene {
                    keys: vec![
                        key(0.0, 40.0, 0.0, 0.0, [0.0; 3], true),
                        key(t0, 40.0, 0.0, 0.0, [0.0; 3], true),
                        key(t0 + dur, end, 0.0, 0.0, [0.0, 0.25, up], true),
                    ],
                    extras: vec![],
                    duration: t0 + dur + 2500.0,
                },
                format!("reading → screen turned to a person in front ({end:.0}°), forward 0.25 m, up {up:.2} m"),
            )
        });
    }
    for _ in 0..2 {
        b.add(None, "pick_up_to_read", |r| {
            let t0 = r.gen_range(900.0..1400.0);
            let dur = r.gen_range(600.0..1000.0);
            let end = r.gen_range(25.0..50.0);
            (
                Scene {
                    keys: vec![
                        key(0.0, 0.0, 0.0, 0.0, [0.0; 3], false),
                        key(t0, 0.0, 0.0, 0.0, [0.0; 3], false),
                        key(t0 + dur, end, 0.0, 0.0, [0.0, -0.15, 0.3], true),
                    ],
                    extras: vec![],
                    duration: t0 + dur + 2500.0,
                },
                format!("flat on a table → reading at {end:.0}°"),
            )
        });
    }
    for _ in 0..3 {
        b.add(None, "idle_in_hand", |r| {
            let pitch = r.gen_range(5.0..55.0);
            (
                Scene {
                    keys: vec![key(0.0, pitch, 0.0, 0.0, [0.0; 3], true)],
                    extras: vec![],
                    duration: 8000.0,
                },
                format!("held still-ish at {pitch:.0}°, reading"),
            )
        });
    }
    b.traces
}

/// The CSV text of a trace (`t_ms,x,y,z`).
pub fn to_csv(t: &Trace) -> String {
    let mut s = String::from("t_ms,x,y,z\n");
    for x in &t.samples {
        s.push_str(&format!("{:.1},{:.3},{:.3},{:.3}\n", x.t_ms, x.x, x.y, x.z));
    }
    s
}

/// manifest.csv: file,label,kind,rate_hz,samples,description.
pub fn manifest(traces: &[Trace]) -> String {
    let mut s = String::from("file,label,kind,rate_hz,samples,description\n");
    for t in traces {
        s.push_str(&format!(
            "{}.csv,{},{},{},{},\"{}\"\n",
            t.name,
            label_of(t.expected),
            t.kind,
            t.rate_hz,
            t.samples.len(),
            t.description.replace('"', "'")
        ));
    }
    s
}
