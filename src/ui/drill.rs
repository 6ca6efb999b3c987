//! The drill clock: T+ since the failure was injected, the current phase against its frozen
//! target, the RTO budget, every phase's actual time, and human action time.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::widgets::styled;
use crate::sources::timing::Clock;
use crate::state::{DrillClock, Pace, State};
use crate::theme::Theme;

fn pace_style(theme: &Theme, p: Pace) -> Style {
    match p {
        Pace::OnTime => theme.ok,
        Pace::Warning => theme.warn,
        Pace::Over => theme.over,
    }
}

fn rto_spans<'a>(d: &DrillClock, state: &State, theme: &Theme) -> Vec<Span<'a>> {
    match d.rto_left(state.now) {
        Ok(left) => vec![
            styled("RTO left ", theme.dim),
            styled(
                Clock(left).to_string(),
                if left.as_secs_f64() < d.rto_target.as_secs_f64() * 0.2 {
                    theme.warn
                } else {
                    theme.ok
                },
            ),
            styled(format!(" of {}", Clock(d.rto_target)), theme.dim),
        ],
        Err(over) => vec![styled(format!("RTO BLOWN by {}", Clock(over)), theme.over)],
    }
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let Some(d) = &state.drill else {
        frame.render_widget(
            Paragraph::new("No drill is running.").style(theme.dim),
            area,
        );
        return;
    };
    let now = state.now;
    let mut lines = vec![Line::from(styled(d.name.clone(), theme.header))];
    let mut clock = vec![
        styled("T+ ", theme.dim),
        styled(Clock(d.elapsed(now)).to_string(), theme.header),
        styled(" · ", theme.dim),
    ];
    clock.extend(rto_spans(d, state, theme));
    lines.push(Line::from(clock));

    if let Some(end) = d.ended_at {
        let rto = d.elapsed(end);
        let rto_ok = rto <= d.rto_target;
        lines.push(Line::from(vec![
            styled("FINISHED ", theme.header),
            styled(
                format!("RTO {} / {} ", Clock(rto), Clock(d.rto_target)),
                theme.base,
            ),
            styled(
                if rto_ok { "PASS" } else { "FAIL" },
                if rto_ok { theme.ok } else { theme.over },
            ),
        ]));
        if let Some(rpo) = d.rpo_actual {
            let ok = rpo <= d.rpo_target;
            lines.push(Line::from(vec![
                styled("         ", theme.base),
                styled(
                    format!("RPO {} / {} ", Clock(rpo), Clock(d.rpo_target)),
                    theme.base,
                ),
                styled(
                    if ok { "PASS" } else { "FAIL" },
                    if ok { theme.ok } else { theme.over },
                ),
            ]));
        }
    } else {
        let current = d.current_phase().map_or(String::from("not started"), |i| {
            format!("phase {}/{}", i + 1, d.phases.len())
        });
        lines.push(Line::from(styled(
            format!("{current} · RPO target {}", Clock(d.rpo_target)),
            theme.dim,
        )));
    }
    lines.push(Line::default());
    let name_w = d
        .phases
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    for (i, p) in d.phases.iter().enumerate() {
        let (mark, el) = match (p.started_at, p.ended_at) {
            (Some(_), Some(_)) => ("✓", d.phase_elapsed(i, now)),
            (Some(_), None) => ("▶", d.phase_elapsed(i, now)),
            _ => ("·", None),
        };
        let name: String = p.name.chars().take(name_w).collect();
        let style = if mark == "▶" {
            theme.header
        } else {
            theme.base
        };
        let mut spans = vec![styled(format!("{mark} {} {name:<name_w$} ", i + 1), style)];
        match el {
            Some(el) => {
                let pace = Pace::of(el, p.target);
                spans.push(styled(
                    format!("{:>5}/{} ", Clock(el).to_string(), Clock(p.target)),
                    theme.base,
                ));
                spans.push(styled(pace.label(), pace_style(theme, pace)));
            }
            None => spans.push(styled(format!("{:>5}/{}", "—", Clock(p.target)), theme.dim)),
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::default());
    let mut human = vec![
        styled("Human action ", theme.dim),
        styled(Clock(d.human_time(now)).to_string(), theme.header),
        styled(
            format!(" · machine {}", Clock(d.machine_time(now))),
            theme.dim,
        ),
    ];
    if d.human_since.is_some() && d.is_running() {
        human.push(styled(" · WAITING ON HUMAN", theme.warn));
    }
    lines.push(Line::from(human));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

pub fn summary<'a>(state: &'a State, theme: &Theme) -> Vec<Span<'a>> {
    let Some(d) = &state.drill else {
        return vec![styled("no drill running", theme.dim)];
    };
    let now = state.now;
    let mut spans = vec![styled(
        format!("T+ {} ", Clock(d.elapsed(now))),
        theme.header,
    )];
    if d.ended_at.is_some() {
        spans.push(styled("finished", theme.ok));
        return spans;
    }
    if let Some(i) = d.current_phase() {
        let p = &d.phases[i];
        let el = d.phase_elapsed(i, now).unwrap_or_default();
        let pace = Pace::of(el, p.target);
        spans.push(styled(
            format!("· {} {}/{} ", p.name, Clock(el), Clock(p.target)),
            theme.dim,
        ));
        spans.push(styled(pace.label(), pace_style(theme, pace)));
    }
    match d.rto_left(now) {
        Ok(left) => spans.push(styled(format!(" · RTO left {}", Clock(left)), theme.dim)),
        Err(over) => spans.push(styled(
            format!(" · RTO BLOWN by {}", Clock(over)),
            theme.over,
        )),
    }
    spans
}
