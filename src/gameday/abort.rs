//! The abort condition: a PromQL query compared with a threshold, polled on its own
//! interval by a producer task. The poller only reports what it read; whether that trips
//! the abort is decided in `update`, so a replayed test and the live console decide alike.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use tokio::sync::mpsc;

use crate::exec::sim::SimCluster;
use crate::sources::prometheus::Prometheus;
use crate::state::Event;

/// How the query's value is compared with the threshold; true means abort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Above,
    AtLeast,
    Below,
    AtMost,
}

impl Comparison {
    pub fn parse(s: &str) -> Option<Comparison> {
        Some(match s.trim() {
            ">" => Comparison::Above,
            ">=" => Comparison::AtLeast,
            "<" => Comparison::Below,
            "<=" => Comparison::AtMost,
            _ => return None,
        })
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Above => ">",
            Comparison::AtLeast => ">=",
            Comparison::Below => "<",
            Comparison::AtMost => "<=",
        }
    }

    /// True when `value` compared with `threshold` means: abort.
    pub fn trips(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Above => value > threshold,
            Comparison::AtLeast => value >= threshold,
            Comparison::Below => value < threshold,
            Comparison::AtMost => value <= threshold,
        }
    }

    /// Of several series, the value closest to tripping (the largest for `>`); finite
    /// values only. `None` when the query returned no usable value.
    pub fn worst(self, values: &[f64]) -> Option<f64> {
        let finite = values.iter().copied().filter(|v| v.is_finite());
        match self {
            Comparison::Above | Comparison::AtLeast => finite.reduce(f64::max),
            Comparison::Below | Comparison::AtMost => finite.reduce(f64::min),
        }
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl<'de> Deserialize<'de> for Comparison {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Comparison::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "comparison `{}` is not one of \">\", \">=\", \"<\", \"<=\"",
                crate::sanitize::escape(&s)
            ))
        })
    }
}

/// When to fail the experiment fast.
#[derive(Debug, Clone, PartialEq)]
pub struct AbortCondition {
    pub query: String,
    pub comparison: Comparison,
    pub threshold: f64,
    pub poll_interval: Duration,
}

impl AbortCondition {
    pub fn trips(&self, value: f64) -> bool {
        self.comparison.trips(value, self.threshold)
    }
}

/// After this many polls in a row without a value while experiments are in the cluster,
/// the console aborts: it cannot see what the experiment does.
pub const BLIND_POLLS: u32 = 3;

/// One poll of the abort query.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub at: DateTime<Utc>,
    /// The worst value over the returned series; `Ok(None)` when it returned none; the
    /// error (escaped) when the query failed.
    pub value: Result<Option<f64>, String>,
}

/// Where the poller reads the condition.
pub enum AbortSource {
    Prometheus(Box<Prometheus>),
    /// The demo: an error ratio the simulated cluster derives from the experiments in it.
    Simulated(Arc<Mutex<SimCluster>>),
}

impl AbortSource {
    async fn read(&self, cond: &AbortCondition) -> Reading {
        let at = Utc::now();
        let value = match self {
            AbortSource::Prometheus(p) => match p.instant(&cond.query, at).await {
                Ok(r) => Ok(cond.comparison.worst(&r.values)),
                Err(e) => Err(crate::sanitize::escape(&e.to_string()).into_owned()),
            },
            AbortSource::Simulated(s) => match s.lock() {
                Ok(c) => Ok(Some(c.error_ratio(std::time::Instant::now()))),
                Err(_) => Err("simulated cluster unavailable".into()),
            },
        };
        Reading { at, value }
    }
}

/// Polls the condition every `poll_interval` (from the start of one poll to the next, so a
/// slow answer does not stretch the interval) until the console stops.
pub fn spawn(
    source: AbortSource,
    cond: AbortCondition,
    tx: mpsc::Sender<Event>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(cond.poll_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let reading = source.read(&cond).await;
            if tx.send(Event::AbortReading(reading)).await.is_err() {
                return;
            }
        }
    })
}

/// Starts the poller a console needs, if it shows a game-day: Prometheus live, the
/// simulated cluster in the demo. A follower of a demo game-day has no simulation to read,
/// so it shows no value (and says why).
pub fn spawn_for_console(
    state: &crate::state::State,
    gameday: Option<&super::GameDay>,
    follow: bool,
    prometheus: Option<&Prometheus>,
    exec: &crate::exec::runtime::ExecRuntime,
    tx: &mpsc::Sender<Event>,
) {
    let cond = gameday
        .map(|g| g.abort.clone())
        .or_else(|| state.gameday.run.as_ref().map(|r| r.abort.clone()));
    let Some(cond) = cond else {
        return;
    };
    let source = match (exec.simulated(), prometheus) {
        (Some(sim), _) if !follow => AbortSource::Simulated(sim),
        (None, Some(p)) => AbortSource::Prometheus(Box::new(p.clone())),
        _ => {
            let _ = tx.try_send(Event::Warning(
                "The game-day's abort condition has no Prometheus to read here.".into(),
            ));
            return;
        }
    };
    tracing::info!(query = %cond.query, every = ?cond.poll_interval, "polling the abort condition");
    spawn(source, cond, tx.clone());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_and_the_worst_series() {
        assert!(Comparison::Above.trips(0.06, 0.05));
        assert!(!Comparison::Above.trips(0.05, 0.05));
        assert!(Comparison::AtLeast.trips(0.05, 0.05));
        assert!(Comparison::Below.trips(0.98, 0.99));
        assert!(!Comparison::AtMost.trips(1.0, 0.99));
        assert_eq!(Comparison::Above.worst(&[0.01, 0.2, f64::NAN]), Some(0.2));
        assert_eq!(Comparison::Below.worst(&[0.9, 0.99]), Some(0.9));
        assert_eq!(Comparison::Above.worst(&[f64::NAN]), None);
        assert_eq!(Comparison::parse(" >= "), Some(Comparison::AtLeast));
        assert_eq!(Comparison::parse("=="), None);
    }
}
