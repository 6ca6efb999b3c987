//! The incident banner: id, severity, commander, and the on-call clocks against the
//! severity's response targets (time to ack, time to mitigate, postmortem due).

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::widgets::styled;
use crate::sanitize::escape;
use crate::sources::timing::Clock;
use crate::state::drill::since;
use crate::state::incident::targets;
use crate::state::{Incident, JournalStatus, State};
use crate::theme::Theme;

fn clock_vs(
    theme: &Theme,
    label: &str,
    took: std::time::Duration,
    target: Option<std::time::Duration>,
    done: bool,
) -> Vec<Span<'static>> {
    let mut spans = vec![styled(format!("{label} "), theme.dim)];
    let (style, mark): (Style, &str) = match target {
        Some(t) if took > t => (theme.over, if done { " LATE" } else { " OVER" }),
        Some(_) if done => (theme.ok, " ✓"),
        _ => (theme.base, ""),
    };
    spans.push(styled(Clock(took).to_string(), style));
    if let Some(t) = target {
        spans.push(styled(format!("/{}", Clock(t)), theme.dim));
    }
    spans.push(styled(mark.to_string(), style));
    spans
}

/// Three lines about the incident (what, who, clocks), a fourth when read-only; none
/// when there is no incident.
pub fn banner(state: &State, theme: &Theme) -> Vec<Line<'static>> {
    let Some(inc) = &state.incident else {
        return Vec::new();
    };
    let now = state.now;
    if inc.is_drill() {
        // A drill is scored on the Drill pane; the incident clocks would only mislead.
        let head = if inc.is_open() {
            "DRILL RUN "
        } else {
            "DRILL SCORED "
        };
        return vec![
            Line::from(vec![
                styled(head, theme.header),
                styled(escape(&inc.title).into_owned(), theme.base),
            ]),
            Line::from(styled(
                format!("facilitator {} · {}", escape(&inc.commander), inc.id),
                theme.dim,
            )),
        ];
    }
    let t = targets(inc.severity);
    let sev = super::alerts::severity_style(theme, inc.severity);
    let head = match (&inc.gameday, inc.is_open()) {
        // A game-day's journal: no pages, so no severity and no response clocks.
        (Some(name), open) => vec![
            styled(
                if open {
                    "GAME-DAY "
                } else {
                    "GAME-DAY FINISHED "
                },
                theme.header,
            ),
            styled(escape(name).into_owned(), theme.base),
        ],
        (None, open) => vec![
            styled(if open { "INCIDENT " } else { "RESOLVED " }, theme.header),
            styled(inc.severity.tag(), sev),
            styled(format!(" {}", escape(&inc.title)), theme.base),
        ],
    };
    let mut who = vec![styled(format!("IC {}", escape(&inc.commander)), theme.dim)];
    for (role, person) in &inc.roles {
        who.push(styled(format!(" · {role} {}", escape(person)), theme.dim));
    }
    let items = inc.notes.iter().filter(|n| n.action_item.is_some()).count();
    if !inc.notes.is_empty() {
        who.push(styled(
            format!(" · notes {} (actions {items})", inc.notes.len()),
            theme.base,
        ));
    }
    who.push(styled(format!(" · {}", escape(&inc.id)), theme.dim));
    let read_only = match &state.journal {
        JournalStatus::ReadOnly(why) => Some(Line::from(styled(
            format!("read-only: {}", escape(why)),
            theme.stale,
        ))),
        _ => None,
    };
    let mut clocks = vec![
        styled("T+ ", theme.dim),
        styled(
            Clock(since(inc.paged_at, inc.resolved_at.unwrap_or(now))).to_string(),
            theme.header,
        ),
        styled(" · ", theme.dim),
    ];
    if inc.gameday.is_some() {
        // Its alerts do not page: the clock runs from the start of the game-day.
        clocks[1] = styled(
            Clock(since(inc.opened_at, inc.resolved_at.unwrap_or(now))).to_string(),
            theme.header,
        );
        clocks.pop();
        let mut lines = vec![Line::from(head), Line::from(who), Line::from(clocks)];
        lines.extend(read_only);
        return lines;
    }
    clocks.extend(clock_vs(
        theme,
        "ack",
        inc.time_to_ack(now),
        t.ack,
        inc.first_ack_at.is_some(),
    ));
    if inc.first_ack_at.is_none() && since(inc.paged_at, now).as_secs() >= 15 * 60 && inc.is_open()
    {
        clocks.push(styled(" ESCALATE TO SECONDARY", theme.over));
    }
    clocks.push(styled(" · ", theme.dim));
    clocks.extend(clock_vs(
        theme,
        "mitigate",
        inc.time_to_mitigate(now),
        t.mitigate,
        inc.mitigated_at.is_some() || !inc.is_open(),
    ));
    if let Some(due) = inc.postmortem_due(now) {
        clocks.push(styled(" · ", theme.dim));
        match due {
            Ok(left) => clocks.push(styled(
                format!("postmortem due in {}", Clock(left)),
                theme.warn,
            )),
            Err(over) => clocks.push(styled(
                format!("POSTMORTEM OVERDUE by {}", Clock(over)),
                theme.over,
            )),
        }
    }
    let mut lines = vec![Line::from(head), Line::from(who), Line::from(clocks)];
    lines.extend(read_only);
    lines
}

/// For the collapsed Alerts line.
pub fn short(inc: &Incident, state: &State, theme: &Theme) -> Vec<Span<'static>> {
    if inc.gameday.is_some() {
        return vec![
            styled("GAME-DAY ", theme.header),
            styled(
                format!(
                    "T+{} · ",
                    Clock(since(inc.opened_at, inc.resolved_at.unwrap_or(state.now)))
                ),
                theme.dim,
            ),
        ];
    }
    if inc.is_drill() {
        return vec![styled("DRILL RUN · ", theme.header)];
    }
    vec![
        styled("INC ", theme.header),
        styled(
            inc.severity.tag(),
            super::alerts::severity_style(theme, inc.severity),
        ),
        styled(
            format!(
                " T+{} · ",
                Clock(since(inc.paged_at, inc.resolved_at.unwrap_or(state.now)))
            ),
            theme.dim,
        ),
    ]
}
