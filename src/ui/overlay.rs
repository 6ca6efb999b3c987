//! What sits on top of the panes: the help (generated from the keymap), prompts and the
//! runbook picker.

use super::canvas::Canvas;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::layout::centered;
use super::widgets::styled;
use crate::sanitize::escape;
use crate::state::drill_flow::{Ask, DrillAsk, GuardsForm};
use crate::state::mitigation::Prompt;
use crate::state::{LineInput, Picker, SilenceField, SilenceForm, State, picker};
use crate::theme::Theme;

/// The key help, generated from the keymap in force; scrolls with the up/down keys when
/// the terminal is shorter than the list.
pub fn help<'a>(
    frame: &mut Canvas<'a>,
    area: Rect,
    scroll: usize,
    state: &'a State,
    theme: &'a Theme,
) {
    let rows = state.keymap.help_rows();
    let key_w = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = rows
        .iter()
        .map(|(k, d)| {
            Line::from(vec![
                styled(format!(" {k:<key_w$}  "), theme.key),
                styled(*d, theme.overlay),
            ])
        })
        .collect();
    lines.push(Line::default());
    lines.push(Line::from(styled(
        " Keys can be changed in the config file (docs/config.md).",
        theme.dim,
    )));
    let width = lines.iter().map(Line::width).max().unwrap_or(0) as u16 + 4;
    let r = centered(area, width, lines.len() as u16 + 2);
    let visible = r.height.saturating_sub(2) as usize;
    let overflow = lines.len().saturating_sub(visible);
    let scroll = scroll.min(overflow);
    let title = if overflow > 0 {
        format!(
            " Help: keys ({}-{} of {}; j/k scroll; ? or esc closes) ",
            scroll + 1,
            scroll + visible,
            lines.len()
        )
    } else {
        " Help: keys (? or esc closes) ".to_string()
    };
    let block = focused_block(title, theme);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll as u16, 0)),
        r,
    );
}

/// A yes/no prompt. The keys are spelled out; the default is always No.
pub fn confirm<'a>(
    frame: &mut Canvas<'a>,
    area: Rect,
    title: &'a str,
    detail: &'a str,
    theme: &'a Theme,
) {
    let lines = vec![
        Line::from(styled(escape(detail).into_owned(), theme.overlay)),
        Line::default(),
        Line::from(vec![
            styled(" y ", theme.key),
            styled("yes    ", theme.overlay),
            styled(" n / esc ", theme.key),
            styled("no (default)", theme.overlay),
        ]),
    ];
    let r = centered(area, 60, 7);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.warn)
        .title(styled(format!(" {title} "), theme.warn))
        .style(theme.overlay);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        r,
    );
}

/// The line being typed, with its cursor, scrolled so the cursor stays in view.
fn typed_line<'a>(input: &LineInput, inner_w: usize, theme: &Theme) -> Line<'a> {
    // Keep the cursor in view on long input: show the tail that ends at the cursor.
    let chars: Vec<char> = input.text.chars().collect();
    let start = input.cursor.saturating_sub(inner_w.saturating_sub(3));
    let before: String = chars[start..input.cursor.min(chars.len())].iter().collect();
    let after: String = chars[input.cursor.min(chars.len())..].iter().collect();
    Line::from(vec![
        styled("> ", theme.key),
        styled(escape(&before).into_owned(), theme.overlay),
        styled("▏", theme.key),
        styled(escape(&after).into_owned(), theme.overlay),
    ])
}

/// The scribe's note input, with the action-item syntax shown and any error under it.
pub fn note<'a>(frame: &mut Canvas<'a>, area: Rect, input: &'a LineInput, theme: &'a Theme) {
    let r = centered(area, area.width.saturating_sub(4).min(100), 7);
    let inner_w = r.width.saturating_sub(2) as usize;
    let mut lines = vec![typed_line(input, inner_w, theme)];
    lines.push(match &input.error {
        Some(e) => Line::from(styled(e.clone(), theme.error)),
        None => Line::default(),
    });
    lines.push(Line::from(styled(
        "action: TEXT @owner due:YYYY-MM-DD ticket:ID · role: scribe @name · severity: P0",
        theme.dim,
    )));
    lines.push(Line::from(vec![
        styled(" enter ", theme.key),
        styled("save   ", theme.overlay),
        styled(" esc ", theme.key),
        styled("cancel", theme.overlay),
    ]));
    input_box(frame, r, " Note for the incident journal ", lines, theme);
}

/// A drill phase's do-not-proceed guards: the answers so far, the question now, y or n.
pub fn guards<'a>(
    frame: &mut Canvas<'a>,
    area: Rect,
    state: &'a State,
    form: &'a GuardsForm,
    theme: &'a Theme,
) {
    let Some(run) = &state.drill else {
        return;
    };
    let Some(phase) = run.spec.phases.get(form.phase) else {
        return;
    };
    let mut lines = vec![
        Line::from(styled(
            " Answer each. One answer that says stop blocks the phase: failing over and back costs more than riding out a short outage.",
            theme.overlay,
        )),
        Line::default(),
    ];
    for (j, g) in phase.guards.iter().enumerate() {
        let (mark, tail, style) = if j < form.next {
            let answer = run
                .proceed_answer(form.phase, j)
                .map_or("", crate::drill::Answer::word);
            ("✓", format!("  {answer}: proceed"), theme.dim)
        } else if j == form.next {
            ("▶", String::new(), theme.key)
        } else {
            (" ", String::new(), theme.overlay)
        };
        lines.push(Line::from(vec![
            styled(format!(" {mark} {} {}", j + 1, escape(&g.ask)), style),
            styled(tail, theme.ok),
        ]));
    }
    lines.push(Line::default());
    lines.push(Line::from(vec![
        styled(" y ", theme.key),
        styled("yes    ", theme.overlay),
        styled(" n ", theme.key),
        styled("no    ", theme.overlay),
        styled(" esc ", theme.key),
        styled("not now (the phase does not start)", theme.overlay),
    ]));
    let width = area.width.saturating_sub(4).min(90);
    boxed(
        frame,
        area,
        format!(" Before phase {}: {} ", form.phase + 1, escape(&phase.name)),
        lines,
        0,
        theme,
        width,
    );
}

/// The drill's typed questions: the RPO (when the facilitator measures it) and what was
/// different this time (required).
pub fn drill_input<'a>(
    frame: &mut Canvas<'a>,
    area: Rect,
    state: &'a State,
    ask: &'a DrillAsk,
    theme: &'a Theme,
) {
    let r = centered(area, area.width.saturating_sub(4).min(100), 9);
    let inner_w = r.width.saturating_sub(2) as usize;
    let run = state.drill.as_ref();
    let (title, mut lines) = match ask.ask {
        Ask::Rpo => {
            let m = run.map(|r| &r.spec.measure_rpo);
            let question = m.and_then(|m| m.prompt.clone()).unwrap_or_else(|| {
                "How much data was lost (the replication lag at promotion)?".into()
            });
            let mut lines = vec![Line::from(styled(
                escape(&question).into_owned(),
                theme.overlay,
            ))];
            if let Some(e) = &state.drill_busy.rpo_failed {
                lines.push(Line::from(styled(
                    format!("The RPO query failed: {}", escape(e)),
                    theme.warn,
                )));
            }
            lines.push(Line::from(styled(
                format!(
                    "Measured at {}. Write a duration: 42s, 1m 30s, 0.5s.",
                    m.map_or("the drill's moment".to_string(), |m| m.at.to_string())
                ),
                theme.dim,
            )));
            (" RPO: data lost ", lines)
        }
        Ask::Different => {
            let mut lines = vec![Line::from(styled(
                "Required. Each drill should be harder than the last: fewer responders, business hours, a longer outage, one tool unavailable.",
                theme.overlay,
            ))];
            if let Some(p) = state.drill_setup.as_ref().and_then(|s| s.previous.as_ref()) {
                lines.push(Line::from(styled(
                    format!("Last time: {}", escape(&p.different)),
                    theme.dim,
                )));
            }
            (" What was different this time? ", lines)
        }
        Ask::AbandonDrill => (
            " Abandon the drill: why? ",
            vec![
                Line::from(styled(
                    "Required. The clock stops and the run is logged as ABANDONED, never as a pass.",
                    theme.overlay,
                )),
                Line::from(styled("A confirmation follows (default No).", theme.dim)),
            ],
        ),
        Ask::AbandonGameday => (
            " Abandon the game-day: why? ",
            vec![
                Line::from(styled(
                    "Required. The kill switch deletes every experiment first; the game-day then ends without a verdict.",
                    theme.overlay,
                )),
                Line::from(styled("A confirmation follows (default No).", theme.dim)),
            ],
        ),
    };
    lines.push(typed_line(&ask.input, inner_w, theme));
    lines.push(match &ask.input.error {
        Some(e) => Line::from(styled(e.clone(), theme.error)),
        None => Line::default(),
    });
    lines.push(Line::from(vec![
        styled(" enter ", theme.key),
        styled("save   ", theme.overlay),
        styled(" esc ", theme.key),
        styled("later", theme.overlay),
    ]));
    let block = focused_block(title.to_string(), theme);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        r,
    );
}

/// The runbook picker: the query, then the matches best first, the highlighted one marked.
pub fn picker<'a>(
    frame: &mut Canvas<'a>,
    area: Rect,
    state: &'a State,
    picker: &'a Picker,
    theme: &'a Theme,
) {
    let found = picker::matches(&state.runbooks, &picker.query);
    let width = area.width.saturating_sub(4).min(76);
    let height = area
        .height
        .saturating_sub(2)
        .min(found.len() as u16 + 5)
        .max(5);
    let r = centered(area, width, height);
    let mut lines = vec![
        Line::from(vec![
            styled(" / ", theme.key),
            styled(escape(&picker.query).into_owned(), theme.overlay),
            styled("▏", theme.overlay),
        ]),
        Line::default(),
    ];
    if found.is_empty() {
        lines.push(Line::from(styled(" no runbook matches", theme.dim)));
    }
    // Keep the highlighted match in view.
    let room = height.saturating_sub(5) as usize;
    let skip = picker.selected.saturating_sub(room.saturating_sub(1));
    for (n, &i) in found.iter().enumerate().skip(skip).take(room.max(1)) {
        let rb = &state.runbooks[i];
        let mark = if n == picker.selected { "›" } else { " " };
        let style = if n == picker.selected {
            theme.selected
        } else {
            theme.overlay
        };
        lines.push(Line::from(vec![
            styled(format!("{mark} {} ", escape(&rb.id)), style),
            styled(
                format!(
                    "{} · {}",
                    escape(&rb.title),
                    escape(&rb.meta.alerts.join(", "))
                ),
                theme.dim,
            ),
        ]));
    }
    input_box(
        frame,
        r,
        " Find a runbook (enter opens, esc closes) ",
        lines,
        theme,
    );
}

fn boxed<'a>(
    frame: &mut Canvas<'a>,
    area: Rect,
    title: String,
    lines: Vec<Line<'a>>,
    scroll: u16,
    theme: &Theme,
    width: u16,
) {
    let w = width.min(area.width);
    // Rows as wrapped, so a long line does not push the last ones (the keys) out.
    let inner = w.saturating_sub(2).max(1) as usize;
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let h = (rows + 2).min(area.height as usize) as u16;
    let r = centered(area, w, h);
    let block = focused_block(title, theme);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        r,
    );
}

/// Every label and annotation of an alert (already sanitized where it entered), plus its
/// state, silences and response clock.
pub fn alert_detail<'a>(
    frame: &mut Canvas<'a>,
    area: Rect,
    state: &'a State,
    fingerprint: &'a str,
    scroll: u16,
    theme: &'a Theme,
) {
    let Some(a) = state
        .alerts
        .alerts
        .iter()
        .find(|a| a.fingerprint == fingerprint)
    else {
        boxed(
            frame,
            area,
            " Alert ".into(),
            vec![Line::from(styled("This alert has resolved.", theme.dim))],
            0,
            theme,
            40,
        );
        return;
    };
    let kv = |k: &str, v: String| {
        Line::from(vec![
            styled(format!(" {k:<14} "), theme.dim),
            styled(v, theme.overlay),
        ])
    };
    let mut lines = vec![
        kv("severity", a.severity.tag().to_string()),
        kv("state", format!("{:?}", a.state).to_lowercase()),
        kv(
            "since",
            format!(
                "{} ({} ago)",
                a.starts_at.format("%Y-%m-%d %H:%M:%S UTC"),
                crate::sources::timing::Age(crate::state::drill::since(a.starts_at, state.now))
            ),
        ),
        kv("fingerprint", a.fingerprint.clone()),
    ];
    match state.alerts.acks.get(&a.fingerprint) {
        Some(ack) => lines.push(kv(
            "ack",
            format!("{} since {}", ack.by, ack.at.format("%H:%M:%S")),
        )),
        None => lines.push(kv("ack", "nobody yet".into())),
    }
    let (sla, _) = super::alerts::sla_text(a, state);
    if !sla.is_empty() {
        lines.push(kv("response", sla));
    }
    if !a.silenced_by.is_empty() {
        lines.push(kv("silenced by", a.silenced_by.join(", ")));
    }
    if !a.inhibited_by.is_empty() {
        lines.push(kv("inhibited by", a.inhibited_by.join(", ")));
    }
    if let Some(g) = &a.group {
        lines.push(kv("group", g.to_string()));
    }
    if !a.seen_by.is_empty() {
        lines.push(kv("seen by", a.seen_by.join(", ")));
    }
    if let Some(u) = &a.generator_url {
        lines.push(kv("source", u.to_string()));
    }
    lines.push(Line::from(styled(" labels", theme.header)));
    for (k, v) in &a.labels {
        lines.push(kv(k, v.to_string()));
    }
    lines.push(Line::from(styled(" annotations", theme.header)));
    for (k, v) in &a.annotations {
        lines.push(kv(k, v.to_string()));
    }
    let width = area.width.saturating_sub(4).min(100);
    boxed(
        frame,
        area,
        format!(" {} (esc closes, ↑↓ scroll) ", a.name),
        lines,
        scroll,
        theme,
        width,
    );
}

/// The numbers behind the selected SLO's sparkline, newest first.
pub fn slo_detail<'a>(
    frame: &mut Canvas<'a>,
    area: Rect,
    state: &'a State,
    scroll: u16,
    theme: &'a Theme,
) {
    let Some(s) = state.slos.get(state.slo_selected) else {
        return;
    };
    let pct = super::widgets::percent;
    let mut lines = vec![
        Line::from(vec![
            styled(" objective ", theme.dim),
            styled(super::widgets::objective(s.objective), theme.overlay),
            styled(
                format!(" over {}", crate::sources::timing::Age(s.window)),
                theme.dim,
            ),
        ]),
        Line::from(vec![
            styled(" availability ", theme.dim),
            styled(format!("{:.4} %", s.availability() * 100.0), theme.overlay),
            styled("  budget left ", theme.dim),
            styled(pct(s.budget_remaining), theme.overlay),
            styled(format!("  [{}]", s.tier().label()), theme.overlay),
        ]),
        Line::from(vec![
            styled(" error ratio 5m ", theme.dim),
            styled(format!("{:.6}", s.error_ratio_now), theme.overlay),
            styled("  burn 1h ", theme.dim),
            styled(format!("{:.2}×", s.burn_1h), theme.overlay),
            styled("  6h ", theme.dim),
            styled(format!("{:.2}×", s.burn_6h), theme.overlay),
        ]),
        Line::from(styled(format!(" policy: {}", s.tier().advice()), theme.dim)),
    ];
    for w in &s.warnings {
        lines.push(Line::from(styled(format!(" warning: {w}"), theme.stale)));
    }
    lines.push(Line::from(styled(
        format!(
            " error ratio per {} step, newest first:",
            crate::sources::timing::Age(s.step)
        ),
        theme.header,
    )));
    let times = s.series_times();
    for (v, t) in s.series.iter().zip(times).rev() {
        let when = t.map_or_else(
            || "        ".to_string(),
            |t| t.format("%H:%M:%S").to_string(),
        );
        lines.push(Line::from(vec![
            styled(format!(" {when}  "), theme.dim),
            styled(format!("{v:.6}"), theme.overlay),
            styled(
                format!("  burn {:.2}×", crate::slo::burn_rate(*v, s.objective)),
                theme.dim,
            ),
        ]));
    }
    let h = area.height.saturating_sub(2);
    let lines: Vec<Line> = lines
        .into_iter()
        .take(h.max(3) as usize + scroll as usize)
        .collect();
    boxed(
        frame,
        area,
        format!(" SLO {} (esc closes, ↑↓ scroll) ", s.name),
        lines,
        scroll,
        theme,
        64,
    );
}

pub fn silence<'a>(frame: &mut Canvas<'a>, area: Rect, form: &'a SilenceForm, theme: &'a Theme) {
    let field = |label: &str, value: &str, active: bool| {
        Line::from(vec![
            styled(format!(" {label:<9}"), theme.dim),
            styled(
                format!("{value}{}", if active { "▏" } else { "" }),
                if active { theme.key } else { theme.overlay },
            ),
        ])
    };
    let editing = !form.confirming;
    let mut lines = vec![
        Line::from(styled(
            format!(" Silence {} in Alertmanager", form.alert),
            theme.overlay,
        )),
        Line::from(styled(
            format!(" matching its {} labels exactly", form.labels.len()),
            theme.dim,
        )),
        Line::default(),
        field(
            "duration",
            &form.duration,
            editing && form.field == SilenceField::Duration,
        ),
        field(
            "comment",
            &form.comment,
            editing && form.field == SilenceField::Comment,
        ),
        Line::default(),
    ];
    if let Some(e) = &form.error {
        lines.push(Line::from(styled(format!(" {e}"), theme.error)));
    }
    if form.confirming {
        lines.push(Line::from(vec![
            styled(
                format!(" Create this silence for {}? ", form.duration),
                theme.warn,
            ),
            styled(" y ", theme.key),
            styled("yes  ", theme.overlay),
            styled(" n / enter / esc ", theme.key),
            styled("no (default)", theme.overlay),
        ]));
    } else {
        lines.push(Line::from(vec![
            styled(" tab ", theme.key),
            styled("next field  ", theme.overlay),
            styled(" enter ", theme.key),
            styled("review  ", theme.overlay),
            styled(" esc ", theme.key),
            styled("cancel", theme.overlay),
        ]));
    }
    boxed(frame, area, " Silence? ".into(), lines, 0, theme, 72);
}

/// The mitigation prompt: the plan and checks as gated (escaped), then the answer keys.
/// A typed confirmation shows the input; otherwise only `y` runs it.
pub fn mitigation<'a>(frame: &mut Canvas<'a>, area: Rect, p: &'a Prompt, theme: &'a Theme) {
    let lines: Vec<Line> = p
        .gated
        .prompt_lines()
        .into_iter()
        .map(|l| Line::from(styled(escape(&l).into_owned(), theme.overlay)))
        .collect();
    // The answer line is drawn apart, pinned to the bottom: on a small terminal the plan is
    // what gets cut, never the place where the answer is typed.
    let answer = if p.gated.typed.is_some() {
        Line::from(vec![
            styled("> ", theme.key),
            styled(escape(&p.input.text).into_owned(), theme.overlay),
            styled("▏", theme.key),
        ])
    } else {
        Line::from(vec![
            styled(" y ", theme.key),
            styled("run    ", theme.overlay),
            styled(" n / esc ", theme.key),
            styled("no (default)", theme.overlay),
        ])
    };
    let chaos = matches!(
        p.gated.plan.target,
        crate::exec::plan::Target::Kube(crate::exec::plan::KubeAction::CreateCustom { .. })
    );
    let title = match (p.dry_run, chaos) {
        (true, _) => " Dry run: preview the plan ",
        (false, true) => " Start this chaos experiment? ",
        (false, false) => " Run this mitigation? ",
    };
    let width = area.width.saturating_sub(4).min(110);
    let inner_w = width.saturating_sub(2).max(1) as usize;
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(inner_w).max(1))
        .sum();
    let r = centered(area, width, (rows + 1 + 2).min(u16::MAX as usize) as u16);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.warn)
        .title(styled(title, theme.warn))
        .style(theme.overlay);
    let inner = block.inner(r);
    frame.render_widget(Clear, r);
    frame.render_widget(block, r);
    if inner.height == 0 {
        return;
    }
    let plan_area = Rect {
        height: inner.height - 1,
        ..inner
    };
    let answer_area = Rect {
        y: inner.y + inner.height - 1,
        height: 1,
        ..inner
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), plan_area);
    frame.render_widget(Paragraph::new(answer), answer_area);
}

/// The frame every text-input overlay shares: cleared, double border, focused colours.
fn input_box<'a>(
    frame: &mut Canvas<'a>,
    r: Rect,
    title: &'a str,
    lines: Vec<Line<'a>>,
    theme: &'a Theme,
) {
    let block = focused_block(title.to_string(), theme);
    frame.render_widget(Clear, r);
    frame.render_widget(Paragraph::new(lines).block(block), r);
}

/// The frame of overlays that take the keys: double border in the focused colours.
fn focused_block<'a>(title: impl Into<String>, theme: &Theme) -> Block<'a> {
    Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.border_focused)
        .title(styled(title.into(), theme.title_focused))
        .style(theme.overlay)
}
