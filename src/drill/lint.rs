//! Lint for drill files: targets present and positive, phases that point at runbook steps
//! and commands that exist, guards that ask something, an RPO method that can be carried out. Findings
//! use the runbook diagnostics, so `warroom lint` prints both kinds the same way.

use std::path::{Path, PathBuf};

use crate::runbook::{CommandKind, Diagnostic, Pos, Runbook};

use super::model::{DrillFile, is_drill_file};

/// A file inside a directory named `drills`.
pub fn is_drill_dir_file(path: &Path) -> bool {
    path.parent()
        .and_then(Path::file_name)
        .is_some_and(|n| n == "drills")
}

/// A path `warroom lint` treats as a drill file or a drill log rather than a runbook.
pub fn is_drill_path(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str());
    matches!(ext, Some("yaml" | "yml"))
        || is_drill_dir_file(path)
        || path.file_name().is_some_and(|n| n == super::log::FILE_NAME)
}

/// The drill files and drill logs named by `paths`: files as given (`.yaml` ones are
/// drills, `.md` ones logs), directories searched for `drills/*.yaml` and `drills/*.md`.
pub fn collect(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>), String> {
    let mut drills = Vec::new();
    let mut logs = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            let is_log =
                |f: &Path| is_drill_dir_file(f) && f.extension().is_some_and(|x| x == "md");
            crate::runbook::load::walk(p, &|f| is_drill_file(f), &mut drills, 0);
            crate::runbook::load::walk(p, &is_log, &mut logs, 0);
        } else if is_drill_path(p) {
            let is_yaml = matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"));
            if is_yaml {
                drills.push(p.clone());
            } else {
                logs.push(p.clone());
            }
        }
    }
    Ok((drills, logs))
}

/// The runbooks a drill file's phases may use: those of the runbooks directory it sits in
/// (`runbooks/drills/x.yaml` → `runbooks/`).
pub fn runbooks_dir_of(drill: &Path) -> Option<PathBuf> {
    let dir = drill.parent()?;
    let parent = dir.parent()?;
    Some(if parent.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        parent.to_path_buf()
    })
}

/// Findings about a drill log: it must read back, entry by entry.
pub fn lint_log(path: &Path) -> Vec<Diagnostic> {
    match super::log::read(path) {
        Ok(_) => Vec::new(),
        Err(e) => vec![
            Diagnostic::error(
                "drill-log",
                Pos {
                    line: e.line.max(1),
                    col: 1,
                },
                e.message,
            )
            .hint("each entry ends with the `- key: value` list `warroom drill` wrote; keep its keys as they are")
            .in_file(&path.display().to_string()),
        ],
    }
}

/// One step of a path into the YAML: a mapping key or a list index.
#[derive(Debug, Clone, Copy)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// A meaningful line: its number, the column its key starts at, and the text from there.
struct Line<'a> {
    no: usize,
    indent: usize,
    item: bool,
    key_col: usize,
    text: &'a str,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    text.lines()
        .enumerate()
        .filter_map(|(i, raw)| {
            let trimmed = raw.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "---" {
                return None;
            }
            let indent = raw.len() - trimmed.len();
            let (item, key_col, text) = match trimmed.strip_prefix("- ") {
                Some(rest) => {
                    let rest_trim = rest.trim_start();
                    (true, indent + 2 + rest.len() - rest_trim.len(), rest_trim)
                }
                None => (false, indent, trimmed),
            };
            Some(Line {
                no: i + 1,
                indent,
                item,
                key_col,
                text,
            })
        })
        .collect()
}

/// Where `path` is written in block-style YAML, as far as it can be followed: the deepest
/// key or list item found (flow style `{ a: 1 }` stops at its line). Positions are 1-based.
pub fn locate(text: &str, path: &[Seg]) -> Pos {
    let all = lines(text);
    let mut scope: &[Line] = &all;
    let mut found = Pos { line: 1, col: 1 };
    for seg in path {
        let Some(first) = scope.first() else { break };
        match *seg {
            Seg::Key(k) => {
                let col = first.key_col;
                let hit = scope.iter().position(|l| {
                    l.key_col == col
                        && l.text
                            .strip_prefix(k)
                            .is_some_and(|r| r.trim_start().starts_with(':'))
                });
                let Some(i) = hit else { break };
                let l = &scope[i];
                found = Pos {
                    line: l.no,
                    col: l.key_col + 1,
                };
                // The value's lines: deeper than the key, or a list written at its indent.
                let rest = &scope[i + 1..];
                let end = rest
                    .iter()
                    .position(|m| m.indent < col || (m.indent == col && !m.item))
                    .unwrap_or(rest.len());
                scope = &rest[..end];
            }
            Seg::Index(n) => {
                let indent = first.indent;
                let items: Vec<usize> = scope
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.item && l.indent == indent)
                    .map(|(i, _)| i)
                    .collect();
                let Some(&i) = items.get(n) else { break };
                let l = &scope[i];
                found = Pos {
                    line: l.no,
                    col: l.indent + 1,
                };
                let end = items.get(n + 1).copied().unwrap_or(scope.len());
                scope = &scope[i..end];
            }
        }
    }
    found
}

/// Edits (insert, delete, replace a character) from `a` to `b`.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

/// The candidate closest to `wanted`, if it is close: a typo, or one containing the other.
fn near(candidates: impl Iterator<Item = String>, wanted: &str) -> Option<String> {
    candidates
        .map(|c| {
            let d = if c.contains(wanted) || wanted.contains(c.as_str()) {
                0
            } else {
                distance(&c, wanted)
            };
            (d, c)
        })
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Every finding about one drill file; `runbooks` are the ones its phases may use.
pub fn lint(file: &DrillFile, runbooks: &[Runbook]) -> Vec<Diagnostic> {
    let d = &file.drill;
    let text = &file.text;
    let at = |path: &[Seg]| locate(text, path);
    let mut out = Vec::new();
    if d.name.trim().is_empty() {
        out.push(Diagnostic::error(
            "missing-name",
            at(&[Seg::Key("name")]),
            "the drill has no name",
        ));
    }
    for (key, span) in [("rto", d.targets.rto), ("rpo", d.targets.rpo)] {
        if span.0.is_zero() {
            out.push(
                Diagnostic::error(
                    "target-not-positive",
                    at(&[Seg::Key("targets"), Seg::Key(key)]),
                    format!("the {} target must be more than zero", key.to_uppercase()),
                )
                .hint("targets are frozen in the file: write what the business agreed, e.g. 30m"),
            );
        }
    }
    if d.phases.is_empty() {
        out.push(Diagnostic::error(
            "no-phases",
            at(&[Seg::Key("phases")]),
            "the drill has no phases",
        ));
    }
    for (i, p) in d.phases.iter().enumerate() {
        let here = |k: &str| at(&[Seg::Key("phases"), Seg::Index(i), Seg::Key(k)]);
        let n = i + 1;
        if p.name.trim().is_empty() {
            out.push(Diagnostic::error(
                "missing-name",
                here("name"),
                format!("phase {n} has no name"),
            ));
        }
        if p.target.0.is_zero() {
            out.push(Diagnostic::error(
                "target-not-positive",
                here("target"),
                format!("phase {n} `{}`: the target must be more than zero", p.name),
            ));
        }
        phase_reference(p, n, runbooks, &here, &mut out);
        phase_commands(p, n, runbooks, text, i, &mut out);
        for (j, h) in p.by_hand.iter().enumerate() {
            if h.trim().is_empty() {
                out.push(Diagnostic::error(
                    "empty-by-hand",
                    at(&[
                        Seg::Key("phases"),
                        Seg::Index(i),
                        Seg::Key("by_hand"),
                        Seg::Index(j),
                    ]),
                    format!("item {} of phase {n}'s by_hand says nothing", j + 1),
                ));
            }
        }
        for (j, g) in p.guards.iter().enumerate() {
            if g.ask.trim().is_empty() {
                out.push(
                    Diagnostic::error(
                        "empty-guard",
                        at(&[
                            Seg::Key("phases"),
                            Seg::Index(i),
                            Seg::Key("guards"),
                            Seg::Index(j),
                        ]),
                        format!("guard {} of phase {n} asks nothing", j + 1),
                    )
                    .hint("write the question, e.g. `ask: Is only one zone affected?`"),
                );
            }
        }
    }
    if !d.targets.rto.0.is_zero() && d.phases_total() > d.targets.rto.0 {
        out.push(
            Diagnostic::warning(
                "phases-exceed-rto",
                at(&[Seg::Key("phases")]),
                format!(
                    "the phase targets add up to {}, more than the RTO target {}",
                    humantime::format_duration(d.phases_total()),
                    humantime::format_duration(d.targets.rto.0)
                ),
            )
            .hint("a drill on pace for every phase would still miss its RTO"),
        );
    }
    rpo_method(file, &mut out);
    for x in &mut out {
        x.file = file.path.display().to_string();
    }
    out
}

fn phase_reference(
    p: &super::model::Phase,
    n: usize,
    runbooks: &[Runbook],
    here: &dyn Fn(&str) -> Pos,
    out: &mut Vec<Diagnostic>,
) {
    match (&p.runbook, &p.step) {
        (None, None) => {}
        (None, Some(_)) => out.push(
            Diagnostic::error(
                "missing-runbook",
                here("step"),
                format!("phase {n} names a step but no runbook"),
            )
            .hint("add `runbook: FILE-STEM` (e.g. dr-region-failover)"),
        ),
        (Some(id), step) => match runbooks.iter().find(|r| &r.id == id) {
            None => out.push(
                Diagnostic::error(
                    "unknown-runbook",
                    here("runbook"),
                    format!("phase {n}: no runbook `{id}` in the runbooks directory"),
                )
                .hint(
                    near(runbooks.iter().map(|r| r.id.clone()), id)
                        .map(|c| format!("did you mean `{c}`?"))
                        .unwrap_or_else(|| "runbooks are named by file stem".into()),
                ),
            ),
            Some(rb) => match step {
                None => out.push(
                    Diagnostic::error(
                        "missing-step",
                        here("runbook"),
                        format!("phase {n} names runbook `{id}` but no step"),
                    )
                    .hint(format!(
                        "add `step: ANCHOR`, one of: {}",
                        rb.steps
                            .iter()
                            .map(|s| s.anchor.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                ),
                Some(step) if rb.step_index(step).is_none() => out.push(
                    Diagnostic::error(
                        "unknown-step",
                        here("step"),
                        format!("phase {n}: runbook `{id}` has no step #{step}"),
                    )
                    .hint(
                        near(rb.steps.iter().map(|s| s.anchor.clone()), step)
                            .map(|c| format!("did you mean #{c}?"))
                            .unwrap_or_else(|| "use a ### step heading's anchor".into()),
                    ),
                ),
                Some(_) => {}
            },
        },
    }
}

/// A phase's `commands` name runnable blocks (checks or mitigations) of its runbook.
fn phase_commands(
    p: &super::model::Phase,
    n: usize,
    runbooks: &[Runbook],
    text: &str,
    i: usize,
    out: &mut Vec<Diagnostic>,
) {
    if p.commands.is_empty() {
        return;
    }
    let path = [Seg::Key("phases"), Seg::Index(i), Seg::Key("commands")];
    let Some(id) = &p.runbook else {
        out.push(
            Diagnostic::error(
                "missing-runbook",
                locate(text, &path),
                format!("phase {n} lists commands but no runbook to find them in"),
            )
            .hint("add `runbook: FILE-STEM` and `step: ANCHOR`: the commands are that runbook's blocks"),
        );
        return;
    };
    // An unknown runbook is reported already.
    let Some(rb) = runbooks.iter().find(|r| &r.id == id) else {
        return;
    };
    let blocks: Vec<String> = rb
        .steps
        .iter()
        .flat_map(|s| &s.commands)
        .filter(|c| matches!(c.kind, CommandKind::Check | CommandKind::Mitigation))
        .map(|c| c.name.clone())
        .collect();
    for (j, name) in p.commands.iter().enumerate() {
        if blocks.contains(name) {
            continue;
        }
        let mut at = path.to_vec();
        at.push(Seg::Index(j));
        out.push(
            Diagnostic::error(
                "unknown-command",
                locate(text, &at),
                format!("phase {n}: runbook `{id}` has no command `{name}`"),
            )
            .hint(
                near(blocks.iter().cloned(), name)
                    .map(|c| format!("did you mean `{c}`?"))
                    .unwrap_or_else(|| {
                        format!(
                            "name a check or mitigation block by its `name=`: {}",
                            blocks.join(", ")
                        )
                    }),
            ),
        );
    }
}

fn rpo_method(file: &DrillFile, out: &mut Vec<Diagnostic>) {
    let m = &file.drill.measure_rpo;
    let text = &file.text;
    let key = |k: &str| locate(text, &[Seg::Key("measure_rpo"), Seg::Key(k)]);
    match (&m.query, &m.prompt) {
        (Some(_), Some(_)) => out.push(
            Diagnostic::error(
                "rpo-method",
                key("prompt"),
                "measure_rpo gives both a query and a prompt",
            )
            .hint("keep one: the query (evaluated by Prometheus) or the prompt (typed by the facilitator)"),
        ),
        (None, None) => out.push(
            Diagnostic::error(
                "rpo-method",
                locate(text, &[Seg::Key("measure_rpo")]),
                "measure_rpo says neither how to query the RPO nor what to ask",
            )
            .hint("add `query: PROMQL` (seconds of data lost) or `prompt: QUESTION`"),
        ),
        (Some(q), None) => {
            if let Some(problem) = promql_problem(q) {
                out.push(
                    Diagnostic::error(
                        "rpo-query",
                        key("query"),
                        format!("the RPO query {problem}"),
                    )
                    .hint("a PromQL expression whose value is the data lost, in seconds"),
                );
            }
        }
        (None, Some(p)) if p.trim().is_empty() => out.push(Diagnostic::error(
            "rpo-method",
            key("prompt"),
            "the RPO prompt asks nothing",
        )),
        (None, Some(_)) => {}
    }
    let phases = file.drill.phases.len();
    if let Some(n) = m.at.phase().filter(|n| *n > phases) {
        out.push(
            Diagnostic::error(
                "rpo-moment",
                key("at"),
                format!(
                    "`{}` names phase {n}, but the drill has {phases} phase{}",
                    m.at,
                    if phases == 1 { "" } else { "s" }
                ),
            )
            .hint("phases count from 1"),
        );
    }
}

/// What is obviously wrong with a PromQL expression, without a server to ask.
fn promql_problem(q: &str) -> Option<String> {
    if q.trim().is_empty() {
        return Some("is empty".into());
    }
    let mut stack = Vec::new();
    let mut quote: Option<char> = None;
    for c in q.chars() {
        match (quote, c) {
            (Some(open), c) if c == open => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'' | '`') => quote = Some(c),
            (None, '(' | '[' | '{') => stack.push(c),
            (None, ')' | ']' | '}') => {
                let want = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if stack.pop() != Some(want) {
                    return Some(format!("has an unmatched `{c}`"));
                }
            }
            _ => {}
        }
    }
    if quote.is_some() {
        return Some("has an unclosed quote".into());
    }
    stack.last().map(|c| format!("has an unclosed `{c}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "\
name: x
targets:
  rto: 30m
  rpo: 0s
phases:
  - name: One
    target: 5m
  - name: Two
    target: 4m
    runbook: rb
    step: stp
    guards:
    - ask: ''
      stop_if: yes
measure_rpo: { query: 'max(x', at: end of phase 3 }
";

    #[test]
    fn locate_follows_keys_and_items() {
        assert_eq!(
            locate(YAML, &[Seg::Key("targets"), Seg::Key("rpo")]).line,
            4
        );
        let p = locate(YAML, &[Seg::Key("phases"), Seg::Index(1), Seg::Key("step")]);
        assert_eq!((p.line, p.col), (11, 5));
        let g = locate(
            YAML,
            &[
                Seg::Key("phases"),
                Seg::Index(1),
                Seg::Key("guards"),
                Seg::Index(0),
            ],
        );
        assert_eq!(g.line, 13);
        // Flow style: stops at the line of the mapping.
        assert_eq!(
            locate(YAML, &[Seg::Key("measure_rpo"), Seg::Key("query")]).line,
            15
        );
        // Not found: the deepest part that was.
        assert_eq!(locate(YAML, &[Seg::Key("phases"), Seg::Index(7)]).line, 5);
    }

    #[test]
    fn near_finds_typos() {
        let ids = || {
            ["dr-region-failover", "node-failure"]
                .map(String::from)
                .into_iter()
        };
        assert_eq!(
            near(ids(), "dr-region-failovr").as_deref(),
            Some("dr-region-failover")
        );
        assert_eq!(
            near(ids(), "region-failover").as_deref(),
            Some("dr-region-failover")
        );
        assert_eq!(near(ids(), "payments"), None);
    }

    #[test]
    fn promql_shapes() {
        assert_eq!(promql_problem("max(x"), Some("has an unclosed `(`".into()));
        assert_eq!(promql_problem("a{b=\")\"}"), None);
        assert_eq!(promql_problem("x]"), Some("has an unmatched `]`".into()));
        assert!(promql_problem(" ").is_some());
    }
}
