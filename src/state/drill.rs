//! The drill clock: phases against frozen targets, the RTO budget, and human action time.
//! Pure arithmetic over timestamps, so the same clock resumes from a journal.

use std::time::Duration;

use chrono::{DateTime, Utc};

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
