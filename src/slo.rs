//! Service level objectives: the numbers the SLO panel shows and the arithmetic behind them
//! (error budget, burn rate, error-budget policy tier, time to exhaustion).

use std::time::Duration;

/// One SLO as the panel shows it. Sources (demo, Prometheus) fill it; the panel only reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SloStatus {
    pub name: String,
    pub service: String,
    /// Target as a fraction, e.g. 0.999.
    pub objective: f64,
    /// The SLO window, e.g. 30 days.
    pub window: Duration,
    /// Error ratio over the last 5 minutes.
    pub error_ratio_now: f64,
    /// Error ratio per step, oldest first, for the sparkline.
    pub series: Vec<f64>,
    pub step: Duration,
    pub burn_1h: f64,
    pub burn_6h: f64,
    /// Fraction of the window's error budget still left (may go below 0).
    pub budget_remaining: f64,
    /// Set when the backend answered with warnings or only part of the data.
    pub partial: bool,
    /// The backend's warnings, when it sent any.
    pub warnings: Vec<String>,
    /// Time of the last point of `series` (the first is `step * (len - 1)` earlier).
    pub series_end: Option<chrono::DateTime<chrono::Utc>>,
    /// Why this SLO's numbers are missing, e.g. the server's message for a bad query.
    pub error: Option<String>,
    /// p99 latency in seconds, when a latency query is configured.
    pub latency_p99: Option<f64>,
}

impl SloStatus {
    pub fn tier(&self) -> PolicyTier {
        PolicyTier::for_remaining(self.budget_remaining)
    }

    /// Timestamps of the points of `series`, oldest first, when the source gave them.
    pub fn series_times(&self) -> Vec<Option<chrono::DateTime<chrono::Utc>>> {
        let n = self.series.len();
        (0..n)
            .map(|i| {
                let back = self.step * (n - 1 - i) as u32;
                self.series_end
                    .and_then(|end| chrono::Duration::from_std(back).ok().map(|b| end - b))
            })
            .collect()
    }

    /// Availability over the window implied by the budget used so far.
    pub fn availability(&self) -> f64 {
        1.0 - (1.0 - self.budget_remaining) * budget_ratio(self.objective)
    }

    pub fn exhaustion(&self) -> Option<Duration> {
        time_to_exhaustion(self.budget_remaining, self.burn_1h, self.window)
    }
}

/// The error budget as a ratio: 1 - objective (0.001 for 99.9 %).
pub fn budget_ratio(objective: f64) -> f64 {
    (1.0 - objective).max(f64::EPSILON)
}

/// How many times faster than "exactly on budget" errors are arriving.
pub fn burn_rate(error_ratio: f64, objective: f64) -> f64 {
    error_ratio / budget_ratio(objective)
}

/// How long until the remaining budget is gone at `burn` (a burn rate of 1 spends the
/// whole budget in exactly one window). `None` when the budget is not being spent faster
/// than it is earned back, i.e. burn ≤ 1 keeps it for the rest of the window at least.
pub fn time_to_exhaustion(remaining: f64, burn: f64, window: Duration) -> Option<Duration> {
    if remaining <= 0.0 {
        return Some(Duration::ZERO);
    }
    if burn <= 1.0 || !burn.is_finite() {
        return None;
    }
    Some(window.mul_f64(remaining / burn))
}

/// The error-budget policy: what the team does at each level of budget left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyTier {
    /// 100-75 % left.
    Normal,
    /// 75-50 % left.
    Review,
    /// 50-25 % left.
    SlowDown,
    /// 25-0 % left, or spent.
    Freeze,
}

impl PolicyTier {
    pub fn for_remaining(remaining: f64) -> PolicyTier {
        if remaining > 0.75 {
            PolicyTier::Normal
        } else if remaining > 0.50 {
            PolicyTier::Review
        } else if remaining > 0.25 {
            PolicyTier::SlowDown
        } else {
            PolicyTier::Freeze
        }
    }

    /// Short label that carries the meaning without colour.
    pub fn label(self) -> &'static str {
        match self {
            PolicyTier::Normal => "NORMAL",
            PolicyTier::Review => "REVIEW CHANGES",
            PolicyTier::SlowDown => "SLOW RELEASES",
            PolicyTier::Freeze => "FEATURE FREEZE",
        }
    }

    pub fn advice(self) -> &'static str {
        match self {
            PolicyTier::Normal => "normal release velocity",
            PolicyTier::Review => "review risky changes, add testing",
            PolicyTier::SlowDown => "slow releases, reliability work, SRE approves deploys",
            PolicyTier::Freeze => "feature freeze, all hands on reliability",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    #[test]
    fn burn_rate_is_ratio_over_budget() {
        assert!((burn_rate(0.0144, 0.999) - 14.4).abs() < 1e-9);
        assert!((burn_rate(0.001, 0.999) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn tiers_follow_the_policy_boundaries() {
        assert_eq!(PolicyTier::for_remaining(1.0), PolicyTier::Normal);
        assert_eq!(PolicyTier::for_remaining(0.75), PolicyTier::Review);
        assert_eq!(PolicyTier::for_remaining(0.51), PolicyTier::Review);
        assert_eq!(PolicyTier::for_remaining(0.50), PolicyTier::SlowDown);
        assert_eq!(PolicyTier::for_remaining(0.25), PolicyTier::Freeze);
        assert_eq!(PolicyTier::for_remaining(-0.2), PolicyTier::Freeze);
    }

    #[test]
    fn exhaustion_at_burn_rate() {
        let window = Duration::from_secs(30 * DAY);
        // Half the budget left, burning 15x: 0.5 * 30 d / 15 = 1 day.
        assert_eq!(
            time_to_exhaustion(0.5, 15.0, window),
            Some(Duration::from_secs(DAY))
        );
        assert_eq!(time_to_exhaustion(0.5, 0.8, window), None);
        assert_eq!(time_to_exhaustion(-0.1, 3.0, window), Some(Duration::ZERO));
    }

    #[test]
    fn availability_from_budget_left() {
        let s = SloStatus {
            name: "x".into(),
            service: "x".into(),
            objective: 0.999,
            window: Duration::from_secs(30 * DAY),
            error_ratio_now: 0.0,
            series: vec![],
            step: Duration::from_secs(60),
            burn_1h: 0.0,
            burn_6h: 0.0,
            budget_remaining: 0.5,
            ..SloStatus::default()
        };
        assert!((s.availability() - 0.9995).abs() < 1e-9);
    }
}
