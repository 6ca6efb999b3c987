//! Lint: the checks that make a runbook safe to follow at 3am. The parser reports what it
//! sees locally; this looks at the runbook as a whole (sections, the branch graph, safety
//! checks, placeholders, freshness).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::anchors::slug;
use super::diagnostic::Diagnostic;
use super::model::{CommandKind, Danger, Pos, Runbook, SectionKind};
use super::parse::Parsed;

/// A runbook not reviewed or exercised for longer than this carries the STALE banner.
pub const STALE_AFTER_DAYS: i64 = 90;

/// Everything wrong with one parsed runbook, parser findings included, in file order.
pub fn lint(parsed: &Parsed, today: NaiveDate) -> Vec<Diagnostic> {
    lint_with(parsed, today, &[])
}

/// [`lint`], with the config's `read_only_tools` counted as read-only, as the gate does.
pub fn lint_with(parsed: &Parsed, today: NaiveDate, read_only_tools: &[String]) -> Vec<Diagnostic> {
    let rb = &parsed.runbook;
    let mut out = parsed.diagnostics.clone();
    let mut d = Vec::new();
    let bad_date = parsed
        .diagnostics
        .iter()
        .any(|x| x.code == "bad-last-reviewed");
    front_matter(rb, today, bad_date, &mut d);
    sections(rb, &mut d);
    anchors(parsed, &mut d);
    graph(rb, &mut d);
    commands(rb, &mut d);
    super::lint_exec::lint(rb, read_only_tools, &mut d);
    placeholders(parsed, &mut d);
    out.extend(d.into_iter().map(|x| x.in_file(&rb.path)));
    out.sort_by_key(|x| (x.line, x.column));
    out
}

/// `bad_date`: the parser already reported an unreadable `last_reviewed`.
fn front_matter(rb: &Runbook, today: NaiveDate, bad_date: bool, d: &mut Vec<Diagnostic>) {
    let top = Pos { line: 1, col: 1 };
    if rb.meta.alerts.is_empty() {
        d.push(
            Diagnostic::error(
                "missing-alert",
                rb.meta.pos_of("alerts").unwrap_or(top),
                "no alert binding: the runbook does not say which alert it answers",
            )
            .hint("add `alerts: [AlertName]` to the front matter"),
        );
    }
    match (rb.meta.last_reviewed, rb.review_age_days(today)) {
        (None, _) if !bad_date => d.push(
            Diagnostic::error(
                "missing-last-reviewed",
                rb.meta.pos_of("last_reviewed").unwrap_or(top),
                "`last_reviewed` is missing",
            )
            .hint("add `last_reviewed: YYYY-MM-DD`, the day someone last checked it works"),
        ),
        (Some(date), Some(age)) if age < 0 => d.push(Diagnostic::error(
            "future-last-reviewed",
            rb.meta.pos_of("last_reviewed").unwrap_or(top),
            format!("last_reviewed {date} is in the future"),
        )),
        (Some(date), Some(age)) if age > STALE_AFTER_DAYS => d.push(
            Diagnostic::warning(
                "stale",
                rb.meta.pos_of("last_reviewed").unwrap_or(top),
                format!(
                    "stale: last reviewed {date}, {age} days ago (more than {STALE_AFTER_DAYS})"
                ),
            )
            .hint("exercise it in a drill or review it, then update last_reviewed"),
        ),
        _ => {}
    }
}

fn sections(rb: &Runbook, d: &mut Vec<Diagnostic>) {
    let mut seen: Vec<SectionKind> = Vec::new();
    for s in &rb.sections {
        let Some(kind) = s.kind else {
            d.push(
                Diagnostic::error(
                    "unknown-section",
                    s.pos,
                    format!("unknown section `{}`", s.title),
                )
                .hint(
                    "sections are Alert, Check, Diagnose, Mitigate, Postmortem; use ### for steps",
                ),
            );
            continue;
        };
        if seen.contains(&kind) {
            d.push(Diagnostic::error(
                "duplicate-section",
                s.pos,
                format!("section `{}` appears twice", kind.title()),
            ));
        } else if let Some(last) = seen.iter().max().filter(|l| **l > kind) {
            d.push(
                Diagnostic::error(
                    "section-order",
                    s.pos,
                    format!("section `{}` comes after `{}`", kind.title(), last.title()),
                )
                .hint("the order is Alert, Check, Diagnose, Mitigate, Postmortem"),
            );
        }
        seen.push(kind);
    }
    let end = rb
        .sections
        .last()
        .map_or(Pos { line: 1, col: 1 }, |s| s.pos);
    for kind in SectionKind::ALL {
        if !seen.contains(&kind) {
            // Point where it should have been: at the first later section, else the end.
            let at = rb
                .sections
                .iter()
                .find(|s| s.kind.is_some_and(|k| k > kind))
                .map_or(end, |s| s.pos);
            d.push(
                Diagnostic::error(
                    "missing-section",
                    at,
                    format!("section `## {}` is missing", kind.title()),
                )
                .hint("every runbook has Alert, Check, Diagnose, Mitigate, Postmortem in order"),
            );
        }
    }
    let mut titles: BTreeMap<String, Pos> = BTreeMap::new();
    for s in &rb.steps {
        if let Some(first) = titles.get(&s.title.to_lowercase()) {
            d.push(
                Diagnostic::error(
                    "duplicate-step",
                    s.pos,
                    format!(
                        "duplicate step name `{}` (first at line {})",
                        s.title, first.line
                    ),
                )
                .hint("give each step its own name, so its anchor is unambiguous"),
            );
        } else {
            titles.insert(s.title.to_lowercase(), s.pos);
        }
    }
}

fn anchors(parsed: &Parsed, d: &mut Vec<Diagnostic>) {
    let rb = &parsed.runbook;
    let slugs: Vec<String> = parsed.headings.iter().map(|h| slug(&h.text)).collect();
    for step in &rb.steps {
        for b in &step.branches {
            let same_slug: Vec<_> = parsed
                .headings
                .iter()
                .zip(&slugs)
                .filter(|(_, s)| **s == b.target)
                .map(|(h, _)| h)
                .collect();
            if same_slug.len() > 1 {
                let lines: Vec<String> = same_slug.iter().map(|h| h.pos.line.to_string()).collect();
                d.push(
                    Diagnostic::error(
                        "ambiguous-anchor",
                        b.pos,
                        format!(
                            "anchor #{} is ambiguous: {} headings have that text (lines {})",
                            b.target,
                            same_slug.len(),
                            lines.join(", ")
                        ),
                    )
                    .hint("rename one of the headings so each anchor is unique"),
                );
            } else if rb.step_index(&b.target).is_none() {
                let heading = parsed.headings.iter().find(|h| h.anchor == b.target);
                let msg = match heading {
                    Some(h) => format!(
                        "branch points at #{}, a heading that is not a step",
                        h.anchor
                    ),
                    None => format!("dangling anchor #{}: no step has it", b.target),
                };
                let near = rb
                    .steps
                    .iter()
                    .find(|s| s.anchor.contains(&b.target) || b.target.contains(&s.anchor))
                    .map(|s| format!("did you mean #{}?", s.anchor))
                    .unwrap_or_else(|| "link to a ### step heading's anchor".into());
                d.push(Diagnostic::error("dangling-anchor", b.pos, msg).hint(near));
            }
        }
        if step.branches.len() > 9 {
            d.push(Diagnostic::error(
                "too-many-branches",
                step.branches[9].pos,
                "more than 9 branches: only 1-9 can be chosen by key",
            ));
        }
    }
}

/// Unreachable steps and cycles that never lead anywhere.
fn graph(rb: &Runbook, d: &mut Vec<Diagnostic>) {
    let targets: Vec<Vec<usize>> = rb
        .steps
        .iter()
        .map(|s| {
            s.branches
                .iter()
                .filter_map(|b| rb.step_index(&b.target))
                .collect()
        })
        .collect();
    let reached: BTreeSet<usize> = targets.iter().flatten().copied().collect();
    for section in [SectionKind::Diagnose, SectionKind::Mitigate] {
        let first = rb.first_step_of(section);
        for (i, s) in rb.steps.iter().enumerate() {
            if s.section == section && Some(i) != first && !reached.contains(&i) {
                d.push(
                    Diagnostic::error(
                        "unreachable-step",
                        s.pos,
                        format!("no branch leads to step `{}`", s.title),
                    )
                    .hint(format!(
                        "link to it from a decision: - If ...: [go](#{})",
                        s.anchor
                    )),
                );
            }
        }
    }
    // A step is a way out when it has no branches or leaves the diagnose tree.
    let n = rb.steps.len();
    let mut can_exit: Vec<bool> = rb
        .steps
        .iter()
        .map(|s| {
            s.branches.is_empty()
                || matches!(s.section, SectionKind::Mitigate | SectionKind::Postmortem)
        })
        .collect();
    for (i, t) in targets.iter().enumerate() {
        if t.len() < rb.steps[i].branches.len() {
            can_exit[i] = true; // a dangling branch is reported elsewhere
        }
    }
    loop {
        let mut changed = false;
        for i in 0..n {
            if !can_exit[i] && targets[i].iter().any(|&t| can_exit[t]) {
                can_exit[i] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut reported = vec![false; n];
    for i in 0..n {
        if can_exit[i] || reported[i] {
            continue;
        }
        let mut cycle = vec![i];
        let mut j = i;
        while let Some(&next) = targets[j].first() {
            if cycle.contains(&next) {
                cycle.push(next);
                break;
            }
            cycle.push(next);
            j = next;
        }
        let mut stack = vec![i];
        while let Some(k) = stack.pop() {
            if !reported[k] {
                reported[k] = true;
                stack.extend(targets[k].iter().copied());
            }
        }
        let names: Vec<String> = cycle
            .iter()
            .map(|&k| format!("#{}", rb.steps[k].anchor))
            .collect();
        d.push(
            Diagnostic::error(
                "cycle",
                rb.steps[i].pos,
                format!("branch cycle with no way out: {}", names.join(" → ")),
            )
            .hint("give one step in the loop a branch to a mitigation or a step without branches"),
        );
    }
}

fn commands(rb: &Runbook, d: &mut Vec<Diagnostic>) {
    let mut names: BTreeMap<&str, Pos> = BTreeMap::new();
    for step in &rb.steps {
        for c in &step.commands {
            if c.name.is_empty() {
                d.push(
                    Diagnostic::error("unnamed-command", c.pos, "command has no name").hint(
                        "add name=... to the attributes, e.g. {name=catalog-pods kind=check}",
                    ),
                );
            } else if let Some(first) = names.get(c.name.as_str()) {
                d.push(Diagnostic::error(
                    "duplicate-command",
                    c.pos,
                    format!(
                        "duplicate command name `{}` (first at line {})",
                        c.name, first.line
                    ),
                ));
            } else {
                names.insert(&c.name, c.pos);
            }
            if c.kind != CommandKind::Mitigation {
                continue;
            }
            if c.safety_question.is_none() {
                d.push(
                    Diagnostic::error(
                        "missing-safety-check",
                        c.pos,
                        format!("mitigation `{}` has no safety check", c.name),
                    )
                    .hint("follow it with `> **Safety:** question?` and, where possible, a kind=precheck block"),
                );
            } else if c.danger == Danger::High && c.prechecks.is_empty() {
                d.push(
                    Diagnostic::warning(
                        "missing-precheck",
                        c.pos,
                        format!(
                            "danger=high mitigation `{}` has no automatic pre-check",
                            c.name
                        ),
                    )
                    .hint("add a ```promql, ```sh or ```kube block with {kind=precheck} after it"),
                );
            }
        }
    }
}

fn placeholders(parsed: &Parsed, d: &mut Vec<Diagnostic>) {
    let declared = &parsed.runbook.meta.labels;
    for (name, pos) in &parsed.placeholders {
        if !declared.iter().any(|l| l == name) {
            d.push(
                Diagnostic::error(
                    "undeclared-placeholder",
                    *pos,
                    format!("placeholder {{{{{name}}}}} is not declared in `labels`"),
                )
                .hint(format!("add {name} to the front matter's labels: [...]")),
            );
        }
    }
}
