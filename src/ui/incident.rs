//! The incident banner: id, severity, commander, and the on-call clocks against the
//! severity's response targets (time to ack, time to mitigate, postmortem due).

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::widgets::styled;
use crate::sanitize::escape;
use crate::sources::timing::{Age, Clock};
use crate::state::drill::since;
use crate::state::incident::targets;
use crate::state::{Incident, JournalStatus, State};
use crate::theme::Theme;

/// One response clock against its target. Once met (or missed) it is frozen and shown to
/// the second; while it runs it shows what is left, in minutes like an alert's age: the
/// time taken so far would only repeat T+, and a countdown in seconds would redraw (and
/// send over SSH) every second for hours.
fn clock_vs(
    theme: &Theme,
    label: &str,
    took: std::time::Duration,
    target: Option<std::time::Duration>,
    done: bool,
) -> Vec<Span<'static>> {
    if !done {
        return match target {
            Some(t) if took > t => vec![styled(
                format!("{label} OVER by {}", Age(took - t)),
                theme.over,
            )],
            Some(t) => vec![
                styled(format!("{label} due in "), theme.dim),
                styled(Age(t - took).to_string(), theme.base),
                styled(format!("/{}", Age(t)), theme.dim),
            ],
            None => vec![styled(format!("{label}: no target"), theme.dim)],
        };
    }
    let mut spans = vec![styled(format!("{label} "), theme.dim)];
    let (style, mark): (Style, &str) = match target {
        Some(t) if took > t => (theme.over, " LATE"),
        Some(_) => (theme.ok, " ✓"),
        _ => (theme.base, ""),
    };
    spans.push(styled(Clock(took).to_string(), style));
    if let Some(t) = target {
        spans.push(styled(format!("/{}", Clock(t)), theme.dim));
    }
    spans.push(styled(mark.to_string(), style));
    spans
}

/// Time since `from`: to the second once the incident is resolved (a fixed figure), in
/// minutes while it runs, as alert ages are; the drill clock is where seconds are read.
fn t_plus(
    inc: &Incident,
    from: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    match inc.resolved_at {
        Some(end) => Clock(since(from, end)).to_string(),
        None => Age(since(from, now)).to_string(),
    }
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
        styled(t_plus(inc, inc.paged_at, now), theme.header),
        styled(" · ", theme.dim),
    ];
    if inc.gameday.is_some() {
        // Its alerts do not page: the clock runs from the start of the game-day.
        clocks[1] = styled(t_plus(inc, inc.opened_at, now), theme.header);
        clocks.pop();
        let mut lines = vec![Line::from(head), Line::from(who), Line::from(clocks)];
        lines.extend(read_only);
        return lines;
    }
    // A resolved incident's clocks stop at its resolution, acked or not.
    clocks.extend(clock_vs(
        theme,
        "ack",
        inc.time_to_ack(inc.resolved_at.unwrap_or(now)),
        t.ack,
        inc.first_ack_at.is_some() || !inc.is_open(),
    ));
    if inc.first_ack_at.is_none() && since(inc.paged_at, now).as_secs() >= 15 * 60 && inc.is_open()
    {
        clocks.push(styled(", ESCALATE 2nd", theme.over));
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
        // Once resolved, the postmortem is what is still owed: right after T+, where a
        // narrow pane does not cut it off.
        let owed = match due {
            Ok(left) => styled(format!("postmortem due in {}", Age(left)), theme.warn),
            Err(over) => styled(format!("POSTMORTEM OVERDUE by {}", Age(over)), theme.over),
        };
        clocks.splice(3..3, [owed, styled(" · ", theme.dim)]);
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
                format!("T+{} · ", t_plus(inc, inc.opened_at, state.now)),
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
            format!(" T+{} · ", t_plus(inc, inc.paged_at, state.now)),
            theme.dim,
        ),
    ]
}
