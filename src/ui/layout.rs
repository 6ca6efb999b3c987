//! Where each pane goes for a given terminal size: side by side from 120x30, otherwise the
//! focused pane large and the others as one-line summaries; zoom gives one pane everything.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::state::Pane;

/// Below this the panes cannot say anything useful; a message says so instead.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;
/// From this size the four panes sit in a 2x2 grid.
pub const WIDE_WIDTH: u16 = 120;
pub const WIDE_HEIGHT: u16 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// The pane draws in full.
    Full(Rect),
    /// The pane draws a one-line summary.
    Summary(Rect),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenLayout {
    pub panes: Vec<(Pane, Slot)>,
    pub status: Rect,
}

/// `None` when the terminal is too small to show panes at all. `drill_first`: a drill
/// console, where the drill clock is the main view and the runbook step sits beside it.
pub fn compute(area: Rect, focus: Pane, zoomed: bool, drill_first: bool) -> Option<ScreenLayout> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let [body, status] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    let panes = if zoomed {
        vec![(focus, Slot::Full(body))]
    } else if drill_first {
        drill_console(body, focus)
    } else if area.width >= WIDE_WIDTH && area.height >= WIDE_HEIGHT {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                .areas(body);
        let [alerts, slo] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(left);
        let [runbook, drill] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(right);
        vec![
            (Pane::Alerts, Slot::Full(alerts)),
            (Pane::Runbook, Slot::Full(runbook)),
            (Pane::Slo, Slot::Full(slo)),
            (Pane::Drill, Slot::Full(drill)),
        ]
    } else {
        let constraints = Pane::ALL.map(|p| {
            if p == focus {
                Constraint::Fill(1)
            } else {
                Constraint::Length(1)
            }
        });
        let rows = Layout::vertical(constraints).split(body);
        Pane::ALL
            .iter()
            .zip(rows.iter())
            .map(|(&p, &r)| {
                (
                    p,
                    if p == focus {
                        Slot::Full(r)
                    } else {
                        Slot::Summary(r)
                    },
                )
            })
            .collect()
    };
    Some(ScreenLayout { panes, status })
}

/// The drill console: the clock large, the focused other pane (the runbook unless Alerts or
/// SLO has focus) beside it from 100 columns, below it otherwise; the rest one line each.
fn drill_console(body: Rect, focus: Pane) -> Vec<(Pane, Slot)> {
    let second = match focus {
        Pane::Alerts | Pane::Slo => focus,
        Pane::Runbook | Pane::Drill => Pane::Runbook,
    };
    let rest: Vec<Pane> = Pane::ALL
        .into_iter()
        .filter(|p| *p != Pane::Drill && *p != second)
        .collect();
    let [main, lines] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(rest.len() as u16)]).areas(body);
    let (drill, other) = if body.width >= 100 {
        let [a, b] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
            .areas(main);
        (a, b)
    } else {
        let [a, b] =
            Layout::vertical([Constraint::Percentage(65), Constraint::Percentage(35)]).areas(main);
        (a, b)
    };
    let rows = Layout::vertical(rest.iter().map(|_| Constraint::Length(1))).split(lines);
    let mut out = vec![
        (Pane::Drill, Slot::Full(drill)),
        (second, Slot::Full(other)),
    ];
    out.extend(
        rest.iter()
            .zip(rows.iter())
            .map(|(&p, &r)| (p, Slot::Summary(r))),
    );
    out
}

/// A rectangle of at most `w` x `h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_grid_narrow_accordion_zoom_and_too_small() {
        let wide = compute(Rect::new(0, 0, 120, 40), Pane::Alerts, false, false).unwrap();
        assert!(wide.panes.iter().all(|(_, s)| matches!(s, Slot::Full(_))));
        let narrow = compute(Rect::new(0, 0, 80, 24), Pane::Slo, false, false).unwrap();
        let full: Vec<_> = narrow
            .panes
            .iter()
            .filter(|(_, s)| matches!(s, Slot::Full(_)))
            .collect();
        assert_eq!(full.len(), 1);
        assert_eq!(full[0].0, Pane::Slo);
        if let Slot::Full(r) = full[0].1 {
            assert_eq!(r.height, 20);
        }
        let zoom = compute(Rect::new(0, 0, 120, 40), Pane::Drill, true, false).unwrap();
        assert_eq!(
            zoom.panes,
            vec![(Pane::Drill, Slot::Full(Rect::new(0, 0, 120, 39)))]
        );
        assert!(compute(Rect::new(0, 0, 39, 24), Pane::Alerts, false, false).is_none());
        assert!(compute(Rect::new(0, 0, 1, 1), Pane::Alerts, false, false).is_none());
    }

    #[test]
    fn the_drill_console_puts_the_clock_first_and_the_runbook_beside_it() {
        let full = |l: &ScreenLayout| -> Vec<Pane> {
            l.panes
                .iter()
                .filter(|(_, s)| matches!(s, Slot::Full(_)))
                .map(|(p, _)| *p)
                .collect()
        };
        let wide = compute(Rect::new(0, 0, 120, 40), Pane::Drill, false, true).unwrap();
        assert_eq!(full(&wide), vec![Pane::Drill, Pane::Runbook]);
        assert_eq!(wide.panes.len(), 4, "Alerts and SLO stay as one line each");
        let slo = compute(Rect::new(0, 0, 80, 24), Pane::Slo, false, true).unwrap();
        assert_eq!(full(&slo), vec![Pane::Drill, Pane::Slo]);
        if let (Pane::Drill, Slot::Full(r)) = slo.panes[0] {
            assert!(r.height >= 12, "the clock is the large one: {r:?}");
        }
    }
}
