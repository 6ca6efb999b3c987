//! The game-day section of a postmortem draft: the hypothesis, the boundary, what was
//! injected and when, every abort, and the verdict. Even a game-day whose hypothesis held
//! gets a postmortem and action items.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::run::{Run, Status};
use crate::incident::Record;

fn cell(text: &str) -> String {
    crate::sanitize::escape(text).replace('|', "\\|")
}

fn hms(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

/// The section, or an empty string when the journal is not a game-day's.
pub fn section(records: &[Record]) -> String {
    let Some(run) = Run::from_records(records) else {
        return String::new();
    };
    let mut s = String::new();
    let _ = writeln!(s, "## Game-day: {}\n", cell(&run.name));
    let _ = writeln!(s, "**Hypothesis**: {}\n", cell(&run.hypothesis));
    let _ = writeln!(
        s,
        "**Safety boundary**: context `{}`, namespace `{}`, at most {} pod(s) under chaos at once, at most {} per experiment.\n",
        cell(&run.boundary.context),
        cell(&run.boundary.namespace),
        run.boundary.max_pods,
        humantime::format_duration(run.boundary.max_duration)
    );
    let _ = writeln!(
        s,
        "**Abort condition**: `{}` {} {}, polled every {}.\n",
        cell(&run.abort.query),
        run.abort.comparison.symbol(),
        run.abort.threshold,
        humantime::format_duration(run.abort.poll_interval)
    );
    let window = humantime::format_duration(run.observation_window);
    match (run.observation_started, run.observation_end()) {
        (Some(from), Some(to)) => {
            let _ = writeln!(
                s,
                "**Observation window**: {window}, {} to {} UTC.\n",
                hms(from),
                hms(to)
            );
        }
        _ => {
            let _ = writeln!(
                s,
                "**Observation window**: {window} (not started: no experiment was created).\n"
            );
        }
    }
    s.push_str(
        "| experiment | kind | object | started | removed | outcome |\n|---|---|---|---|---|---|\n",
    );
    for e in &run.experiments {
        let outcome = match e.status {
            Status::Pending => "not run".to_string(),
            Status::Starting => "confirmed; no outcome recorded".to_string(),
            Status::Running => match &e.removal_error {
                Some(err) => format!("deletion FAILED: {err}"),
                None => "ran; not deleted by the console".to_string(),
            },
            Status::Unknown => format!(
                "create cut short ({}): may have been in the cluster; not deleted by the console",
                e.failure.as_deref().unwrap_or("-")
            ),
            Status::Failed => format!("not created: {}", e.failure.as_deref().unwrap_or("-")),
            Status::Removed => e
                .removed
                .as_ref()
                .map_or(String::new(), |r| format!("removed ({})", r.reason)),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&e.name),
            cell(&e.kind),
            cell(&e.object),
            e.started_at.map_or("-".into(), hms),
            e.removed.as_ref().map_or("-".into(), |r| hms(r.at)),
            cell(&outcome)
        );
    }
    s.push('\n');
    if run.trips.is_empty() {
        s.push_str("**Aborts**: none; the abort condition never tripped while an experiment was in the cluster.\n\n");
    } else {
        s.push_str("**Aborts**:\n\n| time (UTC) | value | threshold | why | experiments removed |\n|---|---|---|---|---|\n");
        for t in &run.trips {
            let _ = writeln!(
                s,
                "| {} | {} | {} {} | {} | {} |",
                hms(t.at),
                t.value.map_or("-".into(), |v| format!("{v:.4}")),
                run.abort.comparison.symbol(),
                run.abort.threshold,
                cell(&t.detail),
                cell(&t.experiments.join(", "))
            );
        }
        s.push('\n');
    }
    if !run.kill_switches.is_empty() {
        let times: Vec<String> = run.kill_switches.iter().map(|t| hms(*t)).collect();
        let _ = writeln!(s, "**Kill switch** pressed at {} UTC.\n", times.join(", "));
    }
    match (&run.verdict, &run.abandoned) {
        (None, Some((at, reason))) => {
            let _ = writeln!(
                s,
                "**Verdict**: none: the game-day was ABANDONED at {} UTC. {}\n",
                hms(*at),
                cell(reason)
            );
        }
        (Some(v), _) => {
            let _ = writeln!(
                s,
                "**Verdict**: the hypothesis {} ({} UTC). {}\n",
                if v.held { "HELD" } else { "did NOT hold" },
                hms(v.at),
                cell(&v.note)
            );
        }
        (None, None) => s.push_str("**Verdict**: _not recorded yet_.\n\n"),
    }
    s.push_str("Whatever the verdict, record what the game-day taught as action items below.");
    s
}
