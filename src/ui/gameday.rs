//! The game-day in the Drill clock pane: what is being tested and within which boundary,
//! the abort condition's latest value against its threshold, the observation timer, every
//! experiment and its state, and the keys that act. Also the verdict prompt.

use super::canvas::Canvas;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::layout::centered;
use super::widgets::styled;
use crate::gameday::run::{ExperimentRun, Run, Status};
use crate::keymap::Action;
use crate::sanitize::escape;
use crate::sources::timing::{Age, Clock};
use crate::state::State;
use crate::state::drill::since;
use crate::state::gameday::{GameDayView, VerdictForm};
use crate::theme::Theme;

fn value(v: f64) -> String {
    if v != 0.0 && v.abs() < 0.001 {
        format!("{v:.2e}")
    } else {
        format!("{v:.4}")
    }
}

/// `abort 0.0123 > 0.05  ok · 2s ago`, or TRIPPED, or why there is no value.
fn abort_line(view: &GameDayView, run: &Run, state: &State, theme: &Theme) -> Line<'static> {
    let cond = format!("{} {}", run.abort.comparison.symbol(), run.abort.threshold);
    let mut spans = vec![styled("abort ", theme.dim)];
    match &view.latest {
        None => {
            spans.push(styled(
                format!("if value {cond} · no reading yet"),
                theme.dim,
            ));
        }
        Some(r) => {
            let age = styled(format!(" · {} ago", Age(since(r.at, state.now))), theme.dim);
            match &r.value {
                Ok(Some(v)) if run.abort.trips(*v) => {
                    spans.push(styled(format!("{} {cond} ", value(*v)), theme.over));
                    spans.push(styled("TRIPPED", theme.over));
                }
                Ok(Some(v)) => {
                    spans.push(styled(format!("{} ", value(*v)), theme.header));
                    spans.push(styled(format!("(aborts if {cond}) "), theme.dim));
                    spans.push(styled("ok", theme.ok));
                }
                Ok(None) => spans.push(styled(format!("no data (aborts if {cond})"), theme.stale)),
                Err(e) => spans.push(styled(format!("UNREADABLE: {}", escape(e)), theme.stale)),
            }
            spans.push(age);
        }
    }
    Line::from(spans)
}

fn status<'a>(e: &ExperimentRun, state: &State, theme: &Theme) -> Vec<Span<'a>> {
    if let Some(err) = &e.removal_error {
        return vec![styled(
            format!("DELETE FAILED: {}", escape(err)),
            theme.over,
        )];
    }
    match e.status {
        Status::Pending => vec![styled("pending", theme.dim)],
        Status::Starting if e.kill_pending.is_some() => vec![styled(
            "STARTING: deleted when its create answers",
            theme.over,
        )],
        Status::Starting => vec![styled("STARTING", theme.warn)],
        Status::Unknown => vec![styled(
            "MAYBE IN CLUSTER: create cut short (K deletes it)",
            theme.over,
        )],
        Status::Running => {
            let el = e
                .started_at
                .map_or_else(Default::default, |s| since(s, state.now));
            if e.injecting(state.now) {
                vec![styled(
                    format!("INJECTING {}/{}", Clock(el), Clock(e.duration)),
                    theme.over,
                )]
            } else {
                vec![styled("ended, still in the cluster", theme.warn)]
            }
        }
        Status::Failed => vec![styled(
            format!(
                "not created: {}",
                escape(e.failure.as_deref().unwrap_or("-"))
            ),
            theme.error,
        )],
        Status::Removed => {
            let (reason, at) = e
                .removed
                .as_ref()
                .map_or(("", state.now), |r| (r.reason.as_str(), r.at));
            // Cut short by the abort, as opposed to cleaned up after it ended.
            let cut = reason == "abort" && e.started_at.is_some_and(|s| since(s, at) < e.duration);
            if cut {
                vec![styled("ABORTED", theme.over)]
            } else {
                vec![styled(format!("removed ({})", escape(reason)), theme.ok)]
            }
        }
    }
}

fn hints(state: &State, theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    for (a, label) in [
        (Action::StartExperiment, "start"),
        (Action::KillSwitch, "kill switch"),
        (Action::Verdict, "verdict"),
    ] {
        if let Some(k) = state.keymap.hint(a) {
            spans.push(styled(k, theme.key));
            spans.push(styled(format!(" {label}  "), theme.dim));
        }
    }
    Line::from(spans)
}

pub fn draw<'a>(frame: &mut Canvas<'a>, area: Rect, state: &'a State, theme: &'a Theme) {
    let view = &state.gameday;
    let Some(run) = &view.run else {
        frame.render_widget(
            Paragraph::new("Starting the game-day ...").style(theme.dim),
            area,
        );
        return;
    };
    let now = state.now;
    let head = Line::from(styled(
        format!("GAME-DAY {}", escape(&run.name)),
        theme.header,
    ));
    let mut clock = vec![styled("observe ", theme.dim)];
    match (&run.verdict, run.observed(now)) {
        (None, _) if run.abandoned.is_some() => {
            clock.push(styled("done · ABANDONED, no verdict", theme.over))
        }
        (Some(v), _) => clock.push(styled(
            if v.held {
                "done · HYPOTHESIS HELD"
            } else {
                "done · HYPOTHESIS DID NOT HOLD"
            },
            if v.held { theme.ok } else { theme.over },
        )),
        (None, Some(o)) if run.observation_over(now) => clock.push(styled(
            format!("{} · VERDICT DUE (v)", Clock(o)),
            theme.warn,
        )),
        (None, Some(o)) => clock.push(styled(
            format!("{}/{}", Clock(o), Clock(run.observation_window)),
            theme.header,
        )),
        (None, None) => clock.push(styled(
            format!(
                "—/{} from the first experiment",
                Clock(run.observation_window)
            ),
            theme.dim,
        )),
    }
    if !run.is_over() {
        clock.push(styled(
            format!(" · {} pod(s) under chaos", run.pods_in_use(now)),
            theme.dim,
        ));
    }
    let b = &run.boundary;
    let mut lines = vec![head, Line::from(clock), abort_line(view, run, state, theme)];
    lines.push(Line::from(vec![
        styled("boundary ", theme.dim),
        styled(
            format!(
                "{}/{} ≤{} pod{} ≤{} each",
                escape(&b.context),
                escape(&b.namespace),
                b.max_pods,
                if b.max_pods == 1 { "" } else { "s" },
                humantime::format_duration(b.max_duration)
            ),
            theme.base,
        ),
    ]));
    let name_w = run
        .experiments
        .iter()
        .map(|e| e.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(20);
    // The kind column goes first when the pane is narrow: the state matters more.
    let kind_w = run
        .experiments
        .iter()
        .map(|e| e.kind.chars().count())
        .max()
        .unwrap_or(0)
        .min(12);
    let kind_w = if (name_w + kind_w + 27) as u16 <= area.width {
        kind_w
    } else {
        0
    };
    for (i, e) in run.experiments.iter().enumerate() {
        let selected = i == view.selected && !run.is_over();
        let mark = if selected { "›" } else { " " };
        let name: String = escape(&e.name).chars().take(name_w).collect();
        let kind: String = e.kind.chars().take(kind_w).collect();
        let style = if selected { theme.selected } else { theme.base };
        let mut spans = vec![styled(format!("{mark}{} {name:<name_w$} ", i + 1), style)];
        if kind_w > 0 {
            spans.push(styled(format!("{kind:<kind_w$} "), theme.dim));
        }
        spans.extend(status(e, state, theme));
        lines.push(Line::from(spans));
    }
    for t in run.trips.iter().rev().take(1) {
        lines.push(Line::from(styled(
            format!(
                "last abort {} UTC: {}",
                t.at.format("%H:%M:%S"),
                escape(&t.detail)
            ),
            theme.over,
        )));
    }
    if let Some(v) = &run.verdict {
        lines.push(Line::from(vec![
            styled("verdict ", theme.dim),
            styled(escape(&v.note).into_owned(), theme.base),
        ]));
    } else if let Some((_, reason)) = &run.abandoned {
        lines.push(Line::from(vec![
            styled("abandoned ", theme.over),
            styled(escape(reason).into_owned(), theme.base),
        ]));
    } else {
        lines.push(hints(state, theme));
    }
    lines.push(Line::from(vec![
        styled("hypothesis ", theme.dim),
        styled(escape(&run.hypothesis).into_owned(), theme.base),
    ]));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// The one-line form for a collapsed pane.
pub fn summary<'a>(state: &'a State, theme: &Theme) -> Vec<Span<'a>> {
    let Some(run) = &state.gameday.run else {
        return vec![styled("game-day starting", theme.dim)];
    };
    let mut spans = vec![styled(
        format!("GAME-DAY {} ", escape(&run.name)),
        theme.header,
    )];
    if let Some(v) = state.gameday.tripped_value() {
        spans.push(styled(format!("ABORT TRIPPED {} ", value(v)), theme.over));
    }
    let injecting = run
        .experiments
        .iter()
        .filter(|e| e.injecting(state.now))
        .count();
    spans.push(styled(
        format!(
            "· {injecting} injecting · {} in cluster",
            run.in_cluster().len()
        ),
        theme.dim,
    ));
    if let Some(o) = run.observed(state.now) {
        spans.push(styled(
            format!(" · observe {}/{}", Clock(o), Clock(run.observation_window)),
            theme.dim,
        ));
    }
    spans
}

/// The verdict prompt: y or n, then the note.
pub fn verdict<'a>(
    frame: &mut Canvas<'a>,
    area: Rect,
    form: &'a VerdictForm,
    state: &'a State,
    theme: &'a Theme,
) {
    let hypothesis = state
        .gameday
        .run
        .as_ref()
        .map(|r| escape(&r.hypothesis).into_owned())
        .unwrap_or_default();
    let mut lines = vec![
        Line::from(styled(hypothesis, theme.overlay)),
        Line::default(),
    ];
    match form.held {
        None => {
            lines.push(Line::from(styled("Did the hypothesis hold?", theme.header)));
            lines.push(Line::from(vec![
                styled(" y ", theme.key),
                styled("it held    ", theme.overlay),
                styled(" n ", theme.key),
                styled("it did not    ", theme.overlay),
                styled(" esc ", theme.key),
                styled("later (v)", theme.overlay),
            ]));
        }
        Some(held) => {
            lines.push(Line::from(styled(
                if held {
                    "It held. A note: what was seen, what to change:"
                } else {
                    "It did not hold. A note: what broke, what to change:"
                },
                theme.header,
            )));
            lines.push(Line::from(vec![
                styled("> ", theme.key),
                styled(escape(&form.input.text).into_owned(), theme.overlay),
                styled("▏", theme.key),
            ]));
            lines.push(match &form.input.error {
                Some(e) => Line::from(styled(e.clone(), theme.error)),
                None => Line::from(vec![
                    styled(" enter ", theme.key),
                    styled("record    ", theme.overlay),
                    styled(" esc ", theme.key),
                    styled("later (v)", theme.overlay),
                ]),
            });
        }
    }
    let width = area.width.saturating_sub(4).min(100);
    let inner_w = width.saturating_sub(2).max(1) as usize;
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let r = centered(area, width, (rows + 2).min(u16::MAX as usize) as u16);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.warn)
        .title(styled(" Game-day verdict ", theme.warn))
        .style(theme.overlay);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .style(Style::default()),
        r,
    );
}
