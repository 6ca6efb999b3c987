//! `warroom audit`: every command and mitigation in an incident, with who, when, the plan
//! as it was confirmed, its pre-check results and the outcome, read from the journal alone.

use std::fmt::Write;

use super::{Record, RecordKind};
use crate::sanitize;

/// The audit as text, one block per action, in journal order. A mitigation whose outcome
/// is missing (the console stopped while it ran) says so.
pub fn render(id: &str, records: &[Record]) -> String {
    let mut out = format!("Audit of {id}\n");
    let mut n = 0;
    for r in records {
        let who = sanitize::escape(r.by.as_deref().unwrap_or("-")).into_owned();
        let at = r.at.format("%Y-%m-%dT%H:%M:%SZ");
        match &r.kind {
            RecordKind::MitigationIntent {
                id,
                runbook,
                name,
                plan,
            } => {
                n += 1;
                let _ = writeln!(
                    out,
                    "\n{at}  {who}  mitigation {}  {} / {}",
                    sanitize::escape(id),
                    sanitize::escape(runbook),
                    sanitize::escape(name)
                );
                for line in plan.lines() {
                    let _ = writeln!(out, "    {}", sanitize::escape(line));
                }
                let outcome = records.iter().find_map(|o| match &o.kind {
                    RecordKind::MitigationOutcome {
                        id: oid,
                        exit_code,
                        duration_ms,
                        outcome,
                    } if oid == id => Some((o.at, *exit_code, *duration_ms, outcome.clone())),
                    _ => None,
                });
                match outcome {
                    Some((t, code, ms, what)) => {
                        let _ = writeln!(
                            out,
                            "  outcome: {} (exit {}, {ms} ms, at {})",
                            sanitize::escape(&what),
                            code.map_or_else(|| "-".to_string(), |c| c.to_string()),
                            t.format("%H:%M:%SZ")
                        );
                        if crate::exec::interrupt::effect_unknown(&what) {
                            let _ = writeln!(
                                out,
                                "  EFFECT UNKNOWN: it may or may not have taken effect; check the system before acting again"
                            );
                        }
                    }
                    None => {
                        let _ = writeln!(
                            out,
                            "  outcome: NONE RECORDED (confirmed and journaled; the console was killed while it ran and has not resumed the incident since)"
                        );
                    }
                }
            }
            RecordKind::CheckRun {
                runbook,
                name,
                argv,
                exit_code,
                duration_ms,
            } => {
                n += 1;
                let _ = writeln!(
                    out,
                    "\n{at}  {who}  check  {} / {}\n    run: {}\n  outcome: exit {}, {duration_ms} ms",
                    sanitize::escape(runbook),
                    sanitize::escape(name),
                    sanitize::escape(&argv.join(" ")),
                    exit_code.map_or_else(|| "-".to_string(), |c| c.to_string()),
                );
            }
            _ => {}
        }
    }
    if n == 0 {
        out.push_str("\nNo commands or mitigations were run.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn intents_pair_with_outcomes_and_missing_ones_are_flagged() {
        let t = Utc.with_ymd_and_hms(2026, 3, 14, 9, 30, 0).unwrap();
        let rec = |seq, kind| Record::new(seq, t, Some("alice".into()), kind);
        let records = vec![
            rec(
                1,
                RecordKind::MitigationIntent {
                    id: "m1".into(),
                    runbook: "rb".into(),
                    name: "scale".into(),
                    plan: "kube:      scale deployment/cart\nchecked:   ok pdb".into(),
                },
            ),
            rec(
                2,
                RecordKind::MitigationOutcome {
                    id: "m1".into(),
                    exit_code: Some(0),
                    duration_ms: 12,
                    outcome: "succeeded".into(),
                },
            ),
            rec(
                3,
                RecordKind::MitigationIntent {
                    id: "m2".into(),
                    runbook: "rb".into(),
                    name: "restart".into(),
                    plan: "kube: restart".into(),
                },
            ),
        ];
        let text = render("inc-1", &records);
        assert!(
            text.contains("2026-03-14T09:30:00Z  alice  mitigation m1  rb / scale"),
            "{text}"
        );
        assert!(text.contains("    checked:   ok pdb"));
        assert!(text.contains("outcome: succeeded (exit 0, 12 ms"));
        assert!(text.contains("NONE RECORDED"));
        assert!(!text.contains("EFFECT UNKNOWN"), "{text}");
        // A console killed mid-run (found at the next start): the audit says to check.
        let mut killed = records.clone();
        killed.push(rec(
            4,
            RecordKind::MitigationOutcome {
                id: "m2".into(),
                exit_code: None,
                duration_ms: 0,
                outcome: crate::state::mitigation::UNKNOWN_OUTCOME.into(),
            },
        ));
        let text = render("inc-1", &killed);
        assert!(text.contains("  EFFECT UNKNOWN: it may or may not have taken effect"));
        assert_eq!(text.matches("EFFECT UNKNOWN").count(), 1, "{text}");
    }
}
