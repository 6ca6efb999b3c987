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

/// `None` when the terminal is too small to show panes at all.
pub fn compute(area: Rect, focus: Pane, zoomed: bool) -> Option<ScreenLayout> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let [body, status] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    let panes = if zoomed {
        vec![(focus, Slot::Full(body))]
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
        let wide = compute(Rect::new(0, 0, 120, 40), Pane::Alerts, false).unwrap();
        assert!(wide.panes.iter().all(|(_, s)| matches!(s, Slot::Full(_))));
        let narrow = compute(Rect::new(0, 0, 80, 24), Pane::Slo, false).unwrap();
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
        let zoom = compute(Rect::new(0, 0, 120, 40), Pane::Drill, true).unwrap();
        assert_eq!(
            zoom.panes,
            vec![(Pane::Drill, Slot::Full(Rect::new(0, 0, 120, 39)))]
        );
        assert!(compute(Rect::new(0, 0, 39, 24), Pane::Alerts, false).is_none());
        assert!(compute(Rect::new(0, 0, 1, 1), Pane::Alerts, false).is_none());
    }
}
