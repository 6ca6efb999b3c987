//! The runbook pane: the current step with its commands and numbered branch choices.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::widgets::styled;
use crate::runbook::{CommandKind, Danger, SectionKind};
use crate::sanitize::escape;
use crate::state::State;
use crate::theme::Theme;

/// Output lines shown under the step.
const OUTPUT_LINES: usize = 12;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let view = &state.runbook;
    let Some((rb, step_i)) = view
        .runbook
        .and_then(|i| state.runbooks.get(i))
        .zip(view.current_step())
    else {
        let hint = if state.runbooks.is_empty() {
            "No runbooks loaded."
        } else {
            "Select an alert and press enter to open its runbook."
        };
        frame.render_widget(
            Paragraph::new(hint)
                .style(theme.dim)
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    };
    let Some(step) = rb.steps.get(step_i) else {
        return;
    };

    let mut lines: Vec<Line> = Vec::new();
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
    lines.push(Line::default());
    for b in &step.body {
        lines.push(Line::from(styled(escape(b).into_owned(), theme.base)));
    }
    for (i, c) in step.commands.iter().enumerate() {
        if i > 0 || !step.body.is_empty() {
            lines.push(Line::default());
        }
        let (kind, kind_style) = match c.kind {
            CommandKind::Check => ("check", theme.ok),
            CommandKind::Mitigation => ("MITIGATION", theme.warn),
        };
        let mut head = vec![
            styled(
                format!(" {kind} "),
                kind_style.add_modifier(Modifier::REVERSED),
            ),
            styled(format!(" {}", escape(&c.name)), theme.base),
        ];
        if c.kind == CommandKind::Mitigation {
            let (d, st) = match c.danger {
                Danger::Low => ("danger=low", theme.dim),
                Danger::Medium => ("danger=medium", theme.warn),
                Danger::High => ("danger=HIGH", theme.over),
            };
            head.push(styled(format!("  {d}"), st));
        }
        lines.push(Line::from(head));
        for code in c.code.lines() {
            lines.push(Line::from(styled(
                format!("  $ {}", escape(code)),
                theme.code,
            )));
        }
        if let Some(q) = &c.safety_question {
            lines.push(Line::from(vec![
                styled("  safety: ", theme.warn),
                styled(escape(q).into_owned(), theme.base),
            ]));
        }
    }
    if !step.branches.is_empty() {
        lines.push(Line::default());
        for (i, b) in step.branches.iter().enumerate().take(9) {
            lines.push(Line::from(vec![
                styled(
                    format!(" {} ", i + 1),
                    theme.choice.add_modifier(Modifier::REVERSED),
                ),
                styled(format!(" {}", escape(&b.label)), theme.base),
                styled(format!("  → #{}", escape(&b.target)), theme.dim),
            ]));
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
    let hint = if step.branches.is_empty() {
        "enter next step · backspace back"
    } else {
        "1-9 choose · enter next step · backspace back"
    };
    lines.push(Line::from(styled(hint, theme.dim)));
    // The output pane: what the last commands printed (already escaped when it arrived).
    if !state.exec.output.is_empty() {
        lines.push(Line::default());
        let title = match &state.exec.running {
            Some(r) => format!("output (running {}; ctrl-k cancels):", escape(&r.name)),
            None => "output:".to_string(),
        };
        lines.push(Line::from(styled(title, theme.dim)));
        let skip = state.exec.output.len().saturating_sub(OUTPUT_LINES);
        for l in state.exec.output.iter().skip(skip) {
            lines.push(Line::from(styled(escape(l).into_owned(), theme.base)));
        }
    }

    let scroll = view.scroll.min(lines.len().saturating_sub(1)) as u16;
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
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
            vec![
                styled(escape(&rb.id).into_owned(), theme.base),
                styled(
                    format!(
                        " · {} · step {}/{} {}",
                        step.map_or("", |s| s.section.title()),
                        i + 1,
                        rb.steps.len(),
                        step.map_or(String::new(), |s| escape(&s.title).into_owned())
                    ),
                    theme.dim,
                ),
            ]
        }
        None => vec![styled(
            "select an alert, enter opens its runbook",
            theme.dim,
        )],
    }
}
