//! The drill clock: phases against frozen targets, the RTO budget, and human action time.
//! Pure arithmetic over timestamps, so the same clock resumes from a journal. [`DrillRun`]
//! is the fold of a drill's records (journaled, or scripted by the demo) around that clock.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::drill::{Answer, Drill, Measured, Moment, Score};
use crate::incident::RecordKind;

#[derive(Debug, Clone, PartialEq)]
pub struct PhaseClock {
    pub name: String,
    pub target: Duration,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// How a running or finished phase stands against its target, readable without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    OnTime,
    /// Past 80 % of the target.
    Warning,
    Over,
}

impl Pace {
    pub fn of(elapsed: Duration, target: Duration) -> Pace {
        if elapsed > target {
            Pace::Over
        } else if elapsed.as_secs_f64() > target.as_secs_f64() * 0.8 {
            Pace::Warning
        } else {
            Pace::OnTime
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Pace::OnTime => "ON TIME",
            Pace::Warning => "WARNING",
            Pace::Over => "OVER",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DrillClock {
    pub name: String,
    /// When the failure was injected: T+0.
    pub injected_at: DateTime<Utc>,
    pub rto_target: Duration,
    pub rpo_target: Duration,
    pub phases: Vec<PhaseClock>,
    /// Completed spans when a human was needed (presented → answered).
    pub human_done: Duration,
    /// A human is being waited on since then.
    pub human_since: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub rpo_actual: Option<Duration>,
}

/// `b - a`, never negative (clocks can be skewed between sources).
pub fn since(a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
    (b - a).to_std().unwrap_or(Duration::ZERO)
}

impl DrillClock {
    /// A clock for `spec` whose T+0 is `injected_at`, no phase started yet.
    pub fn new(spec: &Drill, injected_at: DateTime<Utc>) -> DrillClock {
        DrillClock {
            name: spec.name.clone(),
            injected_at,
            rto_target: spec.targets.rto.0,
            rpo_target: spec.targets.rpo.0,
            phases: spec
                .phases
                .iter()
                .map(|p| PhaseClock {
                    name: p.name.clone(),
                    target: p.target.0,
                    started_at: None,
                    ended_at: None,
                })
                .collect(),
            human_done: Duration::ZERO,
            human_since: None,
            ended_at: None,
            rpo_actual: None,
        }
    }

    pub fn is_running(&self) -> bool {
        self.ended_at.is_none()
    }

    /// The clock's "now": frozen at the end of the drill.
    fn at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.ended_at.map_or(now, |e| e.min(now))
    }

    /// T+ since the failure was injected.
    pub fn elapsed(&self, now: DateTime<Utc>) -> Duration {
        since(self.injected_at, self.at(now))
    }

    /// RTO budget left; negative values are reported as `Err(overrun)`.
    pub fn rto_left(&self, now: DateTime<Utc>) -> Result<Duration, Duration> {
        let e = self.elapsed(now);
        if e <= self.rto_target {
            Ok(self.rto_target - e)
        } else {
            Err(e - self.rto_target)
        }
    }

    pub fn current_phase(&self) -> Option<usize> {
        self.phases
            .iter()
            .rposition(|p| p.started_at.is_some() && p.ended_at.is_none())
    }

    pub fn phase_elapsed(&self, i: usize, now: DateTime<Utc>) -> Option<Duration> {
        let p = self.phases.get(i)?;
        let start = p.started_at?;
        Some(since(start, p.ended_at.unwrap_or(self.at(now))))
    }

    pub fn human_time(&self, now: DateTime<Utc>) -> Duration {
        self.human_done
            + self
                .human_since
                .map_or(Duration::ZERO, |s| since(s, self.at(now)))
    }

    /// Time the drill spent on machines and waiting, not on people.
    pub fn machine_time(&self, now: DateTime<Utc>) -> Duration {
        self.elapsed(now).saturating_sub(self.human_time(now))
    }

    pub fn start_phase(&mut self, i: usize, at: DateTime<Utc>) {
        for (j, p) in self.phases.iter_mut().enumerate() {
            if j < i && p.ended_at.is_none() {
                p.started_at.get_or_insert(at);
                p.ended_at = Some(at);
            }
        }
        if let Some(p) = self.phases.get_mut(i) {
            p.started_at = Some(at);
            p.ended_at = None;
        }
    }

    pub fn human_wait(&mut self, at: DateTime<Utc>) {
        self.human_since.get_or_insert(at);
    }

    pub fn human_answered(&mut self, at: DateTime<Utc>) {
        if let Some(s) = self.human_since.take() {
            self.human_done += since(s, at);
        }
    }

    pub fn finish(&mut self, at: DateTime<Utc>, rpo: Option<Duration>) {
        self.human_answered(at);
        for p in &mut self.phases {
            if p.started_at.is_some() && p.ended_at.is_none() {
                p.ended_at = Some(at);
            }
        }
        self.ended_at = Some(at);
        self.rpo_actual = rpo;
    }
}

/// An RPO value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct RpoReading {
    pub value: Duration,
    /// `query` or `facilitator`.
    pub source: String,
    pub measured_at: DateTime<Utc>,
    pub note: Option<String>,
}

/// How a phase's do-not-proceed guards stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guards {
    /// The phase has none.
    None,
    /// `answered` of `total` answered so far, none saying stop.
    Open { answered: usize, total: usize },
    /// Every guard answered: proceed.
    Clear,
    /// This guard (0-based) said do not proceed.
    Blocked(usize),
}

/// A drill run: the fold of its records around the clock.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillRun {
    /// The drill file's stem.
    pub drill: String,
    /// The run's journal id; `None` for the demo's scripted drill.
    pub run: Option<String>,
    pub file: String,
    /// The file's hash at the start.
    pub sha256: String,
    /// The drill as it was at the start: targets frozen.
    pub spec: Drill,
    pub clock: DrillClock,
    /// Per phase, the latest round of guard answers: `Some(proceed)`.
    pub guards: Vec<Vec<Option<bool>>>,
    /// What the human wait now open is for.
    pub waiting_on: Option<String>,
    pub rpo: Option<RpoReading>,
    /// "What was different this time?" and the score.
    pub finished: Option<(String, Score)>,
    /// Why the facilitator abandoned the run: its clock stopped there, it is not scored.
    pub abandoned: Option<String>,
    /// The phases' commands that have run (confirmed, or a check recorded), by phase
    /// (0-based) and block name.
    pub ran: std::collections::BTreeSet<(usize, String)>,
}

impl DrillRun {
    pub fn start(
        drill: &str,
        run: Option<String>,
        file: &str,
        sha256: &str,
        spec: &Drill,
        at: DateTime<Utc>,
    ) -> DrillRun {
        DrillRun {
            drill: drill.to_string(),
            run,
            file: file.to_string(),
            sha256: sha256.to_string(),
            spec: spec.clone(),
            clock: DrillClock::new(spec, at),
            guards: spec
                .phases
                .iter()
                .map(|p| vec![None; p.guards.len()])
                .collect(),
            waiting_on: None,
            rpo: None,
            finished: None,
            abandoned: None,
            ran: Default::default(),
        }
    }

    /// Folds one drill record (any other record is ignored). Phases and guards in records
    /// count from 1.
    pub fn apply(&mut self, kind: &RecordKind, at: DateTime<Utc>) {
        match kind {
            RecordKind::GuardAnswered {
                phase,
                guard,
                proceed,
                ..
            } => {
                if let Some(g) = self.guards.get_mut(phase.wrapping_sub(1)) {
                    if *guard == 1 {
                        g.iter_mut().for_each(|a| *a = None);
                    }
                    if let Some(a) = g.get_mut(guard.wrapping_sub(1)) {
                        *a = Some(*proceed);
                    }
                }
            }
            // Phases count from 1; a number the drill does not have changes nothing.
            RecordKind::PhaseStarted { phase, .. }
                if (1..=self.clock.phases.len()).contains(phase) =>
            {
                self.clock.start_phase(phase - 1, at)
            }
            RecordKind::HumanPrompted { what }
                if self.waiting_on.is_none() && self.clock.is_running() =>
            {
                self.waiting_on = Some(what.clone());
                self.clock.human_wait(at);
            }
            RecordKind::HumanAnswered { .. } => {
                self.waiting_on = None;
                self.clock.human_answered(at);
            }
            RecordKind::RpoMeasured {
                seconds,
                source,
                measured_at,
                note,
                ..
            } => {
                let value = Duration::from_secs_f64(seconds.max(0.0));
                self.clock.rpo_actual = Some(value);
                self.rpo = Some(RpoReading {
                    value,
                    source: source.clone(),
                    measured_at: *measured_at,
                    note: note.clone(),
                });
            }
            RecordKind::ServiceRestored {} => {
                self.waiting_on = None;
                self.clock.finish(at, self.clock.rpo_actual);
            }
            RecordKind::DrillFinished { different, score } => {
                self.finished = Some((different.clone(), score.clone()));
            }
            RecordKind::DrillAbandoned { reason } if self.finished.is_none() => {
                self.waiting_on = None;
                if self.clock.is_running() {
                    self.clock.finish(at, self.clock.rpo_actual);
                }
                self.abandoned = Some(reason.clone());
            }
            RecordKind::MitigationIntent { runbook, name, .. }
            | RecordKind::CheckRun { runbook, name, .. } => {
                if let Some(i) = self.clock.current_phase()
                    && let Some(p) = self.spec.phases.get(i)
                    && p.runbook.as_ref() == Some(runbook)
                    && p.commands.contains(name)
                {
                    self.ran.insert((i, name.clone()));
                }
            }
            _ => {}
        }
    }

    /// The running phase's commands, each with whether it has run.
    pub fn phase_commands(&self) -> Vec<(String, bool)> {
        let Some(i) = self
            .clock
            .current_phase()
            .filter(|_| self.clock.is_running())
        else {
            return Vec::new();
        };
        self.spec.phases[i]
            .commands
            .iter()
            .map(|c| (c.clone(), self.ran.contains(&(i, c.clone()))))
            .collect()
    }

    /// What the running phase leaves to people (its `by_hand`), while the clock runs.
    pub fn phase_by_hand(&self) -> &[String] {
        self.clock
            .current_phase()
            .filter(|_| self.clock.is_running())
            .and_then(|i| self.spec.phases.get(i))
            .map_or(&[], |p| p.by_hand.as_slice())
    }

    /// The run a journal holds: its `drill_started` and every drill record after it.
    pub fn from_records(
        run: Option<String>,
        records: &[crate::incident::Record],
    ) -> Option<DrillRun> {
        let mut out: Option<DrillRun> = None;
        for r in records {
            match (&r.kind, out.as_mut()) {
                (
                    RecordKind::DrillStarted {
                        drill,
                        file,
                        sha256,
                        spec,
                    },
                    _,
                ) => {
                    out = Some(DrillRun::start(
                        drill,
                        run.clone(),
                        file,
                        sha256,
                        spec,
                        r.at,
                    ))
                }
                (kind, Some(d)) => d.apply(kind, r.at),
                (_, None) => {}
            }
        }
        out
    }

    /// The drill log entry of a scored or abandoned run; `records` are its journal's.
    pub fn log_entry(&self, records: &[crate::incident::Record]) -> Option<crate::drill::LogEntry> {
        if let Some(reason) = &self.abandoned {
            let end = self.clock.ended_at?;
            return Some(crate::drill::LogEntry::abandoned(
                &self.drill,
                &self.spec.name,
                self.run.as_deref()?,
                self.clock.injected_at,
                &self.sha256,
                &self.measured(end),
                reason,
                crate::drill::log::timeline(records),
            ));
        }
        let (different, score) = self.finished.as_ref()?;
        Some(crate::drill::LogEntry::new(
            &self.drill,
            &self.spec.name,
            self.run.as_deref()?,
            self.clock.injected_at,
            &self.sha256,
            score,
            different,
            crate::drill::log::timeline(records),
        ))
    }

    /// The customer flow works again: the clock has stopped (and not by an abandonment).
    pub fn is_restored(&self) -> bool {
        self.clock.ended_at.is_some() && self.abandoned.is_none()
    }

    /// Scored or abandoned: nothing more happens in this run.
    pub fn is_over(&self) -> bool {
        self.finished.is_some() || self.abandoned.is_some()
    }

    /// The phase to start next (0-based); `None` once the last one has started.
    pub fn next_phase(&self) -> Option<usize> {
        let started = self
            .clock
            .phases
            .iter()
            .rposition(|p| p.started_at.is_some())
            .map_or(0, |i| i + 1);
        (started < self.clock.phases.len()).then_some(started)
    }

    pub fn guards(&self, phase: usize) -> Guards {
        let Some(g) = self.guards.get(phase).filter(|g| !g.is_empty()) else {
            return Guards::None;
        };
        if let Some(i) = g.iter().position(|a| *a == Some(false)) {
            return Guards::Blocked(i);
        }
        let answered = g.iter().filter(|a| a.is_some()).count();
        if answered == g.len() {
            Guards::Clear
        } else {
            Guards::Open {
                answered,
                total: g.len(),
            }
        }
    }

    /// When the RPO is to be measured, once that moment has come.
    pub fn rpo_due(&self) -> Option<DateTime<Utc>> {
        let phase = |n: usize| self.clock.phases.get(n.wrapping_sub(1));
        match self.spec.measure_rpo.at {
            Moment::PhaseStart(n) => phase(n)?.started_at,
            Moment::PhaseEnd(n) => phase(n)?.ended_at,
            Moment::DrillEnd => self.clock.ended_at,
        }
    }

    /// The RPO's moment has come and no value is recorded yet.
    pub fn rpo_pending(&self) -> bool {
        self.abandoned.is_none() && self.rpo.is_none() && self.rpo_due().is_some()
    }

    /// What scoring needs, with the clock stopped (or at `now` if it is still running).
    pub fn measured(&self, now: DateTime<Utc>) -> Measured {
        Measured {
            rto: self.clock.elapsed(now),
            rto_target: self.clock.rto_target,
            rpo: self.rpo.as_ref().map(|r| r.value),
            rpo_target: self.clock.rpo_target,
            human: self.clock.human_time(now),
            machine: self.clock.machine_time(now),
            sha256: self.sha256.clone(),
        }
    }

    /// The answer to guard `guard` of phase `phase` (0-based) that lets the drill proceed.
    pub fn proceed_answer(&self, phase: usize, guard: usize) -> Option<Answer> {
        let g = self.spec.phases.get(phase)?.guards.get(guard)?;
        Some(match g.stop_if {
            Answer::Yes => Answer::No,
            Answer::No => Answer::Yes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap()
    }

    fn clock() -> DrillClock {
        DrillClock {
            name: "failover".into(),
            injected_at: t(0),
            rto_target: Duration::from_secs(1800),
            rpo_target: Duration::from_secs(300),
            phases: ["confirm", "dns", "db", "workloads"]
                .iter()
                .map(|n| PhaseClock {
                    name: n.to_string(),
                    target: Duration::from_secs(300),
                    started_at: None,
                    ended_at: None,
                })
                .collect(),
            human_done: Duration::ZERO,
            human_since: None,
            ended_at: None,
            rpo_actual: None,
        }
    }

    #[test]
    fn phases_close_when_the_next_starts() {
        let mut c = clock();
        c.start_phase(0, t(0));
        c.start_phase(1, t(200));
        assert_eq!(c.current_phase(), Some(1));
        assert_eq!(c.phase_elapsed(0, t(999)), Some(Duration::from_secs(200)));
        assert_eq!(c.phase_elapsed(1, t(500)), Some(Duration::from_secs(300)));
    }

    #[test]
    fn pace_thresholds() {
        let target = Duration::from_secs(100);
        assert_eq!(Pace::of(Duration::from_secs(80), target), Pace::OnTime);
        assert_eq!(Pace::of(Duration::from_secs(81), target), Pace::Warning);
        assert_eq!(Pace::of(Duration::from_secs(101), target), Pace::Over);
    }

    #[test]
    fn rto_budget_and_overrun() {
        let c = clock();
        assert_eq!(c.rto_left(t(600)), Ok(Duration::from_secs(1200)));
        assert_eq!(c.rto_left(t(1900)), Err(Duration::from_secs(100)));
    }

    #[test]
    fn human_time_counts_open_waits_and_freezes_at_the_end() {
        let mut c = clock();
        c.human_wait(t(10));
        c.human_answered(t(40));
        c.human_wait(t(100));
        assert_eq!(c.human_time(t(110)), Duration::from_secs(40));
        c.finish(t(130), Some(Duration::from_secs(12)));
        assert_eq!(c.human_time(t(999)), Duration::from_secs(60));
        assert_eq!(c.elapsed(t(999)), Duration::from_secs(130));
        assert_eq!(c.machine_time(t(999)), Duration::from_secs(70));
        assert!(!c.is_running());
    }
}
