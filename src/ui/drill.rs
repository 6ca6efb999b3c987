//! The drill clock: T+ since the failure was injected, the current phase against its frozen
//! target, the RTO budget, every phase's actual time, human action time against machine
//! time, and, at the end, the score. Every state reads without colour: ON TIME, WARNING,
//! OVER, PASS, FAIL and the banners are words.

use std::time::Duration;

use super::canvas::Canvas;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::widgets::styled;
use crate::drill::Score;
use crate::keymap::Action;
use crate::sanitize::escape;
use crate::sources::timing::{Age, Clock};
use crate::state::drill::Guards;
use crate::state::{DrillRun, DrillSetup, Pace, State};
use crate::theme::Theme;

fn pace_style(theme: &Theme, p: Pace) -> Style {
    match p {
        Pace::OnTime => theme.ok,
        Pace::Warning => theme.warn,
        Pace::Over => theme.over,
    }
}

fn pass<'a>(ok: bool, theme: &Theme) -> Span<'a> {
    if ok {
        styled("PASS", theme.ok)
    } else {
        styled("FAIL", theme.over)
    }
}

/// Budget left: in minutes while there is plenty (T+ beside it already ticks by the
/// second), to the second in the last five minutes, when the facilitator reads it closely.
fn budget(left: Duration) -> String {
    if left >= Duration::from_secs(5 * 60) {
        Age(left).to_string()
    } else {
        Clock(left).to_string()
    }
}

fn rto_spans<'a>(d: &DrillRun, state: &State, theme: &Theme) -> Vec<Span<'a>> {
    let c = &d.clock;
    // Stopped: what the drill used of its budget, not a budget left that no longer runs.
    if let Some(end) = c.ended_at {
        let used = c.elapsed(end);
        let mut spans = vec![
            styled("RTO used ", theme.dim),
            styled(
                Clock(used).to_string(),
                if used <= c.rto_target {
                    theme.ok
                } else {
                    theme.over
                },
            ),
            styled(format!(" of {}", Clock(c.rto_target)), theme.dim),
        ];
        if used > c.rto_target {
            spans.push(styled(
                format!(" (over by {})", Clock(used - c.rto_target)),
                theme.over,
            ));
        }
        return spans;
    }
    // Whole seconds, as T+ beside it counts them.
    let now = c.injected_at + chrono::Duration::seconds(c.elapsed(state.now).as_secs() as i64);
    match c.rto_left(now) {
        Ok(left) => vec![
            styled("RTO left ", theme.dim),
            styled(
                budget(left),
                if left.as_secs_f64() < c.rto_target.as_secs_f64() * 0.2 {
                    theme.warn
                } else {
                    theme.ok
                },
            ),
            styled(format!(" of {}", Clock(c.rto_target)), theme.dim),
        ],
        Err(over) => vec![styled(format!("RTO BLOWN by {}", Clock(over)), theme.over)],
    }
}

/// "p start phase 2" and the like: what the advance key does now, for the facilitator.
fn next_step(state: &State) -> Option<String> {
    let key = state.keymap.hint(Action::AdvanceDrill)?;
    let what = match &state.drill {
        None => "start the drill (T+0: inject the failure)".to_string(),
        Some(r) if r.run.is_none() || r.is_over() => return None,
        Some(_) if state.drill_busy.scoring => return Some("scoring…".into()),
        Some(r) if r.rpo_pending() && state.drill_busy.rpo_query => "(measuring the RPO…)".into(),
        Some(r)
            if r.rpo_pending()
                && (r.spec.measure_rpo.query.is_none()
                    || state.drill_busy.rpo_failed.is_some()) =>
        {
            "enter the RPO".into()
        }
        Some(r) if r.is_restored() && r.rpo_pending() => "measure the RPO".into(),
        Some(r) if r.is_restored() => "score the drill".into(),
        Some(r) => match r.next_phase() {
            Some(i) if !r.spec.phases[i].guards.is_empty() => {
                format!("guards, then phase {}", i + 1)
            }
            Some(i) => format!("start phase {}", i + 1),
            None => "service restored: stop the clock".into(),
        },
    };
    Some(format!("{key} {what}"))
}

/// Three rows per character, for the T+ clock on a projector.
fn big_glyph(c: char) -> [&'static str; 3] {
    match c {
        '0' => ["█▀█", "█ █", "▀▀▀"],
        '1' => [" ▀█", "  █", "  ▀"],
        '2' => ["▀▀█", "█▀▀", "▀▀▀"],
        '3' => ["▀▀█", " ▀█", "▀▀▀"],
        '4' => ["█ █", "▀▀█", "  ▀"],
        '5' => ["█▀▀", "▀▀█", "▀▀▀"],
        '6' => ["█▀▀", "█▀█", "▀▀▀"],
        '7' => ["▀▀█", "  █", "  ▀"],
        '8' => ["█▀█", "█▀█", "▀▀▀"],
        '9' => ["█▀█", "▀▀█", "▀▀▀"],
        ':' => [" ", "▀", "▀"],
        '+' => ["   ", "▄█▄", " ▀ "],
        'T' => ["▀█▀", " █ ", " ▀ "],
        _ => ["   ", "   ", "   "],
    }
}

/// `text` in three-row characters.
fn big_lines<'a>(text: &str, style: Style) -> Vec<Line<'a>> {
    (0..3)
        .map(|row| {
            let s: Vec<&str> = text.chars().map(|c| big_glyph(c)[row]).collect();
            Line::from(styled(format!(" {}", s.join(" ")), style))
        })
        .collect()
}

/// Room for the large clock: the drill console's main view, not a corner of the grid.
const BIG_MIN: (u16, u16) = (56, 22);

pub fn draw<'a>(frame: &mut Canvas<'a>, area: Rect, state: &'a State, theme: &'a Theme) {
    let lines = match (&state.drill, &state.drill_setup) {
        (Some(run), _) if area.width >= BIG_MIN.0 && area.height >= BIG_MIN.1 => {
            let mut lines = run_lines(state, run, theme);
            let big = big_lines(
                &format!("T+{}", Clock(run.clock.elapsed(state.now))),
                theme.header,
            );
            lines.splice(1..1, std::iter::once(Line::default()).chain(big));
            lines
        }
        (Some(run), _) => run_lines(state, run, theme),
        (None, Some(setup)) => briefing(state, setup, theme),
        (None, None) => vec![Line::from(styled(
            "No drill is running. `warroom drill NAME` runs one.",
            theme.dim,
        ))],
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// Before T+0: what the drill is and what it is held to.
fn briefing<'a>(state: &State, s: &DrillSetup, theme: &Theme) -> Vec<Line<'a>> {
    let d = &s.spec;
    let mut lines = vec![
        Line::from(vec![
            styled(d.name.clone(), theme.header),
            styled(format!(" · {}", s.drill), theme.dim),
        ]),
        Line::from(vec![
            styled("NOT STARTED", theme.warn),
            styled(
                format!(
                    " · targets (frozen in the file): RTO {} · RPO {}",
                    Clock(d.targets.rto.0),
                    Clock(d.targets.rpo.0)
                ),
                theme.base,
            ),
        ]),
    ];
    if let Some(text) = &d.description {
        lines.push(Line::from(styled(text.trim().to_string(), theme.base)));
    }
    let rpo = match (&d.measure_rpo.query, &d.measure_rpo.prompt) {
        (Some(_), _) => format!("RPO: Prometheus query at {}", d.measure_rpo.at),
        _ => format!("RPO: asked of the facilitator at {}", d.measure_rpo.at),
    };
    lines.push(Line::from(styled(rpo, theme.dim)));
    lines.push(Line::from(styled(
        match &s.previous {
            Some(p) => format!(
                "Previous drill {}: {} · RTO {} · human action {} · different: {}",
                p.started.format("%Y-%m-%d"),
                p.result(),
                Clock(p.rto),
                Clock(p.human),
                p.different
            ),
            None => "No previous drill of this name in the log.".to_string(),
        },
        theme.dim,
    )));
    lines.push(Line::default());
    for (i, p) in d.phases.iter().enumerate() {
        let guards = match p.guards.len() {
            0 => String::new(),
            n => format!(" · {n} guard{}", if n == 1 { "" } else { "s" }),
        };
        lines.push(Line::from(styled(
            format!("· {} {} {}{guards}", i + 1, p.name, Clock(p.target.0)),
            theme.base,
        )));
    }
    lines.push(Line::default());
    if let Some(next) = next_step(state) {
        lines.push(Line::from(styled(next, theme.key)));
    }
    lines
}

fn run_lines<'a>(state: &State, d: &DrillRun, theme: &Theme) -> Vec<Line<'a>> {
    let now = state.now;
    let c = &d.clock;
    let mut head = vec![styled(c.name.clone(), theme.header)];
    if d.run.is_some() {
        head.push(styled(format!(" · {}", d.drill), theme.dim));
    }
    let mut lines = vec![Line::from(head)];
    let t_plus = Clock(c.elapsed(now)).to_string();
    let col = ClockColumn::new(&[
        &t_plus,
        &c.current_phase()
            .and_then(|i| c.phase_elapsed(i, now))
            .map(|el| Clock(el).to_string())
            .unwrap_or_default(),
        &Clock(c.human_time(now)).to_string(),
    ]);
    let mut clock = col.spans("T+", t_plus, theme);
    clock.push(styled(" · ", theme.dim));
    clock.extend(rto_spans(d, state, theme));
    lines.push(Line::from(clock));
    lines.push(status_line(d, now, &col, theme));
    lines.push(human_line(state, d, &col, theme));
    if let (Some(what), true) = (&d.waiting_on, c.is_running()) {
        // `step RUNBOOK#ANCHOR`: the runbook is on screen beside it; the anchor is enough.
        let what = match what.strip_prefix("step ").and_then(|s| s.split_once('#')) {
            Some((_, anchor)) => format!("step #{anchor}"),
            None => what.clone(),
        };
        lines.push(Line::from(styled(
            format!("WAITING ON HUMAN: {what}"),
            theme.warn,
        )));
    }
    if let Some(line) = commands_line(state, d, theme) {
        lines.push(line);
    }
    if let Some(line) = by_hand_line(state, d, theme) {
        lines.push(line);
    }
    if let Some(line) = guards_line(d, theme) {
        lines.push(line);
    }
    lines.push(rpo_line(state, d, theme));
    if let Some(next) = next_step(state) {
        let mut hint = vec![styled(next, theme.key)];
        if d.waiting_on.is_some()
            && let Some(k) = state.keymap.hint(Action::Select)
        {
            hint.push(styled(
                format!(" · {k} done: the machines have it"),
                theme.dim,
            ));
        }
        lines.push(Line::from(hint));
    }
    lines.push(Line::default());
    lines.extend(phase_lines(d, now, theme));
    if let Some(reason) = &d.abandoned {
        lines.push(Line::default());
        lines.push(Line::from(vec![
            styled("Abandoned: ", theme.over),
            styled(escape(reason).into_owned(), theme.base),
        ]));
        lines.extend(logged_line(state, theme));
    }
    if let Some((different, score)) = &d.finished {
        lines.push(Line::default());
        lines.push(Line::from(vec![
            styled("What was different: ", theme.dim),
            styled(escape(different).into_owned(), theme.base),
        ]));
        for (tag, meaning) in score.banners() {
            lines.push(Line::from(vec![
                styled(format!("⚠ {tag}"), theme.over),
                styled(format!(": {meaning}"), theme.warn),
            ]));
        }
        lines.extend(logged_line(state, theme));
    }
    lines
}

/// Where the drill log entry went, or why it did not.
fn logged_line<'a>(state: &State, theme: &Theme) -> Option<Line<'a>> {
    match &state.drill_busy.logged {
        Some(Ok(text)) => Some(Line::from(styled(text.clone(), theme.dim))),
        Some(Err(e)) => Some(Line::from(styled(
            format!("Drill log not written: {e}"),
            theme.error,
        ))),
        None => None,
    }
}

/// T+, the phase's time and human action time, one above the other, labels left and
/// figures right-aligned in one column: the facilitator's three running clocks read down
/// a column, and their changing digits sit one below the other, so an idle second's
/// update is a digit, a line feed and a backspace per clock.
struct ClockColumn {
    width: usize,
}

impl ClockColumn {
    const LABEL: usize = "Human action".len();

    fn new(figures: &[&str]) -> ClockColumn {
        let width = figures.iter().map(|f| f.chars().count()).max().unwrap_or(0);
        ClockColumn { width }
    }

    fn spans<'a>(&self, label: &str, figure: String, theme: &Theme) -> Vec<Span<'a>> {
        vec![
            styled(format!("{label:<w$} ", w = Self::LABEL), theme.dim),
            styled(format!("{figure:>w$}", w = self.width), theme.header),
        ]
    }
}

/// The line that says where the drill stands: the phase and its pace, or the result.
fn status_line<'a>(
    d: &DrillRun,
    now: chrono::DateTime<chrono::Utc>,
    col: &ClockColumn,
    theme: &Theme,
) -> Line<'a> {
    let c = &d.clock;
    if let Some((_, score)) = &d.finished {
        return score_line(score, theme);
    }
    if d.abandoned.is_some() {
        return Line::from(vec![
            styled("DRILL ABANDONED ", theme.over),
            styled(
                format!("· not scored · stopped at T+ {}", Clock(c.elapsed(now))),
                theme.base,
            ),
        ]);
    }
    if let Some(end) = c.ended_at {
        let rto = c.elapsed(end);
        return Line::from(vec![
            styled("SERVICE RESTORED ", theme.header),
            styled(
                format!("· RTO {} / {} ", Clock(rto), Clock(c.rto_target)),
                theme.base,
            ),
            pass(rto <= c.rto_target, theme),
        ]);
    }
    match c.current_phase() {
        Some(i) => {
            let p = &c.phases[i];
            let el = c.phase_elapsed(i, now).unwrap_or_default();
            let pace = Pace::of(el, p.target);
            let mut spans = col.spans(
                &format!("PHASE {}/{}", i + 1, c.phases.len()),
                Clock(el).to_string(),
                theme,
            );
            spans.extend([
                styled(format!(" / {} ", Clock(p.target)), theme.dim),
                styled(pace.label(), pace_style(theme, pace)),
                styled(format!(" · {}", p.name), theme.base),
            ]);
            Line::from(spans)
        }
        None => Line::from(styled("Started: phase 1 is next.", theme.dim)),
    }
}

/// The result and the RTO; the RPO has its own line.
fn score_line<'a>(score: &Score, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        styled(
            format!("DRILL {} ", score.result()),
            if score.passed { theme.ok } else { theme.over },
        ),
        styled(
            format!(
                "· RTO {} / {} ",
                Clock(score.rto()),
                Clock(Duration::from_secs(score.rto_target_s))
            ),
            theme.base,
        ),
        pass(score.rto_ok(), theme),
    ])
}

/// Human action time, machine time, and the previous drill's human time beside them.
fn human_line<'a>(state: &State, d: &DrillRun, col: &ClockColumn, theme: &Theme) -> Line<'a> {
    let now = state.now;
    let human = d.clock.human_time(now);
    let mut spans = col.spans("Human action", Clock(human).to_string(), theme);
    spans.push(styled(
        format!(" · machine {}", Clock(d.clock.machine_time(now))),
        theme.dim,
    ));
    let previous = match &d.finished {
        Some((_, s)) => s.previous_human_s.map(Duration::from_secs),
        None => state
            .drill_setup
            .as_ref()
            .and_then(|s| s.previous.as_ref())
            .map(|p| p.human),
    };
    if let Some(p) = previous {
        let delta = if human <= p {
            format!("{} less", Clock(p - human))
        } else {
            format!("{} more", Clock(human - p))
        };
        let text = if d.finished.is_some() {
            format!(" · previous drill {} ({delta})", Clock(p))
        } else {
            format!(" · previous drill {}", Clock(p))
        };
        spans.push(styled(text, theme.dim));
    }
    Line::from(spans)
}

/// What the running phase leaves to people: the console does not do it, and the step
/// waits on a human until they say it is done.
fn by_hand_line<'a>(state: &State, d: &DrillRun, theme: &Theme) -> Option<Line<'a>> {
    let items = d.phase_by_hand();
    if items.is_empty() {
        return None;
    }
    let what: Vec<String> = items
        .iter()
        .map(|h| escape(h.trim()).into_owned())
        .collect();
    let mut spans = vec![
        styled("BY HAND ", theme.warn),
        styled(what.join(" · "), theme.base),
    ];
    if d.run.is_some()
        && let Some(k) = state.keymap.hint(Action::Select)
    {
        spans.push(styled(format!(" · {k} when done"), theme.dim));
    }
    Some(Line::from(spans))
}

/// The running phase's commands: which have run and which the run key starts next.
fn commands_line<'a>(state: &State, d: &DrillRun, theme: &Theme) -> Option<Line<'a>> {
    let cmds = d.phase_commands();
    if cmds.is_empty() {
        return None;
    }
    let next = cmds.iter().position(|(_, ran)| !ran);
    let mut spans = vec![styled("Commands ", theme.dim)];
    for (j, (name, ran)) in cmds.iter().enumerate() {
        if j > 0 {
            spans.push(styled(" · ", theme.dim));
        }
        spans.push(styled(escape(name).into_owned(), theme.base));
        if *ran {
            spans.push(styled(" done", theme.ok));
        } else if Some(j) == next {
            spans.push(styled(" next", theme.key));
        }
    }
    // The demo's scripted drill runs nothing on x.
    if next.is_some()
        && d.run.is_some()
        && let Some(k) = state.keymap.hint(Action::Run)
    {
        spans.push(styled(format!(" · {k} runs the next"), theme.dim));
    }
    Some(Line::from(spans))
}

/// The guards of the phase to start next, once someone has begun answering them.
fn guards_line<'a>(d: &DrillRun, theme: &Theme) -> Option<Line<'a>> {
    let i = d.next_phase()?;
    let n = i + 1;
    match d.guards(i) {
        Guards::None => None,
        Guards::Open { answered: 0, total } => Some(Line::from(styled(
            format!("Phase {n} has {total} do-not-proceed guards to answer first."),
            theme.dim,
        ))),
        Guards::Open { answered, total } => Some(Line::from(styled(
            format!("Guards for phase {n}: {answered}/{total} answered, none says stop"),
            theme.dim,
        ))),
        Guards::Clear => Some(Line::from(styled(
            format!("Guards for phase {n}: all clear, proceed"),
            theme.ok,
        ))),
        Guards::Blocked(g) => {
            let ask = d.spec.phases[i].guards[g].ask.clone();
            let answer = d.spec.phases[i].guards[g].stop_if.word();
            Some(Line::from(vec![
                styled(format!("PHASE {n} BLOCKED: do not proceed"), theme.over),
                styled(format!(" (\"{ask}\" answered {answer})"), theme.warn),
            ]))
        }
    }
}

fn rpo_line<'a>(state: &State, d: &DrillRun, theme: &Theme) -> Line<'a> {
    let m = &d.spec.measure_rpo;
    let how = if m.query.is_some() {
        "query"
    } else {
        "facilitator"
    };
    if let Some(r) = &d.rpo {
        let ok = r.value <= d.clock.rpo_target;
        let mut spans = vec![
            styled("RPO ", theme.dim),
            styled(Clock(r.value).to_string(), theme.header),
            styled(format!(" / {} ", Clock(d.clock.rpo_target)), theme.dim),
            pass(ok, theme),
            styled(format!(" ({}, {})", r.source, m.at), theme.dim),
        ];
        if let Some(note) = &r.note {
            spans.push(styled(format!(" · {note}"), theme.dim));
        }
        return Line::from(spans);
    }
    let target = Clock(d.clock.rpo_target);
    let text = if !d.rpo_pending() {
        format!("RPO target {target} · {how} at {}", m.at)
    } else if state.drill_busy.rpo_query {
        format!("RPO target {target} · measuring ({how} at {})…", m.at)
    } else if let Some(e) = &state.drill_busy.rpo_failed {
        format!("RPO target {target} · the query failed ({e}); waiting for the facilitator")
    } else {
        format!(
            "RPO target {target} · due ({how} at {}); waiting for a value",
            m.at
        )
    };
    Line::from(styled(escape(&text).into_owned(), theme.dim))
}

fn phase_lines<'a>(
    d: &DrillRun,
    now: chrono::DateTime<chrono::Utc>,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let c = &d.clock;
    let name_w = c
        .phases
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    let mut lines = Vec::new();
    for (i, p) in c.phases.iter().enumerate() {
        let (mark, el) = match (p.started_at, p.ended_at) {
            (Some(_), Some(_)) => ("✓", c.phase_elapsed(i, now)),
            (Some(_), None) => ("▶", c.phase_elapsed(i, now)),
            _ => ("·", None),
        };
        // The running phase's seconds are on the PHASE line above; here its minutes.
        let shown = |el: Duration| match mark {
            "▶" => Age(el).to_string(),
            _ => Clock(el).to_string(),
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
                    format!("{:>5}/{} ", shown(el), Clock(p.target)),
                    theme.base,
                ));
                spans.push(styled(pace.label(), pace_style(theme, pace)));
            }
            None => spans.push(styled(format!("{:>5}/{}", "—", Clock(p.target)), theme.dim)),
        }
        lines.push(Line::from(spans));
    }
    lines
}

pub fn summary<'a>(state: &'a State, theme: &Theme) -> Vec<Span<'a>> {
    let Some(d) = &state.drill else {
        return match &state.drill_setup {
            Some(s) => vec![styled(format!("{} · not started", s.spec.name), theme.dim)],
            None => vec![styled("no drill running", theme.dim)],
        };
    };
    let now = state.now;
    let c = &d.clock;
    let mut spans = vec![styled(
        format!("T+ {} ", Clock(c.elapsed(now))),
        theme.header,
    )];
    if let Some((_, score)) = &d.finished {
        spans.push(styled(
            format!("DRILL {}", score.result()),
            if score.passed { theme.ok } else { theme.over },
        ));
        return spans;
    }
    if d.abandoned.is_some() {
        spans.push(styled("DRILL ABANDONED", theme.over));
        return spans;
    }
    if c.ended_at.is_some() {
        spans.push(styled("service restored", theme.ok));
        return spans;
    }
    if let Some(i) = c.current_phase() {
        let p = &c.phases[i];
        let el = c.phase_elapsed(i, now).unwrap_or_default();
        let pace = Pace::of(el, p.target);
        spans.push(styled(
            format!("· {} {}/{} ", p.name, Clock(el), Clock(p.target)),
            theme.dim,
        ));
        spans.push(styled(pace.label(), pace_style(theme, pace)));
    }
    match c.rto_left(now) {
        Ok(left) => spans.push(styled(format!(" · RTO left {}", budget(left)), theme.dim)),
        Err(over) => spans.push(styled(
            format!(" · RTO BLOWN by {}", Clock(over)),
            theme.over,
        )),
    }
    if d.waiting_on.is_some() {
        spans.push(styled(
            format!(" · human {}", Clock(c.human_time(now))),
            theme.warn,
        ));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_counts_minutes_until_its_last_five() {
        assert_eq!(budget(Duration::from_secs(26 * 60 + 55)), "26m");
        assert_eq!(budget(Duration::from_secs(5 * 60)), "5m");
        assert_eq!(budget(Duration::from_secs(5 * 60 - 1)), "04:59");
        assert_eq!(budget(Duration::from_secs(7)), "00:07");
    }

    #[test]
    fn the_clock_column_right_aligns_every_figure_to_the_widest() {
        let theme = Theme::default();
        let col = ClockColumn::new(&["1:02:03", "04:05", ""]);
        let text = |spans: Vec<Span>| {
            spans
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        assert_eq!(
            text(col.spans("T+", "1:02:03".into(), &theme)),
            "T+           1:02:03"
        );
        assert_eq!(
            text(col.spans("PHASE 2/4", "04:05".into(), &theme)),
            "PHASE 2/4      04:05"
        );
    }
}
