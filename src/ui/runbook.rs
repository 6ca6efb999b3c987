//! The runbook pane: the current step (prose, lists, commands set apart) with placeholders
//! filled from the alert's labels, numbered branch choices, and the STALE banner.

use std::collections::BTreeMap;

use super::canvas::Canvas;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::widgets::styled;
use crate::runbook::lint::STALE_AFTER_DAYS;
use crate::runbook::placeholder::{self, Piece};
use crate::runbook::{
    Block, CommandBlock, CommandKind, Danger, Inline, InlineStyle, PrecheckKind, Runbook,
    SectionKind,
};
use crate::sanitize::escape;
use crate::state::State;
use crate::theme::Theme;

/// The banner's text when a runbook is stale, `None` when it is fresh.
/// Counts from the later of `last_reviewed` and the last real incident that used it.
pub fn stale_banner(rb: &Runbook, state: &State) -> Option<String> {
    let today = state.now.date_naive();
    let reviewed = rb.meta.last_reviewed;
    let exercised = state.exercised.get(&rb.id).copied();
    let (day, what) = match (reviewed, exercised) {
        (Some(r), Some(e)) if e > r => (e, "last used in an incident"),
        (Some(r), _) => (r, "last reviewed"),
        (None, Some(e)) => (e, "last used in an incident"),
        (None, None) => {
            return Some("STALE: exercise before trusting (never reviewed or used)".into());
        }
    };
    let age = (today - day).num_days();
    (age > STALE_AFTER_DAYS)
        .then(|| format!("STALE: exercise before trusting ({what} {day}, {age} days ago)"))
}

/// Output lines shown under the step.
const OUTPUT_LINES: usize = 12;

pub fn draw<'a>(frame: &mut Canvas<'a>, area: Rect, state: &'a State, theme: &'a Theme) {
    let view = &state.runbook;
    let Some((rb, step_i)) = view
        .runbook
        .and_then(|i| state.runbooks.get(i))
        .zip(view.current_step())
    else {
        let hint = if let Some(missing) = &view.missing {
            escape(missing).into_owned()
        } else if state.runbooks.is_empty() {
            "No runbooks loaded.".into()
        } else {
            "Select an alert and press enter to open its runbook, or / to find one.".into()
        };
        let style = if view.missing.is_some() {
            theme.warn
        } else {
            theme.dim
        };
        frame.render_widget(
            Paragraph::new(hint).style(style).wrap(Wrap { trim: true }),
            area,
        );
        return;
    };
    let Some(step) = rb.steps.get(step_i) else {
        return;
    };

    let mut lines: Vec<Line> = Vec::new();
    if let Some(banner) = stale_banner(rb, state) {
        lines.push(Line::from(styled(banner, theme.stale)));
    }
    // Breadcrumb of the five sections, the current one marked (bold and bracketed).
    let mut crumbs = vec![styled(format!("{} ", escape(&rb.id)), theme.dim)];
    for (i, s) in SectionKind::ALL.iter().enumerate() {
        if i > 0 {
            crumbs.push(styled(" › ", theme.dim));
        }
        if *s == step.section {
            crumbs.push(styled(format!("[{}]", s.title()), theme.header));
        } else {
            crumbs.push(styled(s.title(), theme.dim));
        }
    }
    lines.push(Line::from(crumbs));
    lines.push(Line::from(vec![
        styled(
            format!("Step {}/{} · ", step_i + 1, rb.steps.len()),
            theme.dim,
        ),
        styled(
            escape(&step.title).into_owned(),
            theme.header.add_modifier(Modifier::UNDERLINED),
        ),
    ]));
    let head_len = lines.len();
    // With several commands in the step, the one `x` runs is marked; `c` chooses.
    let several = crate::state::runbook_view::runnable(step).len() > 1;
    let selected = view.selected_command(step);
    let mut prev_item = false;
    for block in step.body.iter().map(|b| &b.block) {
        // Consecutive items of a list sit together, without blank lines.
        let item = matches!(block, Block::Item { .. });
        if !(item && prev_item) {
            lines.push(Line::default());
        }
        prev_item = item;
        match block {
            Block::Paragraph(inl) => lines.push(inline_line(Vec::new(), inl, theme)),
            Block::Heading(inl) => lines.push(Line::from(styled(
                escape(&crate::runbook::parse::plain(inl)).into_owned(),
                theme.header,
            ))),
            Block::Quote(inl) => lines.push(inline_line(vec![styled("│ ", theme.dim)], inl, theme)),
            Block::Item {
                depth,
                number,
                text,
            } => {
                let bullet = match number {
                    Some(n) => format!("{}{n}. ", "  ".repeat(*depth)),
                    None => format!("{}• ", "  ".repeat(*depth)),
                };
                lines.push(inline_line(vec![styled(bullet, theme.dim)], text, theme));
            }
            Block::Code(code) => {
                for c in code {
                    lines.push(Line::from(styled(format!("  {}", escape(c)), theme.code)));
                }
            }
            Block::Command(i) => {
                if let Some(c) = step.commands.get(*i) {
                    let chosen = several && selected == Some(*i);
                    command(&mut lines, c, chosen, &view.labels, theme);
                }
            }
        }
    }
    lines.push(Line::default());
    let path: Vec<String> = view
        .path
        .iter()
        .filter_map(|&i| rb.steps.get(i))
        .map(|s| escape(&s.title).into_owned())
        .collect();
    lines.push(Line::from(styled(
        format!("path: {}", path.join(" › ")),
        theme.dim,
    )));
    // The choices stay pinned at the bottom, so a long step never hides the decision.
    let mut foot: Vec<Line> = vec![Line::default()];
    // The output pane, pinned with the choices: what the last commands printed (already escaped when it arrived).
    if !state.exec.output.is_empty() {
        foot.push(Line::default());
        let title = match &state.exec.running {
            Some(r) => format!("output (running {}; ctrl-k cancels):", escape(&r.name)),
            None => "output:".to_string(),
        };
        foot.push(Line::from(styled(title, theme.dim)));
        let skip = state.exec.output.len().saturating_sub(OUTPUT_LINES);
        for l in state.exec.output.iter().skip(skip) {
            foot.push(Line::from(styled(escape(l).into_owned(), theme.base)));
        }
    }
    for (i, b) in step.branches.iter().enumerate().take(9) {
        foot.push(Line::from(vec![
            styled(
                format!(" {} ", i + 1),
                theme.choice.add_modifier(Modifier::REVERSED),
            ),
            styled(format!(" {}", escape(&b.label)), theme.base),
        ]));
    }
    let hint = if step.branches.is_empty() {
        "enter next step · backspace back · [ ] section · / find"
    } else {
        "1-9 choose · enter next step · backspace back · [ ] section · / find"
    };
    let hint = if several {
        format!("{hint} · c next command")
    } else {
        hint.to_string()
    };
    foot.push(Line::from(styled(hint, theme.dim)));

    let body = lines.split_off(head_len);
    let head_h = rows(&lines, area.width);
    let foot_h = rows(&foot, area.width);
    let scroll_of = |n: usize| view.scroll.min(n.saturating_sub(1)) as u16;
    if area.height >= head_h + foot_h + 3 {
        let [h, b, f] = Layout::vertical([
            Constraint::Length(head_h),
            Constraint::Min(1),
            Constraint::Length(foot_h),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), h);
        let scroll = scroll_of(body.len());
        frame.render_widget(
            Paragraph::new(body)
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0)),
            b,
        );
        frame.render_widget(Paragraph::new(foot).wrap(Wrap { trim: false }), f);
    } else {
        lines.extend(body);
        lines.extend(foot);
        let scroll = scroll_of(lines.len());
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0)),
            area,
        );
    }
}

/// Rows `lines` take when word-wrapped at `width`, as the paragraph will wrap them.
fn rows(lines: &[Line], width: u16) -> u16 {
    let w = usize::from(width.max(1));
    let mut total = 0usize;
    for line in lines {
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        let mut row = 1;
        let mut used = 0usize;
        for word in text.split_inclusive(' ') {
            let n = unicode_width::UnicodeWidthStr::width(word);
            let bare = unicode_width::UnicodeWidthStr::width(word.trim_end());
            if used + bare > w && used > 0 {
                row += 1;
                used = 0;
            }
            used += n;
            while used > w {
                row += 1;
                used -= w;
            }
        }
        total += row;
    }
    u16::try_from(total).unwrap_or(u16::MAX)
}

fn inline_line<'a>(mut spans: Vec<Span<'a>>, inl: &[Inline], theme: &Theme) -> Line<'a> {
    for i in inl {
        let style = match i.style {
            InlineStyle::Plain => theme.base,
            InlineStyle::Emphasis => theme.base.add_modifier(Modifier::ITALIC),
            InlineStyle::Strong => theme.base.add_modifier(Modifier::BOLD),
            InlineStyle::Code => theme.code,
            InlineStyle::Link => theme.base.add_modifier(Modifier::UNDERLINED),
        };
        spans.push(styled(escape(&i.text).into_owned(), style));
    }
    Line::from(spans)
}

/// Command text with `{{label}}` filled; a label the alert lacks stays visible, marked.
fn filled<'a>(
    prefix: Span<'a>,
    text: &str,
    labels: &BTreeMap<String, String>,
    theme: &Theme,
) -> Line<'a> {
    let mut spans = vec![prefix];
    for piece in placeholder::fill(text, labels) {
        spans.push(match piece {
            Piece::Text(t) => styled(escape(&t).into_owned(), theme.code),
            Piece::Filled(v) => styled(
                escape(&v).into_owned(),
                theme.code.add_modifier(Modifier::BOLD),
            ),
            Piece::Unresolved(p) => styled(
                format!("{}?", escape(&p)),
                theme.warn.add_modifier(Modifier::REVERSED),
            ),
        });
    }
    Line::from(spans)
}

fn command<'a>(
    lines: &mut Vec<Line<'a>>,
    c: &CommandBlock,
    chosen: bool,
    labels: &BTreeMap<String, String>,
    theme: &Theme,
) {
    let (kind, kind_style) = match c.kind {
        CommandKind::Mitigation => ("MITIGATION", theme.warn),
        _ => ("check", theme.ok),
    };
    let mut head = Vec::new();
    if chosen {
        head.push(styled("▶", theme.choice));
    }
    head.extend([
        styled(
            format!(" {kind} "),
            kind_style.add_modifier(Modifier::REVERSED),
        ),
        styled(format!(" {}", escape(&c.name)), theme.base),
    ]);
    if c.kind == CommandKind::Mitigation {
        let (d, st) = match c.danger {
            Danger::Low => ("danger=low", theme.dim),
            Danger::Medium => ("danger=medium", theme.warn),
            Danger::High => ("danger=HIGH", theme.over),
        };
        head.push(styled(format!("  {d}"), st));
    }
    head.push(styled(
        format!("  timeout {}", humantime::format_duration(c.timeout)),
        theme.dim,
    ));
    lines.push(Line::from(head));
    for code in c.code.lines() {
        lines.push(filled(styled("  $\u{a0}", theme.code), code, labels, theme));
    }
    if let Some(dry) = &c.dry_run {
        lines.push(filled(
            styled("  dry-run $\u{a0}", theme.dim),
            dry,
            labels,
            theme,
        ));
    }
    if let Some(expected) = &c.expected {
        lines.push(Line::from(styled("  expected:", theme.dim)));
        for l in expected.lines() {
            lines.push(Line::from(styled(format!("    {}", escape(l)), theme.dim)));
        }
    }
    for p in &c.prechecks {
        let what = match p.kind {
            PrecheckKind::Promql => "pre-check (PromQL must return a result)",
            PrecheckKind::Command => "pre-check (must exit 0)",
            PrecheckKind::Kube => "pre-check (kube)",
        };
        lines.push(Line::from(styled(format!("  {what}:"), theme.warn)));
        for l in p.code.lines() {
            lines.push(filled(styled("    ", theme.code), l, labels, theme));
        }
    }
    if let Some(q) = &c.safety_question {
        lines.push(filled(styled("  safety: ", theme.warn), q, labels, theme));
    }
}

pub fn summary<'a>(state: &'a State, theme: &Theme) -> Vec<Span<'a>> {
    let view = &state.runbook;
    match view
        .runbook
        .and_then(|i| state.runbooks.get(i))
        .zip(view.current_step())
    {
        Some((rb, i)) => {
            let step = rb.steps.get(i);
            let mut out = Vec::new();
            if stale_banner(rb, state).is_some() {
                out.push(styled("STALE ", theme.stale));
            }
            out.push(styled(escape(&rb.id).into_owned(), theme.base));
            out.push(styled(
                format!(
                    " · {} · step {}/{} {}",
                    step.map_or("", |s| s.section.title()),
                    i + 1,
                    rb.steps.len(),
                    step.map_or(String::new(), |s| escape(&s.title).into_owned())
                ),
                theme.dim,
            ));
            out
        }
        None => vec![styled(
            "select an alert, enter opens its runbook",
            theme.dim,
        )],
    }
}
