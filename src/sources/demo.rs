//! The embedded demo: a scripted incident (alerts, SLO burn, a DR drill) played in real time
//! with no servers. The player is pure (`advance(now)` returns the events due by `now`), so
//! tests replay it at fixed instants; `spawn` merely calls it once a second. The drill is a
//! shipped drill file, compiled in, played as the records a facilitator's console writes.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::timing::{Offset, Span, until_tick};
use crate::drill::{Answer, Drill, Moment, score};
use crate::incident::RecordKind;
use crate::runbook::Runbook;
use crate::sanitize;
use crate::slo::{self, SloStatus};
use crate::state::{Ack, Alert, AlertState, DrillRun, Event, Severity};

/// The scenario shipped in `assets/`, compiled into the binary.
pub const EMBEDDED: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/demo-scenario.yaml"
));

macro_rules! runbook {
    ($id:literal) => {
        (
            $id,
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/runbooks/",
                $id,
                ".md"
            )),
        )
    };
}

/// The demo's drill log: the previous run its drill is scored against, compiled in.
pub const DRILL_LOG: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/demo-drill-log.md"
));

/// The drill files the demo can play, compiled into the binary.
pub const DRILLS: &[(&str, &str)] = &[(
    "dr-cross-region",
    include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/runbooks/drills/dr-cross-region.yaml"
    )),
)];

pub const SOURCE: &str = "demo";
const SNAPSHOT_EVERY: i64 = 5;
const HISTORY_MINUTES: i64 = 360;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The scenario starts over after this long, so a demo left open stays alive.
    pub loop_after: Span,
    pub alerts: Vec<ScriptedAlert>,
    pub slos: Vec<ScriptedSlo>,
    pub drill: ScriptedDrill,
    /// Not in the YAML: the shipped runbooks compiled in, see [`RUNBOOKS`].
    #[serde(skip)]
    pub runbooks: Vec<Runbook>,
    /// Not in the YAML: the drill file `drill.file` names (see [`DRILLS`]) and its hash.
    #[serde(skip)]
    pub drill_file: Option<(Drill, String)>,
    /// Not in the YAML: the demo's drill log ([`DRILL_LOG`]), for "the previous drill".
    #[serde(skip)]
    pub drill_log: Vec<crate::drill::LogEntry>,
}

/// The shipped runbooks, compiled into the binary so the demo needs no files around it.
pub const RUNBOOKS: &[(&str, &str)] = &[
    runbook!("catalog-p99-latency"),
    runbook!("payments-failure-rate"),
    runbook!("db-replication-lag"),
    runbook!("dr-region-failover"),
    runbook!("pod-crash-loop"),
    runbook!("node-failure"),
    runbook!("db-connection-pool-exhaustion"),
    runbook!("inference-oom"),
    runbook!("high-latency-under-load"),
    runbook!("tls-cert-expiry"),
];

/// Parses the embedded runbooks; the demo refuses to start on a broken one.
pub fn embedded_runbooks() -> Result<Vec<Runbook>, String> {
    RUNBOOKS
        .iter()
        .map(|(id, text)| {
            let path = format!("runbooks/{id}.md");
            crate::runbook::parse::parse(id, &path, text)
                .map(|p| p.runbook)
                .map_err(|d| d.to_string())
        })
        .collect()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedAlert {
    pub name: String,
    pub severity: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub fires_at: Offset,
    pub resolves_at: Offset,
    pub acked: Option<ScriptedAck>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedAck {
    pub at: Offset,
    pub by: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedSlo {
    pub name: String,
    pub service: String,
    pub objective: f64,
    pub window: Span,
    /// Fraction of the error budget already spent when the 6 h history begins.
    pub budget_spent_before: f64,
    pub baseline_error_ratio: f64,
    /// Relative noise around the baseline, 0..1.
    pub noise: f64,
    #[serde(default)]
    pub burns: Vec<Burn>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Burn {
    pub from: Offset,
    pub to: Offset,
    pub error_ratio: f64,
}

/// When the scripted facilitator does what: the drill's name, targets, phases and guards
/// come from the drill file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedDrill {
    /// A drill file in `runbooks/drills/` that the binary carries ([`DRILLS`]).
    pub file: String,
    /// T+0.
    pub injected_at: Offset,
    /// When each phase starts, one per phase of the file. A phase's guards are answered
    /// (each with the answer that lets the drill proceed) in the seconds before it.
    pub phase_starts: Vec<Offset>,
    #[serde(default)]
    pub human_waits: Vec<HumanWait>,
    /// The RPO measured at the file's `measure_rpo.at` moment.
    pub rpo: Span,
    /// The customer flow works again: the clock stops.
    pub restored_at: Offset,
    /// "What was different this time?" answered and the drill scored.
    pub scored_at: Offset,
    pub different: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HumanWait {
    pub from: Offset,
    pub to: Offset,
}

impl Scenario {
    /// The compiled-in scenario with the shipped runbooks.
    pub fn embedded() -> Result<Scenario, String> {
        let mut s = Scenario::parse(EMBEDDED)?;
        s.runbooks = embedded_runbooks()?;
        Ok(s)
    }

    pub fn parse(text: &str) -> Result<Scenario, String> {
        let mut s: Scenario =
            serde_yaml::from_str(text).map_err(|e| format!("demo scenario: {e}"))?;
        let d = &s.drill;
        let Some((_, drill_text)) = DRILLS.iter().find(|(id, _)| *id == d.file) else {
            return Err(format!(
                "demo scenario: drill file `{}` is not compiled in (there is {})",
                d.file,
                DRILLS
                    .iter()
                    .map(|(id, _)| *id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        let path = format!("runbooks/drills/{}.yaml", d.file);
        let spec = crate::drill::model::parse(&path, drill_text)
            .map_err(|e| format!("demo scenario: {e}"))?;
        if d.phase_starts.len() != spec.phases.len() {
            return Err(format!(
                "demo scenario: drill `{}` has {} phases; phase_starts gives {}",
                d.file,
                spec.phases.len(),
                d.phase_starts.len()
            ));
        }
        let times: Vec<i64> = std::iter::once(d.injected_at.0)
            .chain(d.phase_starts.iter().map(|o| o.0))
            .chain([d.restored_at.0, d.scored_at.0])
            .collect();
        if times.windows(2).any(|w| w[0] > w[1]) {
            return Err("demo scenario: the drill's times go back: injected_at, phase_starts, restored_at and scored_at must come in that order".into());
        }
        s.drill_file = Some((spec, crate::drill::model::sha256_hex(drill_text.as_bytes())));
        s.drill_log =
            crate::drill::log::parse(std::path::Path::new("assets/demo-drill-log.md"), DRILL_LOG)
                .map_err(|e| format!("demo drill log: {e}"))?;
        if s.loop_after.0 < Duration::from_secs(60) {
            return Err("demo scenario: loop_after must be at least 1m".into());
        }
        for a in &s.alerts {
            if Severity::parse(&a.severity).is_none() {
                return Err(format!(
                    "demo scenario: alert {} has severity `{}` (use P0, P1 or P2)",
                    a.name, a.severity
                ));
            }
        }
        Ok(s)
    }
}

/// A timed, one-off happening within a cycle (acks and the drill's records).
#[derive(Debug, Clone)]
enum Cue {
    Ack { alert: usize, by: String },
    Drill(Box<RecordKind>),
}

pub struct DemoPlayer {
    scenario: Scenario,
    start: DateTime<Utc>,
    cycle: i64,
    /// Cues of the current cycle sorted by offset, and how many were sent.
    cues: Vec<(i64, Cue)>,
    sent: usize,
    last_snapshot: Option<DateTime<Utc>>,
    last_active: Vec<usize>,
}

impl DemoPlayer {
    pub fn new(scenario: Scenario, start: DateTime<Utc>) -> DemoPlayer {
        let cues = cues_of(&scenario);
        DemoPlayer {
            scenario,
            start,
            cycle: 0,
            cues,
            sent: 0,
            last_snapshot: None,
            last_active: Vec::new(),
        }
    }

    fn cycle_len(&self) -> i64 {
        self.scenario.loop_after.0.as_secs().max(60) as i64
    }

    fn cycle_start(&self) -> DateTime<Utc> {
        self.start + chrono::Duration::seconds(self.cycle * self.cycle_len())
    }

    /// Everything that happened by `now` and was not sent yet, in order.
    pub fn advance(&mut self, now: DateTime<Utc>) -> Vec<Event> {
        let mut out = Vec::new();
        if self.sent == 0 && self.last_snapshot.is_none() && self.cycle == 0 {
            out.push(Event::RunbooksLoaded(self.scenario.runbooks.clone()));
        }
        let elapsed = (now - self.start).num_seconds().max(0);
        let cycle = elapsed / self.cycle_len();
        if cycle != self.cycle {
            self.cycle = cycle;
            self.sent = 0;
            self.last_snapshot = None;
            self.last_active.clear();
            out.push(Event::DemoRestart);
        }
        let base = self.cycle_start();
        let t = (now - base).num_seconds();

        let active: Vec<usize> = (0..self.scenario.alerts.len())
            .filter(|&i| {
                let a = &self.scenario.alerts[i];
                a.fires_at.0 <= t && t < a.resolves_at.0
            })
            .collect();
        let due = self
            .last_snapshot
            .is_none_or(|l| (now - l).num_seconds() >= SNAPSHOT_EVERY);
        if due || active != self.last_active {
            out.push(Event::Alerts {
                source: SOURCE.into(),
                at: now,
                alerts: active
                    .iter()
                    .map(|&i| std::sync::Arc::new(self.alert(i, base)))
                    .collect(),
            });
            self.last_active = active;
        }
        if due {
            out.push(Event::Slos {
                source: SOURCE.into(),
                at: now,
                slos: self
                    .scenario
                    .slos
                    .iter()
                    .enumerate()
                    .map(|(i, s)| slo_at(i, s, t))
                    .collect(),
            });
            self.last_snapshot = Some(now);
        }
        while let Some((at, cue)) = self.cues.get(self.sent).cloned() {
            if at > t {
                break;
            }
            self.sent += 1;
            if let Some(ev) = self.cue_event(cue, Offset(at).after(base)) {
                out.push(ev);
            }
        }
        out
    }

    fn alert(&self, i: usize, base: DateTime<Utc>) -> Alert {
        let a = &self.scenario.alerts[i];
        let clean = |m: &BTreeMap<String, String>| {
            m.iter()
                .map(|(k, v)| {
                    (
                        sanitize::escape(k).into_owned(),
                        sanitize::escape_truncated(v, 2048),
                    )
                })
                .collect::<BTreeMap<_, _>>()
        };
        Alert {
            fingerprint: fingerprint(&a.name, &a.labels),
            name: sanitize::escape(&a.name).into(),
            severity: Severity::parse(&a.severity).unwrap_or(Severity::P2),
            state: AlertState::Active,
            starts_at: a.fires_at.after(base),
            labels: clean(&a.labels).into(),
            annotations: clean(&a.annotations).into(),
            runbook: a
                .annotations
                .get("runbook_url")
                .and_then(|u| crate::state::alerts::runbook_id_from_url(u))
                .map(Into::into),
            silenced_by: Vec::new(),
            inhibited_by: Vec::new(),
            generator_url: None,
            seen_by: vec![SOURCE.into()],
            group: None,
        }
    }

    fn cue_event(&self, cue: Cue, at: DateTime<Utc>) -> Option<Event> {
        Some(match cue {
            Cue::Ack { alert, by } => {
                let a = &self.scenario.alerts[alert];
                Event::Acked {
                    fingerprint: fingerprint(&a.name, &a.labels),
                    ack: Ack { by, at },
                }
            }
            Cue::Drill(kind) => {
                let mut kind = *kind;
                if let RecordKind::RpoMeasured { measured_at, .. } = &mut kind {
                    *measured_at = at;
                }
                Event::Drill { at, kind }
            }
        })
    }
}

/// The records a facilitator's console would write for the scripted drill, at their
/// offsets. The score comes from folding them, exactly as a console does.
fn drill_cues(s: &Scenario) -> Vec<(i64, Cue)> {
    let Some((spec, sha)) = &s.drill_file else {
        return Vec::new();
    };
    let d = &s.drill;
    let mut records: Vec<(i64, RecordKind)> = vec![(
        d.injected_at.0,
        RecordKind::DrillStarted {
            drill: d.file.clone(),
            file: format!("runbooks/drills/{}.yaml", d.file),
            sha256: sha.clone(),
            spec: spec.clone(),
        },
    )];
    for (i, (p, at)) in spec.phases.iter().zip(&d.phase_starts).enumerate() {
        let n = p.guards.len() as i64;
        for (j, g) in p.guards.iter().enumerate() {
            let answer = match g.stop_if {
                Answer::Yes => Answer::No,
                Answer::No => Answer::Yes,
            };
            records.push((
                at.0 - 5 * (n - j as i64),
                RecordKind::GuardAnswered {
                    phase: i + 1,
                    guard: j + 1,
                    question: g.ask.clone(),
                    answer,
                    proceed: true,
                },
            ));
        }
        records.push((
            at.0,
            RecordKind::PhaseStarted {
                phase: i + 1,
                name: p.name.clone(),
                runbook: p.runbook.clone(),
                step: p.step.clone(),
            },
        ));
    }
    for w in &d.human_waits {
        let what = "scripted".to_string();
        records.push((w.from.0, RecordKind::HumanPrompted { what: what.clone() }));
        records.push((w.to.0, RecordKind::HumanAnswered { what }));
    }
    let rpo_at = match spec.measure_rpo.at {
        Moment::PhaseStart(n) => d.phase_starts.get(n - 1).map(|o| o.0),
        Moment::PhaseEnd(n) => d.phase_starts.get(n).map(|o| o.0),
        Moment::DrillEnd => None,
    }
    .unwrap_or(d.restored_at.0);
    let base = DateTime::<Utc>::UNIX_EPOCH;
    records.push((
        rpo_at,
        RecordKind::RpoMeasured {
            seconds: d.rpo.0.as_secs_f64(),
            source: if spec.measure_rpo.query.is_some() {
                "query"
            } else {
                "facilitator"
            }
            .into(),
            measured_at: Offset(rpo_at).after(base),
            query: spec.measure_rpo.query.clone(),
            note: None,
        },
    ));
    records.push((d.restored_at.0, RecordKind::ServiceRestored {}));
    // Stable: records scripted at the same instant keep the order above.
    records.sort_by_key(|(at, _)| *at);
    // Fold a shadow run on a fixed base to score it, as the console does.
    let mut shadow: Option<DrillRun> = None;
    for (at, kind) in &records {
        let t = Offset(*at).after(base);
        match (kind, shadow.as_mut()) {
            (
                RecordKind::DrillStarted {
                    drill,
                    file,
                    sha256,
                    spec,
                },
                _,
            ) => shadow = Some(DrillRun::start(drill, None, file, sha256, spec, t)),
            (k, Some(r)) => r.apply(k, t),
            (_, None) => {}
        }
    }
    if let Some(r) = shadow {
        let measured = r.measured(Offset(d.scored_at.0).after(base));
        // Scored against the previous run in the demo's drill log, as a console would be.
        let previous = crate::drill::log::previous(&s.drill_log, &d.file, "");
        let score = score::score(&measured, &d.different, previous, Some(sha));
        records.push((
            d.scored_at.0,
            RecordKind::DrillFinished {
                different: d.different.clone(),
                score,
            },
        ));
    }
    records
        .into_iter()
        .map(|(at, kind)| (at, Cue::Drill(Box::new(kind))))
        .collect()
}

fn cues_of(s: &Scenario) -> Vec<(i64, Cue)> {
    let mut cues = drill_cues(s);
    for (i, a) in s.alerts.iter().enumerate() {
        if let Some(ack) = &a.acked {
            cues.push((
                ack.at.0.max(a.fires_at.0),
                Cue::Ack {
                    alert: i,
                    by: ack.by.clone(),
                },
            ));
        }
    }
    // Stable: the drill's records keep their order at the same instant.
    cues.sort_by_key(|(at, _)| *at);
    cues
}

/// FNV-1a: a fixed hash, so fingerprints and noise are the same on every build and run
/// (std's hasher makes no such promise across Rust releases).
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.iter().chain(&[0xff]) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn fingerprint(name: &str, labels: &BTreeMap<String, String>) -> String {
    let mut parts: Vec<&[u8]> = vec![name.as_bytes()];
    for (k, v) in labels {
        parts.push(k.as_bytes());
        parts.push(v.as_bytes());
    }
    format!("{:016x}", fnv1a(&parts))
}

/// The scripted error ratio at `t` seconds into the cycle: a noisy baseline plus burns,
/// each ramping up and down over a minute.
fn error_ratio(slo_index: usize, s: &ScriptedSlo, t: i64) -> f64 {
    let minute = t.div_euclid(60);
    let h = fnv1a(&[&slo_index.to_le_bytes(), &minute.to_le_bytes()]);
    let noise = (h % 2001) as f64 / 1000.0 - 1.0;
    let mut ratio = s.baseline_error_ratio * (1.0 + s.noise.clamp(0.0, 1.0) * noise);
    for b in &s.burns {
        let ramp_in = ((t - b.from.0) as f64 / 60.0).clamp(0.0, 1.0);
        let ramp_out = ((b.to.0 - t) as f64 / 60.0).clamp(0.0, 1.0);
        ratio += b.error_ratio * ramp_in.min(ramp_out);
    }
    ratio.clamp(0.0, 1.0)
}

/// The SLO as a Prometheus-backed source would report it at `t` seconds into the cycle.
fn slo_at(i: usize, s: &ScriptedSlo, t: i64) -> SloStatus {
    let now_minute = t.div_euclid(60);
    let series: Vec<f64> = (now_minute - HISTORY_MINUTES + 1..=now_minute)
        .map(|m| error_ratio(i, s, m * 60))
        .collect();
    let mean = |n: usize| {
        let tail = &series[series.len().saturating_sub(n)..];
        tail.iter().sum::<f64>() / tail.len().max(1) as f64
    };
    let window = s.window.0.as_secs_f64().max(1.0);
    let budget = slo::budget_ratio(s.objective);
    // Budget spent: what was spent before the history, plus every full minute shown, plus
    // the running second-by-second part of this minute, so the burn is visible live.
    let full: f64 = series[..series.len() - 1].iter().map(|r| r * 60.0).sum();
    let partial = error_ratio(i, s, t) * (t - now_minute * 60) as f64;
    let spent = s.budget_spent_before + (full + partial) / (budget * window);
    SloStatus {
        name: s.name.clone(),
        service: s.service.clone(),
        objective: s.objective,
        window: s.window.0,
        error_ratio_now: mean(5),
        burn_1h: slo::burn_rate(mean(60), s.objective),
        burn_6h: slo::burn_rate(mean(360), s.objective),
        series,
        step: Duration::from_secs(60),
        budget_remaining: 1.0 - spent,
        ..SloStatus::default()
    }
}

/// Plays on into `tx` once a second, aligned to the wall clock, until the receiver is gone.
/// The caller folds the player's first `advance` itself, so the first frame already shows
/// the scenario (and a key pressed at once meets the same state a person sees).
pub fn spawn(mut player: DemoPlayer, tx: mpsc::Sender<Event>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(until_tick(Utc::now())).await;
            for ev in player.advance(Utc::now()) {
                if tx.send(ev).await.is_err() {
                    return;
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn embedded_scenario_parses() {
        let s = Scenario::embedded().unwrap();
        assert!(s.alerts.len() >= 3);
        assert!(s.runbooks.len() >= 10);
        assert!(s.runbooks.iter().all(|r| !r.steps.is_empty()));
        // Every alert opens a shipped runbook, by its runbook_url and by alert name.
        for a in &s.alerts {
            let url = a.annotations.get("runbook_url").expect("runbook_url");
            let id = crate::state::alerts::runbook_id_from_url(url).unwrap();
            let rb = s.runbooks.iter().find(|r| r.id == id).expect("shipped");
            assert!(rb.meta.alerts.contains(&a.name), "{id} answers {}", a.name);
        }
        for r in &s.runbooks {
            for step in &r.steps {
                for b in &step.branches {
                    assert!(r.step_index(&b.target).is_some(), "{}: #{}", r.id, b.target);
                }
            }
        }
    }

    #[test]
    fn first_advance_sends_runbooks_alerts_slos_and_the_drill() {
        let mut p = DemoPlayer::new(Scenario::embedded().unwrap(), t0());
        let evs = p.advance(t0());
        assert!(matches!(evs[0], Event::RunbooksLoaded(_)));
        assert!(
            evs.iter()
                .any(|e| matches!(e, Event::Alerts { alerts, .. } if !alerts.is_empty()))
        );
        assert!(evs.iter().any(
            |e| matches!(e, Event::Slos { slos, .. } if slos.iter().all(|s| s.series.len() == 360))
        ));
        assert!(evs.iter().any(|e| matches!(
            e,
            Event::Drill {
                kind: RecordKind::DrillStarted { .. },
                ..
            }
        )));
        // Nothing new one second later except what is due.
        let again = p.advance(t0() + chrono::Duration::seconds(1));
        assert!(!again.iter().any(|e| matches!(
            e,
            Event::RunbooksLoaded(_)
                | Event::Drill {
                    kind: RecordKind::DrillStarted { .. },
                    ..
                }
        )));
    }

    #[test]
    fn the_demo_drill_is_scored_against_its_previous_run() {
        let s = Scenario::embedded().unwrap();
        assert_eq!(s.drill_log.len(), 1);
        let score = drill_cues(&s)
            .into_iter()
            .find_map(|(_, c)| match c {
                Cue::Drill(k) => match *k {
                    RecordKind::DrillFinished { score, .. } => Some(score),
                    _ => None,
                },
                _ => None,
            })
            .expect("the demo drill is scored");
        assert_eq!(score.previous_human_s, Some(320), "{score:?}");
        assert!(score.relaxed.is_empty() && !score.theatrical);
    }

    #[test]
    fn the_scenario_loops() {
        let s = Scenario::embedded().unwrap();
        let len = s.loop_after.0.as_secs() as i64;
        let mut p = DemoPlayer::new(s, t0());
        p.advance(t0());
        let evs = p.advance(t0() + chrono::Duration::seconds(len + 1));
        assert!(matches!(evs[0], Event::DemoRestart));
        assert!(evs.iter().any(|e| matches!(
            e,
            Event::Drill {
                kind: RecordKind::DrillStarted { .. },
                ..
            }
        )));
    }

    #[test]
    fn burning_slo_spends_budget_second_by_second() {
        let s = Scenario::embedded().unwrap();
        let (i, burning) = s
            .slos
            .iter()
            .enumerate()
            .find(|(_, x)| x.burns.iter().any(|b| b.from.0 <= 0 && b.to.0 > 120))
            .expect("a burn in progress at the start");
        let a = slo_at(i, burning, 60);
        let b = slo_at(i, burning, 90);
        assert!(b.budget_remaining < a.budget_remaining);
        assert!(a.burn_1h > 1.0, "burning faster than budget: {}", a.burn_1h);
    }
}
