//! A blameless postmortem draft from an incident journal: the facts the console recorded,
//! laid into `runbooks/postmortem-template.md`, with scaffolds for what only people can say.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::record::{Record, RecordKind};
use crate::sources::timing::Clock;
use crate::state::{Incident, Severity};

/// The template shipped in the repository, compiled in for when no file is at hand.
pub const DEFAULT_TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/runbooks/postmortem-template.md"
));

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn dur(d: Duration) -> String {
    Clock(d).to_string()
}

/// Escapes `|` and line breaks so journal text cannot break a markdown table row.
fn cell(text: &str) -> String {
    crate::sanitize::escape(text).replace('|', "\\|")
}

/// One timeline line for a record, in words, naming what happened rather than who did it.
fn describe(r: &Record, names: &BTreeMap<String, String>) -> Option<String> {
    let alert = |fp: &str| {
        names
            .get(fp)
            .cloned()
            .unwrap_or_else(|| format!("alert {fp}"))
    };
    Some(match &r.kind {
        RecordKind::IncidentOpened {
            title, severity, ..
        } => format!("Incident opened ({severity}): {title}"),
        RecordKind::IncidentResolved { summary } => {
            format!(
                "Incident resolved{}",
                summary.as_ref().map_or(String::new(), |s| format!(": {s}"))
            )
        }
        RecordKind::SeverityChanged { from, to } => format!("Severity changed from {from} to {to}"),
        RecordKind::RoleAssigned { role, .. } => format!("Role assigned: {role}"),
        RecordKind::AlertSeen {
            name,
            severity,
            labels,
            starts_at,
            ..
        } => {
            let where_: Vec<String> = ["tenant", "region"]
                .iter()
                .filter_map(|l| labels.get(*l).map(|v| format!("{l}={v}")))
                .collect();
            format!(
                "Alert firing: {name} ({severity}{}{}) since {}",
                if where_.is_empty() { "" } else { ", " },
                where_.join(", "),
                starts_at.format("%H:%M:%S")
            )
        }
        RecordKind::AlertAcked { fingerprint } => {
            format!("Alert acknowledged: {}", alert(fingerprint))
        }
        RecordKind::AlertSilenced {
            fingerprint,
            until,
            comment,
            ..
        } => {
            format!(
                "Alert silenced until {}: {} ({comment})",
                until.format("%H:%M:%S"),
                alert(fingerprint)
            )
        }
        RecordKind::AlertResolved { fingerprint } => {
            format!("Alert resolved: {}", alert(fingerprint))
        }
        RecordKind::RunbookOpened { runbook, .. } => format!("Runbook opened: {runbook}"),
        RecordKind::StepViewed { runbook, step } => format!("Runbook {runbook}: step #{step}"),
        RecordKind::BranchChosen {
            runbook,
            from,
            to,
            choice,
        } => {
            format!("Runbook {runbook}: at #{from} chose {choice} → #{to}")
        }
        RecordKind::StepBack { runbook } => format!("Runbook {runbook}: stepped back"),
        RecordKind::CheckRun {
            name,
            argv,
            exit_code,
            duration_ms,
            ..
        } => format!(
            "Check `{name}` ran `{}`: exit {} in {} ms",
            argv.join(" "),
            exit_code.map_or("none (killed or timed out)".into(), |c| c.to_string()),
            duration_ms
        ),
        RecordKind::MitigationIntent { name, plan, .. }
            if plan
                .lines()
                .any(|l| l.starts_with(crate::exec::plan::EMERGENCY_LINE)) =>
        {
            format!("Emergency stop `{name}` journaled: {plan}")
        }
        RecordKind::MitigationIntent {
            name,
            plan,
            runbook,
            ..
        } if runbook.starts_with("gameday/") => {
            format!("Chaos experiment `{name}` confirmed: {plan}")
        }
        RecordKind::MitigationIntent { name, plan, .. } => {
            format!("Mitigation `{name}` confirmed: {plan}")
        }
        RecordKind::MitigationOutcome {
            outcome,
            exit_code,
            duration_ms,
            ..
        } => format!(
            "Mitigation {outcome}: exit {} after {} ms",
            exit_code.map_or("none".into(), |c| c.to_string()),
            duration_ms
        ),
        RecordKind::Note {
            text,
            action_item: None,
        } => format!("Note: {text}"),
        RecordKind::Note {
            text,
            action_item: Some(_),
        } => format!("Action item: {text}"),
        RecordKind::GamedayStarted {
            name, hypothesis, ..
        } => format!("Game-day {name} started. Hypothesis: {hypothesis}"),
        RecordKind::GamedayAbortTripped {
            detail,
            experiments,
            ..
        } => format!("ABORT: {detail}; deleting {}", experiments.join(", ")),
        RecordKind::GamedayKillSwitch { experiments } => {
            format!("Kill switch: deleting {}", experiments.join(", "))
        }
        RecordKind::GamedayExperimentRemoved {
            experiment,
            object,
            reason,
            ok,
            outcome,
        } => format!(
            "Experiment {experiment} ({object}) {} ({reason}): {outcome}",
            if *ok { "deleted" } else { "NOT deleted" }
        ),
        RecordKind::GamedayVerdict { held, note } => format!(
            "Verdict: the hypothesis {}. {note}",
            if *held { "held" } else { "did not hold" }
        ),
        RecordKind::GamedayAbandoned { reason } => {
            format!("Game-day abandoned before its verdict: {reason}")
        }
        RecordKind::DrillStarted { drill, spec, .. } => format!(
            "Drill started: {} ({drill}), failure injected; targets RTO {}, RPO {}",
            spec.name,
            dur(spec.targets.rto.0),
            dur(spec.targets.rpo.0)
        ),
        RecordKind::GuardAnswered {
            phase,
            question,
            answer,
            proceed,
            ..
        } => format!(
            "Guard before phase {phase}: {question} {}: {}",
            answer.word(),
            if *proceed {
                "proceed"
            } else {
                "do not proceed"
            }
        ),
        RecordKind::PhaseStarted { phase, name, .. } => format!("Drill phase {phase}: {name}"),
        RecordKind::HumanPrompted { .. } | RecordKind::HumanAnswered { .. } => return None,
        RecordKind::RpoMeasured {
            seconds, source, ..
        } => format!(
            "RPO measured ({source}): {}",
            dur(Duration::from_secs_f64(seconds.max(0.0)))
        ),
        RecordKind::ServiceRestored {} => "Service restored: the RTO clock stopped".into(),
        RecordKind::DrillFinished { score, .. } => format!(
            "Drill {}: RTO {}, human action {}",
            score.result(),
            dur(score.rto()),
            dur(Duration::from_secs(score.human_s))
        ),
        RecordKind::DrillAbandoned { reason } => {
            format!("Drill abandoned, not scored: {reason}")
        }
    })
}

/// One SLO's cost of the incident, measured over the incident's own span.
#[derive(Debug, Clone, PartialEq)]
pub struct SloImpact {
    pub name: String,
    pub objective: f64,
    /// Error ratio from the page to the resolution.
    pub error_ratio: f64,
    /// Fraction of the SLO window's error budget that span spent.
    pub budget_burned: f64,
}

/// What the draft can say about SLO budget burned.
#[derive(Debug, Clone, PartialEq)]
pub enum SloSection {
    /// No Prometheus or no SLO specs in the config: a scaffold for people to fill.
    NotConfigured,
    /// Prometheus did not answer: say why, and leave the scaffold.
    Failed(String),
    Computed(Vec<SloImpact>),
}

/// Budget spent by an error ratio held for `span`, as a fraction of the budget of `window`.
pub fn budget_burned(error_ratio: f64, span: Duration, objective: f64, window: Duration) -> f64 {
    let budget = crate::slo::budget_ratio(objective) * window.as_secs_f64().max(1.0);
    error_ratio * span.as_secs_f64() / budget
}

/// The incident's span for SLO queries: from the page to the resolution (or `now`).
pub fn span(records: &[Record], now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let first = records.first()?;
    let mut inc = Incident::from_opened(first)?;
    for r in &records[1..] {
        inc.apply(r);
    }
    Some((inc.paged_at, inc.resolved_at.unwrap_or(now)))
}

fn slo_text(section: &SloSection) -> String {
    const SCAFFOLD: &str =
        "_SLO budget burned during the incident: fill in from the SLO dashboards._";
    match section {
        SloSection::NotConfigured => SCAFFOLD.into(),
        SloSection::Failed(why) => format!(
            "_SLO budget burned could not be measured ({}). {}_",
            cell(why),
            &SCAFFOLD[1..SCAFFOLD.len() - 1]
        ),
        SloSection::Computed(rows) if rows.is_empty() => SCAFFOLD.into(),
        SloSection::Computed(rows) => {
            let mut t = String::from(
                "SLO budget burned during the incident (measured from Prometheus):\n\n| SLO | objective | error ratio | budget burned |\n|---|---|---|---|\n",
            );
            for r in rows {
                t.push_str(&format!(
                    "| {} | {:.3}% | {:.4}% | {:.2}% |\n",
                    cell(&r.name),
                    r.objective * 100.0,
                    r.error_ratio * 100.0,
                    r.budget_burned * 100.0
                ));
            }
            t
        }
    }
}

/// Renders the draft. `now` is used for times still running (unresolved incidents).
pub fn render(records: &[Record], template: &str, now: DateTime<Utc>) -> Result<String, String> {
    render_with_slo(records, template, now, &SloSection::NotConfigured)
}

/// Renders the draft with what is known of the SLO budget burned.
pub fn render_with_slo(
    records: &[Record],
    template: &str,
    now: DateTime<Utc>,
    slo: &SloSection,
) -> Result<String, String> {
    let first = records.first().ok_or("the journal is empty")?;
    let mut inc =
        Incident::from_opened(first).ok_or("the journal does not start with `incident_opened`")?;
    for r in &records[1..] {
        inc.apply(r);
    }
    let names: BTreeMap<String, String> = records
        .iter()
        .filter_map(|r| match &r.kind {
            RecordKind::AlertSeen {
                fingerprint, name, ..
            } => Some((fingerprint.clone(), name.clone())),
            _ => None,
        })
        .collect();
    let end = inc.resolved_at.unwrap_or(now);
    let mut timeline = String::from("| time (UTC) | what happened |\n|---|---|\n");
    for r in records {
        if let Some(text) = describe(r, &names) {
            timeline.push_str(&format!(
                "| {} | {} |\n",
                r.at.format("%Y-%m-%d %H:%M:%S"),
                cell(&text)
            ));
        }
    }
    let items: Vec<_> = inc
        .notes
        .iter()
        .filter_map(|n| n.action_item.as_ref().map(|a| (n, a)))
        .collect();
    let action_items = if items.is_empty() {
        "| action | owner | due | ticket |\n|---|---|---|---|\n| _none recorded yet_ | | | |\n"
            .to_string()
    } else {
        let mut t = String::from("| action | owner | due | ticket |\n|---|---|---|---|\n");
        for (n, a) in items {
            t.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                cell(&n.text),
                cell(&a.owner),
                a.due,
                a.ticket.as_deref().map_or("_to file_".into(), cell)
            ));
        }
        t
    };
    let plain_notes: Vec<String> = inc
        .notes
        .iter()
        .filter(|n| n.action_item.is_none())
        .map(|n| {
            format!(
                "- {} {}",
                n.at.format("%H:%M:%S"),
                crate::sanitize::escape(&n.text)
            )
        })
        .collect();
    let notes = if plain_notes.is_empty() {
        String::new()
    } else {
        format!(
            "Notes taken during the incident:\n\n{}\n",
            plain_notes.join("\n")
        )
    };
    let alerts: Vec<String> = records
        .iter()
        .filter_map(|r| match &r.kind {
            RecordKind::AlertSeen {
                name,
                severity,
                labels,
                ..
            } => {
                let l: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                Some(format!(
                    "- {} ({severity}) `{}`",
                    cell(name),
                    cell(&l.join(" "))
                ))
            }
            _ => None,
        })
        .collect();
    let roles = if inc.roles.is_empty() {
        "_none assigned_".to_string()
    } else {
        inc.roles
            .iter()
            .map(|(r, p)| format!("{r}: {}", cell(p)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let due = match inc.postmortem_due(now) {
        _ if inc.gameday.is_some() => {
            "after every game-day, whether the hypothesis held or not".into()
        }
        Some(Ok(left)) => format!("in {}", dur(left)),
        Some(Err(over)) => format!("OVERDUE by {}", dur(over)),
        None if inc.severity == Severity::P2 => "not required for P2".into(),
        None => "48 h after resolution".into(),
    };
    let gameday = crate::gameday::postmortem::section(records);
    let values: [(&str, String); 17] = [
        ("id", cell(&inc.id)),
        ("title", cell(&inc.title)),
        ("severity", inc.severity.tag().to_string()),
        ("commander", cell(&inc.commander)),
        ("roles", roles),
        ("started", utc(inc.paged_at)),
        (
            "resolved",
            inc.resolved_at.map_or("_not yet resolved_".into(), utc),
        ),
        (
            "duration",
            dur(crate::state::drill::since(inc.paged_at, end)),
        ),
        (
            "time_to_ack",
            inc.first_ack_at
                .map_or("_not acknowledged_".into(), |_| dur(inc.time_to_ack(now))),
        ),
        (
            "time_to_mitigate",
            match inc.mitigated_at.or(inc.resolved_at) {
                Some(_) => dur(inc.time_to_mitigate(now)),
                None => "_not mitigated yet_".into(),
            },
        ),
        ("postmortem_due", due),
        ("slo_impact", slo_text(slo)),
        (
            "alerts",
            if alerts.is_empty() {
                "_none recorded_".into()
            } else {
                alerts.join("\n")
            },
        ),
        ("timeline", timeline),
        ("action_items", action_items),
        ("notes", notes),
        ("gameday", gameday.clone()),
    ];
    let mut out = template.to_string();
    if gameday.is_empty() {
        // An incident's draft: the game-day placeholder leaves no gap.
        out = out.replace("{{gameday}}\n\n", "");
    } else if !out.contains("{{gameday}}") {
        // A template written before game-days still gets the section.
        out.push_str("\n{{gameday}}");
    }
    for (k, v) in values {
        out = out.replace(&format!("{{{{{k}}}}}"), &v);
    }
    Ok(out)
}

/// Writes `text` to `path` atomically: a temp file beside it, fsynced, renamed over.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "postmortem.md".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
