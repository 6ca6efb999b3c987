//! Drawing: a pure function of [`State`] and [`Theme`] onto a ratatui frame.

mod alerts;
mod drill;
mod gameday;
mod incident;
pub mod layout;
mod overlay;
mod runbook;
mod slo;
mod status;
mod widgets;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::state::{Overlay, Pane, State};
use crate::theme::Theme;
use layout::Slot;

pub fn draw(frame: &mut Frame, state: &State, theme: &Theme) {
    let area = frame.area();
    frame.render_widget(ratatui::widgets::Block::new().style(theme.base), area);
    let drill_first = crate::state::drill_flow::is_console(state);
    let Some(screen) = layout::compute(area, state.focus, state.zoomed, drill_first) else {
        too_small(frame, area, theme);
        return;
    };
    for (pane, slot) in &screen.panes {
        let focused = *pane == state.focus;
        match *slot {
            Slot::Full(r) => draw_pane(frame, r, *pane, state, theme, focused),
            Slot::Summary(r) => {
                let line = summary(*pane, state, theme);
                frame.render_widget(Paragraph::new(line), r);
            }
        }
    }
    status::draw(frame, screen.status, state, theme);
    match &state.overlay {
        Some(Overlay::Help { scroll }) => overlay::help(frame, area, *scroll, state, theme),
        Some(Overlay::Confirm { title, detail, .. }) => {
            overlay::confirm(frame, area, title, detail, theme)
        }
        Some(Overlay::Note(input)) => overlay::note(frame, area, input, theme),
        Some(Overlay::Picker(p)) => overlay::picker(frame, area, state, p, theme),
        Some(Overlay::AlertDetail {
            fingerprint,
            scroll,
        }) => overlay::alert_detail(frame, area, state, fingerprint, *scroll, theme),
        Some(Overlay::SloDetail { scroll }) => {
            overlay::slo_detail(frame, area, state, *scroll, theme)
        }
        Some(Overlay::Silence(form)) => overlay::silence(frame, area, form, theme),
        Some(Overlay::Mitigation(p)) => overlay::mitigation(frame, area, p, theme),
        Some(Overlay::Verdict(form)) => gameday::verdict(frame, area, form, state, theme),
        Some(Overlay::Guards(form)) => overlay::guards(frame, area, state, form, theme),
        Some(Overlay::DrillInput(ask)) => overlay::drill_input(frame, area, state, ask, theme),
        Some(Overlay::Filter) | None => {}
    }
}

fn draw_pane(
    frame: &mut Frame,
    area: Rect,
    pane: Pane,
    state: &State,
    theme: &Theme,
    focused: bool,
) {
    let block = widgets::pane_block(pane, state, theme, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match pane {
        Pane::Alerts => alerts::draw(frame, inner, state, theme, focused),
        Pane::Runbook => runbook::draw(frame, inner, state, theme),
        Pane::Slo => slo::draw(frame, inner, state, theme),
        // A game-day takes the drill clock's place.
        Pane::Drill if state.gameday.run.is_some() || state.gameday.def.is_some() => {
            gameday::draw(frame, inner, state, theme)
        }
        Pane::Drill => drill::draw(frame, inner, state, theme),
    }
}

fn summary<'a>(pane: Pane, state: &'a State, theme: &Theme) -> Line<'a> {
    let mut line = widgets::summary_title(pane, state, theme);
    let rest = match pane {
        Pane::Alerts => alerts::summary(state, theme),
        Pane::Runbook => runbook::summary(state, theme),
        Pane::Slo => slo::summary(state, theme),
        Pane::Drill if state.gameday.run.is_some() || state.gameday.def.is_some() => {
            gameday::summary(state, theme)
        }
        Pane::Drill => drill::summary(state, theme),
    };
    line.spans.extend(rest);
    line
}

fn too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    let text = format!(
        "Terminal too small: {}x{}. warroom needs at least {}x{}.",
        area.width,
        area.height,
        layout::MIN_WIDTH,
        layout::MIN_HEIGHT
    );
    let h = 3.min(area.height);
    let r = layout::centered(area, area.width, h);
    frame.render_widget(
        Paragraph::new(text)
            .style(theme.warn)
            .wrap(Wrap { trim: true })
            .centered(),
        r,
    );
}
