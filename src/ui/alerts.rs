//! The alert feed pane: severity, name, tenant, region, age, ack, and the selected alert's
//! summary and runbook.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::widgets::styled;
use crate::sources::timing::Age;
use crate::state::drill::since;
use crate::state::{Alert, AlertState, Mode, Severity, State};
use crate::theme::Theme;

pub fn severity_style(theme: &Theme, s: Severity) -> Style {
    match s {
        Severity::P0 => theme.p0,
        Severity::P1 => theme.p1,
        Severity::P2 => theme.p2,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, focused: bool) {
    let banner = super::incident::banner(state, theme);
    let [banner_area, area] =
        Layout::vertical([Constraint::Length(banner.len() as u16), Constraint::Fill(1)])
            .areas(area);
    frame.render_widget(Paragraph::new(banner), banner_area);
    let feed = &state.alerts;
    if feed.alerts.is_empty() {
        let text = match (state.mode, state.sources.is_empty()) {
            (Mode::Live, true) => {
                "No alert source is configured yet. Try `warroom --demo` to see the console at work."
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
    let header = if wide {
        Row::new(["SEV", "ALERT", "TENANT", "REGION", "AGE", "ACK"])
    } else {
        Row::new(["SEV", "ALERT", "AGE", "ACK"])
    }
    .style(theme.header);
    let rows = feed.alerts.iter().map(|a| row(a, state, theme, wide));
    let widths: &[Constraint] = if wide {
        &[
            Constraint::Length(3),
            Constraint::Fill(1),
            Constraint::Length(10),
            Constraint::Length(8),
            Constraint::Length(6),
            Constraint::Length(11),
        ]
    } else {
        &[
            Constraint::Length(3),
            Constraint::Fill(1),
            Constraint::Length(6),
            Constraint::Length(11),
        ]
    };
    let table = Table::new(rows, widths.to_vec())
        .header(header)
        .row_highlight_style(if focused {
            theme.selected
        } else {
            Style::new()
        })
        .highlight_symbol(if focused { "›" } else { " " });
    let mut ts = TableState::default().with_selected(feed.selected_index());
    frame.render_stateful_widget(table, table_area, &mut ts);

    if let Some(a) = feed.selected_alert().filter(|_| detail_h > 0) {
        let summary = a
            .annotations
            .get("summary")
            .map(String::as_str)
            .unwrap_or("");
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
        text.push(Line::from(runbook));
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), detail_area);
    }
}

fn row<'a>(a: &'a Alert, state: &State, theme: &Theme, wide: bool) -> Row<'a> {
    let age = Age(since(a.starts_at, state.now)).to_string();
    let ack = match (a.state, state.alerts.acks.get(&a.fingerprint)) {
        (AlertState::Silenced, _) => Cell::from("silenced").style(theme.dim),
        (AlertState::Inhibited, _) => Cell::from("inhibited").style(theme.dim),
        (_, Some(ack)) => Cell::from(format!("✓ {}", ack.by)).style(theme.acked),
        (_, None) => Cell::from("UNACKED").style(theme.warn),
    };
    let sev = Cell::from(a.severity.tag()).style(severity_style(theme, a.severity));
    let mut cells = vec![sev, Cell::from(a.name.as_str())];
    if wide {
        cells.push(Cell::from(a.label("tenant")));
        cells.push(Cell::from(a.label("region")));
    }
    cells.push(Cell::from(age).style(theme.dim));
    cells.push(ack);
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
