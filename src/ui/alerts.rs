//! The alert feed pane: severity, name, tenant, region, age, ack, and the selected alert's
//! summary and runbook.

use super::canvas::Canvas;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::widgets::styled;
use crate::sources::alertmanager as am;
use crate::sources::timing::Age;
use crate::state::alerts::sla::{self, Sla};
use crate::state::drill::since;
use crate::state::{Alert, AlertState, Mode, Overlay, Severity, State};
use crate::theme::Theme;

pub fn severity_style(theme: &Theme, s: Severity) -> Style {
    match s {
        Severity::P0 => theme.p0,
        Severity::P1 => theme.p1,
        Severity::P2 => theme.p2,
    }
}

/// The stale banner of a source, when its data is old or it is failing.
pub fn stale_line<'a>(state: &State, source: &str, theme: &Theme) -> Option<Line<'a>> {
    let s = state.sources.iter().find(|s| s.name == source)?;
    s.stale_banner(state.now)
        .map(|t| Line::from(styled(format!("⚠ {t}"), theme.stale)))
}

/// The SLA cell: what is due next, or what is late.
pub fn sla_text(a: &Alert, state: &State) -> (String, bool) {
    let ack = state.alerts.acks.get(&a.fingerprint);
    match sla::status(a, ack, state.now) {
        Sla::Quiet => (String::new(), false),
        Sla::AckDue(d) => (format!("ack in {}", Age(d)), false),
        Sla::AckLate(d) => (format!("ACK LATE {}", Age(d)), true),
        Sla::Escalate(_) => ("ESCALATE 2nd".into(), true),
        Sla::MitigateDue(Some(d)) => (format!("fix in {}", Age(d)), false),
        Sla::MitigateDue(None) => (String::new(), false),
        Sla::MitigateLate(d) => (format!("FIX LATE {}", Age(d)), true),
    }
}

pub fn draw<'a>(
    frame: &mut Canvas<'a>,
    area: Rect,
    state: &'a State,
    theme: &'a Theme,
    focused: bool,
) {
    let banner = super::incident::banner(state, theme);
    let [banner_area, area] =
        Layout::vertical([Constraint::Length(banner.len() as u16), Constraint::Fill(1)])
            .areas(area);
    frame.render_widget(Paragraph::new(banner), banner_area);
    let feed = &state.alerts;
    let banner = stale_line(state, am::SOURCE, theme);
    let filter_line = if !feed.filter.is_empty() || matches!(state.overlay, Some(Overlay::Filter)) {
        let typing = matches!(state.overlay, Some(Overlay::Filter));
        let mut spans = vec![
            styled("/", theme.key),
            styled(feed.filter.clone(), theme.base),
        ];
        if typing {
            spans.push(styled("▏", theme.key));
            spans.push(styled("  enter keeps · esc clears", theme.dim));
        } else {
            spans.push(styled(
                format!(
                    "  {} of {} shown · esc clears",
                    feed.visible().len(),
                    feed.alerts.len()
                ),
                theme.dim,
            ));
        }
        Some(Line::from(spans))
    } else {
        feed.group_by
            .as_ref()
            .map(|g| Line::from(styled(format!("grouped by {g}"), theme.dim)))
    };
    let top_h = banner.is_some() as u16 + filter_line.is_some() as u16;
    let [top_area, area] =
        Layout::vertical([Constraint::Length(top_h), Constraint::Fill(1)]).areas(area);
    let mut top = Vec::new();
    top.extend(banner);
    top.extend(filter_line);
    if top_h > 0 {
        frame.render_widget(Paragraph::new(top), top_area);
    }

    let visible = feed.visible();
    if visible.is_empty() {
        let text = match (state.mode, state.sources.is_empty()) {
            (Mode::Live, true) => {
                "No alert source is configured: set `alertmanager: { urls: [...] }` in the config file (docs/config.md), or try `warroom --demo`."
            }
            _ if !feed.alerts.is_empty() => "No alert matches the filter.",
            (Mode::Live, false)
                if state
                    .sources
                    .iter()
                    .any(|s| s.name == am::SOURCE && s.last_ok.is_none()) =>
            {
                "Waiting for Alertmanager…"
            }
            _ => "No alerts firing.",
        };
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.dim)
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    // The selected alert's details under the table, as much as the height allows.
    let detail_h = match area.height {
        0..8 => 0,
        8..14 => 2,
        _ => 4,
    };
    let [table_area, detail_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(detail_h)]).areas(area);

    let wide = area.width >= 60;
    // The SLA column needs room; narrower, the detail lines and the ACK cell carry it.
    let sla_col = area.width >= 90;
    let group = feed.group_by.as_deref();
    let mut head: Vec<String> = vec!["SEV".into(), "ALERT".into()];
    if let Some(g) = group {
        head.push(g.to_uppercase());
    }
    if wide {
        head.extend(["TENANT".into(), "REGION".into()]);
    }
    head.extend(["AGE".into(), "ACK".into()]);
    if sla_col {
        head.push("SLA".into());
    }
    let header = Row::new(head).style(theme.header);
    // Only the rows that fit are built: with thousands of alerts, formatting every row's
    // age and SLA each frame would dominate the frame. The window is where ratatui's own
    // scrolling would put it (selection on the last row once past the first screen).
    let selected = feed.selected_index();
    let body_h = table_area.height.saturating_sub(1).max(1) as usize;
    let first = selected.map_or(0, |i| i.saturating_sub(body_h - 1));
    let rows = visible
        .iter()
        .skip(first)
        .take(body_h)
        .map(|a| row(a, state, theme, wide, sla_col, group));
    let mut widths = vec![Constraint::Length(3), Constraint::Fill(1)];
    if group.is_some() {
        widths.push(Constraint::Length(12));
    }
    if wide {
        widths.extend([Constraint::Length(10), Constraint::Length(8)]);
    }
    widths.extend([Constraint::Length(6), Constraint::Length(11)]);
    if sla_col {
        widths.push(Constraint::Length(15));
    }
    let table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(if focused {
            theme.selected
        } else {
            Style::new()
        })
        .highlight_symbol(if focused { "›" } else { " " });
    let mut ts = TableState::default().with_selected(selected.map(|i| i - first));
    frame.render_stateful_widget(table, table_area, &mut ts);

    if let Some(a) = feed.selected_alert().filter(|_| detail_h > 0) {
        let summary = a.annotations.get("summary").unwrap_or("");
        let runbook = match state.runbook_for(a) {
            Ok(i) => vec![
                styled("runbook ", theme.dim),
                styled(state.runbooks[i].id.clone(), theme.key),
                styled("  enter opens it", theme.dim),
            ],
            Err(_) => vec![styled(
                match &a.runbook {
                    Some(id) => format!("no runbook loaded: {id}.md would answer it"),
                    None => "no runbook answers this alert".to_string(),
                },
                theme.warn,
            )],
        };
        let mut text = vec![Line::from(styled(summary.to_string(), theme.base))];
        if detail_h > 2 {
            let mut labels = vec![styled("labels ", theme.dim)];
            for (k, v) in &a.labels {
                labels.push(styled(format!("{k}="), theme.dim));
                labels.push(styled(format!("{v} "), theme.base));
            }
            text.push(Line::from(labels));
        }
        let (due, late) = sla_text(a, state);
        let mut last = Vec::new();
        if !sla_col && !due.is_empty() {
            last.push(styled(
                format!("{due} · "),
                if late { theme.over } else { theme.dim },
            ));
        }
        last.extend(runbook);
        text.push(Line::from(last));
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), detail_area);
    }
}

fn row<'a>(
    a: &'a Alert,
    state: &State,
    theme: &Theme,
    wide: bool,
    sla_col: bool,
    group: Option<&str>,
) -> Row<'a> {
    let age = Age(since(a.starts_at, state.now)).to_string();
    let ack = match (a.state, state.alerts.acks.get(&a.fingerprint)) {
        (AlertState::Silenced, _) => Cell::from("silenced").style(theme.dim),
        (AlertState::Inhibited, _) => Cell::from("inhibited").style(theme.dim),
        (_, Some(ack)) => Cell::from(format!("✓ {}", ack.by)).style(theme.acked),
        (_, None) => match sla::status(a, None, state.now) {
            Sla::Escalate(_) if !sla_col => Cell::from("ESCALATE").style(theme.over),
            Sla::AckLate(_) if !sla_col => Cell::from("ACK LATE").style(theme.over),
            _ => Cell::from("UNACKED").style(theme.warn),
        },
    };
    let sev = Cell::from(a.severity.tag()).style(severity_style(theme, a.severity));
    let mut cells = vec![sev, Cell::from(&*a.name)];
    if let Some(g) = group {
        cells.push(Cell::from(a.group_value(g)).style(theme.dim));
    }
    if wide {
        cells.push(Cell::from(a.label("tenant")));
        cells.push(Cell::from(a.label("region")));
    }
    cells.push(Cell::from(age).style(theme.dim));
    cells.push(ack);
    if sla_col {
        let (text, late) = sla_text(a, state);
        cells.push(Cell::from(text).style(if late { theme.over } else { theme.dim }));
    }
    Row::new(cells)
}

pub fn summary<'a>(state: &'a State, theme: &Theme) -> Vec<Span<'a>> {
    let feed = &state.alerts;
    let mut spans = state
        .incident
        .as_ref()
        .map(|i| super::incident::short(i, state, theme))
        .unwrap_or_default();
    if feed.alerts.is_empty() {
        spans.push(styled("no alerts firing", theme.dim));
        return spans;
    }
    let n = feed.count_by_severity();
    spans.push(styled(format!("{} firing ", feed.alerts.len()), theme.base));
    for (i, sev) in [Severity::P0, Severity::P1, Severity::P2]
        .into_iter()
        .enumerate()
    {
        if n[i] > 0 {
            spans.push(styled(
                format!("{}×{}", n[i], sev.tag()),
                severity_style(theme, sev),
            ));
            spans.push(Span::raw(" "));
        }
    }
    let unacked = feed.unacked();
    if unacked > 0 {
        spans.push(styled(format!("· {unacked} unacked "), theme.warn));
    }
    if let Some(top) = feed.alerts.first() {
        spans.push(styled(
            format!("· {} {}", top.name, Age(since(top.starts_at, state.now))),
            theme.dim,
        ));
    }
    spans
}
