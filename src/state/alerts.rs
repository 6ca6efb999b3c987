//! The alert feed as the console holds it: alerts from every source, sorted by severity
//! then age, with the selection following the same alert as the list changes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// P0 is the worst. Ordered so that sorting puts P0 first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    P0,
    P1,
    P2,
}

impl Severity {
    pub fn tag(self) -> &'static str {
        match self {
            Severity::P0 => "P0",
            Severity::P1 => "P1",
            Severity::P2 => "P2",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_uppercase().as_str() {
            "P0" => Some(Severity::P0),
            "P1" => Some(Severity::P1),
            "P2" => Some(Severity::P2),
            _ => None,
        }
    }
}

/// What Alertmanager says about an alert besides "firing".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertState {
    Active,
    Silenced,
    Inhibited,
}

/// Who is on an alert and since when. Lasts until the alert resolves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub by: String,
    pub at: DateTime<Utc>,
}

/// One firing alert. Text fields are already sanitized by the source that produced them.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub fingerprint: String,
    pub name: String,
    pub severity: Severity,
    pub state: AlertState,
    pub starts_at: DateTime<Utc>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The runbook id (file stem) named by the alert's `runbook_url` annotation, if any.
    pub runbook: Option<String>,
}

/// The local runbook a `runbook_url` names: its last path segment without `.md`, so
/// `https://git.example.com/sre/runbooks/blob/main/db-lag.md#check` maps to `db-lag`.
pub fn runbook_id_from_url(url: &str) -> Option<String> {
    let path = url.split(['#', '?']).next()?;
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    let id = last.strip_suffix(".md").unwrap_or(last);
    (!id.is_empty()).then(|| id.to_string())
}

impl Alert {
    pub fn label(&self, name: &str) -> &str {
        self.labels.get(name).map(String::as_str).unwrap_or("")
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFeed {
    /// Sorted: severity, then oldest first (closest to its response deadline).
    pub alerts: Vec<Alert>,
    pub acks: BTreeMap<String, Ack>,
    /// The selected alert, by fingerprint so it survives re-sorting.
    pub selected: Option<String>,
}

impl AlertFeed {
    /// Replaces the alert set with a fresh snapshot. Acks of alerts that were firing and are
    /// gone now are dropped: an ack lasts until the alert resolves. An ack of an alert not
    /// seen yet is kept (a replayed journal can be read before the first poll answers).
    pub fn replace(&mut self, mut alerts: Vec<Alert>) {
        alerts.sort_by(|a, b| {
            (a.severity, a.starts_at, &a.name, &a.fingerprint).cmp(&(
                b.severity,
                b.starts_at,
                &b.name,
                &b.fingerprint,
            ))
        });
        let resolved: Vec<String> = self
            .alerts
            .iter()
            .filter(|old| !alerts.iter().any(|a| a.fingerprint == old.fingerprint))
            .map(|a| a.fingerprint.clone())
            .collect();
        for fp in resolved {
            self.acks.remove(&fp);
        }
        self.alerts = alerts;
        let still_there = self
            .selected
            .as_ref()
            .is_some_and(|fp| self.alerts.iter().any(|a| &a.fingerprint == fp));
        if !still_there {
            self.selected = self.alerts.first().map(|a| a.fingerprint.clone());
        }
    }

    pub fn selected_index(&self) -> Option<usize> {
        let fp = self.selected.as_ref()?;
        self.alerts.iter().position(|a| &a.fingerprint == fp)
    }

    pub fn selected_alert(&self) -> Option<&Alert> {
        self.selected_index().map(|i| &self.alerts[i])
    }

    /// Moves the selection by `delta` rows, clamped to the list.
    pub fn move_selection(&mut self, delta: isize) {
        if self.alerts.is_empty() {
            return;
        }
        let cur = self.selected_index().unwrap_or(0) as isize;
        let last = self.alerts.len() as isize - 1;
        let next = (cur + delta).clamp(0, last) as usize;
        self.selected = Some(self.alerts[next].fingerprint.clone());
    }

    /// Records who is on an alert; a second ack keeps the first (who got there first).
    /// Returns whether anything changed.
    pub fn ack(&mut self, fingerprint: &str, ack: Ack) -> bool {
        if self.acks.contains_key(fingerprint) {
            return false;
        }
        self.acks.insert(fingerprint.to_string(), ack);
        true
    }

    pub fn count_by_severity(&self) -> [usize; 3] {
        let mut n = [0; 3];
        for a in &self.alerts {
            n[a.severity as usize] += 1;
        }
        n
    }

    pub fn unacked(&self) -> usize {
        self.alerts
            .iter()
            .filter(|a| a.state == AlertState::Active && !self.acks.contains_key(&a.fingerprint))
            .count()
    }
}
