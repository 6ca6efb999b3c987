//! The alert feed as the console holds it: alerts from every source, sorted by severity
//! then age, with the selection following the same alert as the list changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::labels::Labels;

/// The group-by choice that uses Alertmanager's grouping (a name no label can have).
pub const AM_GROUP: &str = "am-group";

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

impl<'de> serde::Deserialize<'de> for Severity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Severity::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("`{s}` is not a severity (P0, P1 or P2)"))
        })
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
    /// The `alertname` label: shared with the label set, never a copy per alert.
    pub name: Arc<str>,
    pub severity: Severity,
    pub state: AlertState,
    pub starts_at: DateTime<Utc>,
    /// Keys and values shared between alerts (one copy of `cluster=prod-1` for all).
    pub labels: Labels,
    pub annotations: Labels,
    /// The runbook id (file stem) named by the alert's `runbook_url` annotation, if any.
    pub runbook: Option<Arc<str>>,
    /// Ids of the silences that hold this alert (Alertmanager).
    pub silenced_by: Vec<String>,
    /// Fingerprints of the alerts that inhibit this one.
    pub inhibited_by: Vec<String>,
    /// Link to the expression that fired, from the rule evaluator.
    pub generator_url: Option<Arc<str>>,
    /// Which endpoints reported this alert (an HA pair may both do).
    pub seen_by: Vec<Arc<str>>,
    /// The Alertmanager group (receiver and group labels) that holds it, when known; one
    /// string shared by the group's alerts.
    pub group: Option<Arc<str>>,
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
    /// Whether `other` is the same report of the same alert: every field but the group,
    /// which comes from another request and is set after.
    pub fn same_report(&self, other: &Alert) -> bool {
        let Alert {
            fingerprint,
            name,
            severity,
            state,
            starts_at,
            labels,
            annotations,
            runbook,
            silenced_by,
            inhibited_by,
            generator_url,
            seen_by,
            group: _,
        } = self;
        *fingerprint == other.fingerprint
            && *name == other.name
            && *severity == other.severity
            && *state == other.state
            && *starts_at == other.starts_at
            && *labels == other.labels
            && *annotations == other.annotations
            && *runbook == other.runbook
            && *silenced_by == other.silenced_by
            && *inhibited_by == other.inhibited_by
            && *generator_url == other.generator_url
            && *seen_by == other.seen_by
    }

    pub fn label(&self, name: &str) -> &str {
        self.labels.get(name).unwrap_or("")
    }

    /// What group-by sorts on: a label, or [`AM_GROUP`] for Alertmanager's own group.
    pub fn group_value(&self, by: &str) -> &str {
        if by == AM_GROUP {
            self.group.as_deref().unwrap_or("")
        } else {
            self.label(by)
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFeed {
    /// Sorted: severity, then oldest first (closest to its response deadline). Shared with
    /// the source, which hands an unchanged alert over again rather than a copy of it.
    pub alerts: Vec<Arc<Alert>>,
    pub acks: BTreeMap<String, Ack>,
    /// The selected alert, by fingerprint so it survives re-sorting.
    pub selected: Option<String>,
    /// Text filter: an alert shows when its name or any `label=value` contains it
    /// (case-insensitive). Empty shows everything.
    pub filter: String,
    /// Group the list by this label's value (groups in label order, severity then age
    /// inside a group).
    pub group_by: Option<String>,
}

impl AlertFeed {
    /// Replaces the alert set with a fresh snapshot. Acks of alerts that were firing and are
    /// gone now are dropped: an ack lasts until the alert resolves. An ack of an alert not
    /// seen yet is kept (a replayed journal can be read before the first poll answers).
    pub fn replace(&mut self, mut alerts: Vec<Arc<Alert>>) {
        // Unstable is the same order here (the key ends in the fingerprint, unique after the
        // merge) without a stable sort's scratch copy: half the alerts, 1 MB for 10 000.
        alerts.sort_unstable_by(|a, b| {
            (a.severity, a.starts_at, &a.name, &a.fingerprint).cmp(&(
                b.severity,
                b.starts_at,
                &b.name,
                &b.fingerprint,
            ))
        });
        // Acks are few and alerts many: the acked alerts that were firing, less those still
        // firing, resolved. One pass over each set, with no set of every fingerprint.
        let mut resolved: std::collections::HashSet<&str> = self
            .alerts
            .iter()
            .map(|a| a.fingerprint.as_str())
            .filter(|fp| self.acks.contains_key(*fp))
            .collect();
        if !resolved.is_empty() {
            for a in &alerts {
                resolved.remove(a.fingerprint.as_str());
            }
        }
        let resolved: Vec<String> = resolved.into_iter().map(str::to_string).collect();
        for fp in resolved {
            self.acks.remove(&fp);
        }
        self.alerts = alerts;
        self.fix_selection();
    }

    /// Whether an alert passes the filter.
    pub fn matches(&self, a: &Alert) -> bool {
        if self.filter.is_empty() {
            return true;
        }
        let needle = self.filter.to_lowercase();
        let has = |text: &str| text.to_lowercase().contains(&needle);
        if has(&a.name) {
            return true;
        }
        if needle.contains('=') {
            a.labels.iter().any(|(k, v)| has(&format!("{k}={v}")))
        } else {
            a.labels.iter().any(|(k, v)| has(k) || has(v))
        }
    }

    /// The alerts the pane lists: filtered, and grouped when a group label is set.
    pub fn visible(&self) -> Vec<&Alert> {
        let mut v: Vec<&Alert> = self
            .alerts
            .iter()
            .map(|a| &**a)
            .filter(|a| self.matches(a))
            .collect();
        if let Some(g) = &self.group_by {
            // Stable: severity and age order stay inside each group.
            v.sort_by(|a, b| a.group_value(g).cmp(b.group_value(g)));
        }
        v
    }

    /// The selection's row in [`AlertFeed::visible`].
    pub fn selected_index(&self) -> Option<usize> {
        let fp = self.selected.as_ref()?;
        self.visible().iter().position(|a| &a.fingerprint == fp)
    }

    pub fn selected_alert(&self) -> Option<&Alert> {
        let fp = self.selected.as_ref()?;
        self.visible().into_iter().find(|a| &a.fingerprint == fp)
    }

    /// Keeps the selection on a visible alert (the first one when it was filtered away).
    pub fn fix_selection(&mut self) {
        if self.selected_index().is_none() {
            self.selected = self.visible().first().map(|a| a.fingerprint.clone());
        }
    }

    /// Moves the selection by `delta` rows, clamped to the list.
    pub fn move_selection(&mut self, delta: isize) {
        let visible = self.visible();
        if visible.is_empty() {
            return;
        }
        let cur = self.selected_index().unwrap_or(0) as isize;
        let last = visible.len() as isize - 1;
        let next = (cur + delta).clamp(0, last) as usize;
        let fp = visible[next].fingerprint.clone();
        self.selected = Some(fp);
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

/// Response targets per severity (ack, mitigate), and when the secondary is paged.
pub mod sla {
    use std::time::Duration;

    use super::{Ack, Alert, AlertState, Severity};
    use chrono::{DateTime, Utc};

    /// Without an ack for this long, the secondary on-call is paged.
    pub const ESCALATE_AFTER: Duration = Duration::from_secs(15 * 60);

    pub fn ack_target(s: Severity) -> Duration {
        match s {
            Severity::P0 => Duration::from_secs(5 * 60),
            Severity::P1 => Duration::from_secs(15 * 60),
            // One business day: shown as a day.
            Severity::P2 => Duration::from_secs(24 * 3600),
        }
    }

    /// `None` for P2: "when convenient".
    pub fn mitigate_target(s: Severity) -> Option<Duration> {
        match s {
            Severity::P0 => Some(Duration::from_secs(30 * 60)),
            Severity::P1 => Some(Duration::from_secs(4 * 3600)),
            Severity::P2 => None,
        }
    }

    /// Where an alert stands against its targets.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Sla {
        /// Silenced or inhibited: no clock runs.
        Quiet,
        /// Not acked; the ack is due in this long.
        AckDue(Duration),
        /// Not acked, past the ack target by this long (but not yet 15 min old).
        AckLate(Duration),
        /// Not acked for 15 min or more: page the secondary.
        Escalate(Duration),
        /// Acked; mitigation is due in this long (`None`: no target).
        MitigateDue(Option<Duration>),
        /// Acked, past the mitigation target by this long.
        MitigateLate(Duration),
    }

    pub fn status(a: &Alert, ack: Option<&Ack>, now: DateTime<Utc>) -> Sla {
        if a.state != AlertState::Active {
            return Sla::Quiet;
        }
        let age = crate::state::drill::since(a.starts_at, now);
        match ack {
            None => {
                let target = ack_target(a.severity);
                if age >= ESCALATE_AFTER && a.severity != Severity::P2 {
                    Sla::Escalate(age)
                } else if age >= target {
                    Sla::AckLate(age - target)
                } else {
                    Sla::AckDue(target - age)
                }
            }
            Some(_) => match mitigate_target(a.severity) {
                None => Sla::MitigateDue(None),
                Some(t) if age >= t => Sla::MitigateLate(age - t),
                Some(t) => Sla::MitigateDue(Some(t - age)),
            },
        }
    }
}
