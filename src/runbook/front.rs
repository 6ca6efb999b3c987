//! The YAML front matter between `---` lines: what alert a runbook answers and who keeps
//! it true. Errors point at the line in the runbook file, not in the YAML fragment.

use chrono::NaiveDate;
use serde::Deserialize;

use super::diagnostic::Diagnostic;
use super::model::{FrontMatter, Pos};
use super::parse::Lines;
use crate::sanitize::escape;

pub const KEYS: &[&str] = &[
    "alerts",
    "severity",
    "service",
    "owner",
    "last_reviewed",
    "query",
    "dashboard",
    "labels",
];

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    alerts: Option<OneOrMany>,
    severity: Option<String>,
    service: Option<String>,
    owner: Option<String>,
    last_reviewed: Option<String>,
    query: Option<String>,
    dashboard: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
}

/// Reads the front matter into `meta` and returns the byte offset where the markdown starts.
/// A file without front matter starts at 0 (lint then reports what is missing).
pub fn split(
    text: &str,
    lines: &Lines,
    meta: &mut FrontMatter,
    diags: &mut Vec<Diagnostic>,
) -> usize {
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return 0;
    };
    let head = text.len() - rest.len();
    let mut offset = head;
    let mut end = None;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            end = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((yaml_end, body_start)) = end else {
        diags.push(
            Diagnostic::error(
                "unterminated-front-matter",
                Pos { line: 1, col: 1 },
                "front matter opened with `---` is never closed",
            )
            .hint("end the front matter with a line holding only `---`"),
        );
        return 0;
    };
    let yaml = &text[head..yaml_end];
    let first_line = lines.pos(head).line;
    for (i, line) in yaml.lines().enumerate() {
        if let Some((k, _)) = line.split_once(':')
            && !k.starts_with([' ', '-', '#'])
            && !k.is_empty()
        {
            meta.keys.push((
                k.trim().to_string(),
                Pos {
                    line: first_line + i,
                    col: 1,
                },
            ));
        }
    }
    if yaml.trim().is_empty() {
        return body_start;
    }
    let raw: Raw = match serde_yaml::from_str(yaml) {
        Ok(r) => r,
        Err(e) => {
            let pos = e.location().map_or(
                Pos {
                    line: first_line,
                    col: 1,
                },
                |l| Pos {
                    line: first_line + l.line() - 1,
                    col: l.column(),
                },
            );
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            diags.push(
                Diagnostic::error(
                    "front-matter",
                    pos,
                    format!("front matter: {}", escape(&msg)),
                )
                .hint(format!("front matter keys: {}", KEYS.join(", "))),
            );
            return body_start;
        }
    };
    let clean = |s: Option<String>| s.map(|v| escape(&v).into_owned());
    meta.alerts = match raw.alerts {
        None => Vec::new(),
        Some(OneOrMany::One(a)) => vec![escape(&a).into_owned()],
        Some(OneOrMany::Many(v)) => v.iter().map(|a| escape(a).into_owned()).collect(),
    };
    meta.severity = clean(raw.severity);
    meta.service = clean(raw.service);
    meta.owner = clean(raw.owner);
    meta.query = clean(raw.query);
    meta.dashboard = clean(raw.dashboard);
    meta.labels = raw.labels.iter().map(|l| escape(l).into_owned()).collect();
    if let Some(d) = raw.last_reviewed {
        match NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d") {
            Ok(date) => meta.last_reviewed = Some(date),
            Err(_) => diags.push(
                Diagnostic::error(
                    "bad-last-reviewed",
                    meta.pos_of("last_reviewed").unwrap_or_default(),
                    format!("last_reviewed `{}` is not a date", escape(&d)),
                )
                .hint("write it as YYYY-MM-DD, e.g. last_reviewed: 2026-03-01"),
            ),
        }
    }
    body_start
}
