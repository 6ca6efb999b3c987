//! Drawing: a pure function of [`State`] and [`Theme`] onto a ratatui frame.

mod alerts;
pub mod canvas;
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
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::state::{Overlay, Pane, State};
use crate::theme::Theme;
use layout::Slot;

pub use canvas::{Cache, Damage};
use canvas::{Canvas, RegionId};

/// Draws the whole screen from nothing (tests, benchmarks).
pub fn draw(frame: &mut Frame, state: &State, theme: &Theme) {
    draw_into(
        frame.buffer_mut(),
        state,
        theme,
        &mut Cache::default(),
        false,
    );
}

/// Draws the whole screen into `buf`, reusing from `cache` each region that would draw as it
/// did last frame, and says which cells may differ from that frame. When `holds_last`, `buf`
/// holds the last frame drawn with `cache`, and only what changed is drawn; otherwise every
/// cell is written. Either way the cells are the same as [`draw`]'s.
pub fn draw_into(
    buf: &mut Buffer,
    state: &State,
    theme: &Theme,
    cache: &mut Cache,
    holds_last: bool,
) -> Damage {
    let area = buf.area;
    let mut blank = ratatui::buffer::Cell::EMPTY;
    blank.set_style(theme.base);
    let drill_first = crate::state::drill_flow::is_console(state);
    let Some(screen) = layout::compute(area, state.focus, state.zoomed, drill_first) else {
        cache.begin(&[], false);
        canvas::fill(buf, area, &blank);
        let mut c = Canvas::new(area);
        too_small(&mut c, area, theme);
        c.paint(buf);
        cache.uncached();
        return cache.end();
    };
    let mut regions: Vec<(RegionId, Rect)> = screen
        .panes
        .iter()
        .map(|(pane, slot)| match *slot {
            Slot::Full(r) => (RegionId::Pane(*pane), r),
            Slot::Summary(r) => (RegionId::Summary(*pane), r),
        })
        .collect();
    regions.push((RegionId::Status, screen.status));
    if !cache.begin(&regions, holds_last) {
        // Cells no region covers keep the base style; the regions start from it too.
        canvas::fill(buf, area, &blank);
    }
    for (id, r) in regions {
        let mut c = Canvas::new(r);
        match id {
            RegionId::Pane(pane) => draw_pane(&mut c, r, pane, state, theme, pane == state.focus),
            RegionId::Summary(pane) => {
                c.render_widget(Paragraph::new(summary(pane, state, theme)), r)
            }
            RegionId::Status => status::draw(&mut c, r, state, theme),
        }
        cache.region(buf, id, c, &blank);
    }
    // Overlays are drawn over the regions every frame: they are open while someone types.
    let mut c = Canvas::new(area);
    overlay(&mut c, area, state, theme);
    if !c.is_empty() {
        cache.uncached();
        c.paint(buf);
    }
    cache.end()
}

fn overlay<'a>(frame: &mut Canvas<'a>, area: Rect, state: &'a State, theme: &'a Theme) {
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

fn draw_pane<'a>(
    frame: &mut Canvas<'a>,
    area: Rect,
    pane: Pane,
    state: &'a State,
    theme: &'a Theme,
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

fn too_small(frame: &mut Canvas, area: Rect, theme: &Theme) {
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
