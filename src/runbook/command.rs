//! `warroom lint`: lints files and directories and prints compiler-style diagnostics or
//! JSON. Kept apart from `main` so tests run it in-process.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use chrono::NaiveDate;

use super::diagnostic::{Diagnostic, Level};
use super::lint::lint_with;
use super::load::{collect, load_file};

/// The exit status `warroom lint` should return: 0 clean, 1 errors, 2 usage error.
/// `drill_logs` are checked as drill logs besides those found in `paths` (the config's
/// `drill_log`, which may have any name and live anywhere). Checks are judged with the
/// config's `read_only_tools`, as the console judges them.
pub fn run(
    paths: &[PathBuf],
    drill_logs: &[PathBuf],
    json: bool,
    deny_warnings: bool,
    today: NaiveDate,
    read_only_tools: &[String],
    out: &mut dyn Write,
) -> Result<u8, String> {
    let gamedays = crate::gameday::lint::collect(paths);
    let mut files = collect(paths)?;
    files.retain(|(f, _)| !gamedays.contains(f));
    let (mut drills, mut logs) = crate::drill::lint::collect(paths)?;
    // Drill logs named by the config: read as logs, whatever their name, never as runbooks.
    let same = |a: &PathBuf, b: &PathBuf| {
        a == b
            || std::fs::canonicalize(a)
                .ok()
                .zip(std::fs::canonicalize(b).ok())
                .is_some_and(|(a, b)| a == b)
    };
    for log in drill_logs {
        files.retain(|(f, _)| !same(f, log));
        if !logs.iter().any(|l| same(l, log)) {
            logs.push(log.clone());
        }
    }
    // A YAML file given by name is a game-day when it looks like one, else a drill.
    drills.retain(|f| !gamedays.contains(f));
    if files.is_empty() && gamedays.is_empty() && drills.is_empty() && logs.is_empty() {
        return Err(format!(
            "no runbook files (*.md), drill files (drills/*.yaml) or game-days (gamedays/*.yaml) found in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut all: Vec<Diagnostic> = Vec::new();
    // Which file answers each alert, to catch two runbooks claiming the same one.
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    for (file, root) in &files {
        match load_file(file, root.as_deref()) {
            Ok(parsed) => {
                all.extend(lint_with(&parsed, today, read_only_tools));
                let rb = &parsed.runbook;
                for alert in &rb.meta.alerts {
                    if let Some(first) = owners.get(alert) {
                        all.push(
                            Diagnostic::warning(
                                "duplicate-alert",
                                rb.meta.pos_of("alerts").unwrap_or_default(),
                                format!("alert {alert} is also answered by {first}"),
                            )
                            .hint("one runbook per alert: enter opens only the first")
                            .in_file(&rb.path),
                        );
                    } else {
                        owners.insert(alert.clone(), rb.path.clone());
                    }
                }
            }
            Err(d) => all.push(d),
        }
    }
    for g in &gamedays {
        all.extend(crate::gameday::lint::lint_file(g));
    }
    // Drill files: their phases must name runbooks and steps of their runbooks directory.
    let mut runbooks_of: BTreeMap<PathBuf, Vec<crate::runbook::Runbook>> = BTreeMap::new();
    for path in &drills {
        match crate::drill::model::load(path) {
            Ok(file) => {
                let dir = crate::drill::lint::runbooks_dir_of(path).unwrap_or_default();
                let books = runbooks_of
                    .entry(dir.clone())
                    .or_insert_with(|| super::load::load_dir(&dir, today).0);
                all.extend(crate::drill::lint::lint(&file, books));
            }
            Err(d) => all.push(d),
        }
    }
    for path in &logs {
        all.extend(crate::drill::lint::lint_log(path));
    }
    let checked = files.len() + gamedays.len() + drills.len() + logs.len();
    if deny_warnings {
        for d in &mut all {
            d.level = Level::Error;
        }
    }
    let errors = all.iter().filter(|d| d.is_error()).count();
    let warnings = all.len() - errors;
    let io = |e: std::io::Error| e.to_string();
    if json {
        let text = serde_json::to_string_pretty(&all).map_err(|e| e.to_string())?;
        writeln!(out, "{text}").map_err(io)?;
    } else {
        for d in &all {
            writeln!(out, "{d}").map_err(io)?;
        }
        writeln!(
            out,
            "{checked} file{} checked: {errors} error{}, {warnings} warning{}",
            if checked == 1 { "" } else { "s" },
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
        )
        .map_err(io)?;
    }
    Ok(u8::from(errors > 0))
}
