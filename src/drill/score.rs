//! Scoring a drill: RTO and RPO against the frozen targets, human action time against the
//! previous drill of the same name, and the three ways a drill turns into theatre: nothing
//! different two drills in a row, targets quietly relaxed, the drill file edited mid-drill.
//! Pure: the caller reads the log and the file.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::log::LogEntry;
use crate::sources::timing::Clock;

/// What one run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub rto: Duration,
    pub rto_target: Duration,
    pub rpo: Option<Duration>,
    pub rpo_target: Duration,
    pub human: Duration,
    pub machine: Duration,
    /// The drill file's hash when the drill started.
    pub sha256: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The score, as journaled in `drill_finished` and written to the drill log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Score {
    /// RTO and RPO both within their targets.
    pub passed: bool,
    pub rto_s: u64,
    pub rto_target_s: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo_s: Option<f64>,
    pub rpo_target_s: u64,
    pub human_s: u64,
    pub machine_s: u64,
    /// The previous drill of the same name, from the log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_human_s: Option<u64>,
    /// "Nothing" different, or the same difference as last time, two drills in a row.
    #[serde(default, skip_serializing_if = "is_false")]
    pub theatrical: bool,
    /// Targets looser than the previous drill's, e.g. `RTO 30:00 → 45:00`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relaxed: Vec<String>,
    /// The drill file's hash at scoring is not the one the drill started with.
    #[serde(default, skip_serializing_if = "is_false")]
    pub file_changed: bool,
}

impl Score {
    pub fn rto(&self) -> Duration {
        Duration::from_secs(self.rto_s)
    }

    pub fn rpo(&self) -> Option<Duration> {
        self.rpo_s.map(|s| Duration::from_secs_f64(s.max(0.0)))
    }

    pub fn rto_ok(&self) -> bool {
        self.rto_s <= self.rto_target_s
    }

    pub fn rpo_ok(&self) -> bool {
        self.rpo_s.is_some_and(|s| s <= self.rpo_target_s as f64)
    }

    pub fn result(&self) -> &'static str {
        if self.passed { "PASSED" } else { "FAILED" }
    }

    /// The warnings to show and log, each a short tag and what it means.
    pub fn banners(&self) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        if self.theatrical {
            out.push((
                "THEATRICAL DRILL".to_string(),
                "nothing was different two drills in a row: make the next one harder (a longer outage, fewer responders, business hours, one tool unavailable)",
            ));
        }
        if !self.relaxed.is_empty() {
            out.push((
                format!("TARGETS RELAXED ({})", self.relaxed.join(", ")),
                "targets are looser than in the previous drill: a drill that passes on relaxed targets proves nothing",
            ));
        }
        if self.file_changed {
            out.push((
                "DRILL FILE CHANGED".to_string(),
                "the drill file was edited during the drill: it was scored against the targets it started with",
            ));
        }
        out
    }
}

/// Lower case, letters and digits only, single spaces: "Nothing!" and "nothing" are one.
pub fn normalise(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Answers that say nothing was different.
const NOTHING: &[&str] = &[
    "",
    "nothing",
    "none",
    "no",
    "n a",
    "na",
    "nope",
    "nil",
    "same",
    "same as before",
    "same as last time",
    "nothing different",
    "nothing new",
    "nothing changed",
    "no change",
    "no changes",
    "no difference",
    "nothing was different",
];

pub fn says_nothing(text: &str) -> bool {
    NOTHING.contains(&normalise(text).as_str())
}

/// "Nothing" two drills in a row, or this drill's difference the same as the last one's.
pub fn theatrical(current: &str, previous: Option<&str>) -> bool {
    let Some(previous) = previous else {
        return false;
    };
    (says_nothing(current) && says_nothing(previous)) || normalise(current) == normalise(previous)
}

/// Each target looser now than in the previous drill.
pub fn relaxed(rto: Duration, rpo: Duration, previous: &LogEntry) -> Vec<String> {
    let mut out = Vec::new();
    for (name, now, before) in [
        ("RTO", rto, previous.rto_target),
        ("RPO", rpo, previous.rpo_target),
    ] {
        if now > before {
            out.push(format!("{name} {} → {}", Clock(before), Clock(now)));
        }
    }
    out
}

/// Scores a run. `previous` is the last log entry of the same drill; `sha_now` the drill
/// file's hash at scoring (`None`: the file is gone, which counts as changed).
pub fn score(
    m: &Measured,
    difference: &str,
    previous: Option<&LogEntry>,
    sha_now: Option<&str>,
) -> Score {
    let rpo_s = m.rpo.map(|d| d.as_secs_f64());
    let passed = m.rto <= m.rto_target && m.rpo.is_some_and(|r| r <= m.rpo_target);
    Score {
        passed,
        rto_s: m.rto.as_secs(),
        rto_target_s: m.rto_target.as_secs(),
        rpo_s,
        rpo_target_s: m.rpo_target.as_secs(),
        human_s: m.human.as_secs(),
        machine_s: m.machine.as_secs(),
        previous_human_s: previous.map(|p| p.human.as_secs()),
        theatrical: theatrical(difference, previous.map(|p| p.different.as_str())),
        relaxed: previous
            .map(|p| relaxed(m.rto_target, m.rpo_target, p))
            .unwrap_or_default(),
        file_changed: sha_now != Some(m.sha256.as_str()),
    }
}

/// What scoring needs from outside the console: the file's hash now, the log's previous
/// entry. Performed by the runtime off the UI task.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRequest {
    pub drill: String,
    pub run: String,
    pub file: std::path::PathBuf,
    pub log: std::path::PathBuf,
    pub measured: Measured,
    pub different: String,
}

impl ScoreRequest {
    /// Reads the drill file and the log, then scores.
    pub fn score(&self) -> Result<Score, String> {
        let entries = super::log::read(&self.log).map_err(|e| e.to_string())?;
        let previous = super::log::previous(&entries, &self.drill, &self.run);
        let sha_now = std::fs::read(&self.file)
            .ok()
            .map(|b| super::model::sha256_hex(&b));
        Ok(score(
            &self.measured,
            &self.different,
            previous,
            sha_now.as_deref(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drill::log::tests::entry;

    fn measured() -> Measured {
        Measured {
            rto: Duration::from_secs(762),
            rto_target: Duration::from_secs(1800),
            rpo: Some(Duration::from_secs(42)),
            rpo_target: Duration::from_secs(300),
            human: Duration::from_secs(250),
            machine: Duration::from_secs(512),
            sha256: "abc".into(),
        }
    }

    #[test]
    fn passes_within_targets_and_compares_human_time() {
        let prev = entry("dr", "nothing");
        let s = score(&measured(), "one responder", Some(&prev), Some("abc"));
        assert!(s.passed && s.rto_ok() && s.rpo_ok());
        assert_eq!(s.previous_human_s, Some(prev.human.as_secs()));
        assert!(!s.theatrical && s.relaxed.is_empty() && !s.file_changed);
        assert!(s.banners().is_empty());
    }

    #[test]
    fn fails_over_a_target_or_without_an_rpo() {
        let mut m = measured();
        m.rto = Duration::from_secs(1801);
        assert!(!score(&m, "x", None, Some("abc")).passed);
        let mut m = measured();
        m.rpo = None;
        let s = score(&m, "x", None, Some("abc"));
        assert!(!s.passed && !s.rpo_ok());
    }

    #[test]
    fn nothing_twice_in_a_row_is_theatre() {
        assert!(theatrical("Nothing.", Some("nothing")));
        assert!(theatrical("N/A", Some("same as last time")));
        assert!(theatrical(
            "  One responder, not three ",
            Some("one responder not three")
        ));
        assert!(
            !theatrical("nothing", None),
            "the first drill has no previous"
        );
        assert!(!theatrical("nothing", Some("business hours")));
        assert!(!theatrical("DNS tool unavailable", Some("nothing")));
        let s = score(
            &measured(),
            "nothing",
            Some(&entry("dr", "None")),
            Some("abc"),
        );
        assert!(s.theatrical);
        assert_eq!(s.banners()[0].0, "THEATRICAL DRILL");
    }

    #[test]
    fn looser_targets_than_last_time_are_flagged() {
        let mut prev = entry("dr", "x");
        prev.rto_target = Duration::from_secs(1200);
        let s = score(&measured(), "y", Some(&prev), Some("abc"));
        assert_eq!(s.relaxed, vec!["RTO 20:00 → 30:00".to_string()]);
        assert_eq!(s.banners()[0].0, "TARGETS RELAXED (RTO 20:00 → 30:00)");
        prev.rto_target = Duration::from_secs(3600);
        assert!(
            score(&measured(), "y", Some(&prev), Some("abc"))
                .relaxed
                .is_empty(),
            "tighter is fine"
        );
    }

    #[test]
    fn a_file_edited_during_the_drill_is_flagged() {
        assert!(score(&measured(), "y", None, Some("def")).file_changed);
        assert!(
            score(&measured(), "y", None, None).file_changed,
            "deleted counts"
        );
        assert!(!score(&measured(), "y", None, Some("abc")).file_changed);
    }

    #[test]
    fn scores_round_trip_as_json() {
        let s = score(
            &measured(),
            "nothing",
            Some(&entry("dr", "nothing")),
            Some("x"),
        );
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Score>(&json).unwrap(), s);
        assert!(
            !serde_json::to_string(&score(&measured(), "a", None, Some("abc")))
                .unwrap()
                .contains("theatrical")
        );
    }
}
