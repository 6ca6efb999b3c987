//! Pieces every pane shares: its frame and title, summary prefixes, number formats.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType};

use crate::state::{Mode, Pane, State};
use crate::theme::Theme;

/// The pane's frame. Focus shows as a thick border and a marker, not only as a colour.
pub fn pane_block<'a>(pane: Pane, state: &State, theme: &Theme, focused: bool) -> Block<'a> {
    let (border, title_style, marker, kind) = if focused {
        (
            theme.border_focused,
            theme.title_focused,
            "▶ ",
            BorderType::Thick,
        )
    } else {
        (theme.border, theme.title, "", BorderType::Plain)
    };
    let mut spans = vec![Span::styled(
        format!(" {marker}{} ", pane.title()),
        title_style,
    )];
    if state.mode == Mode::Demo {
        spans.push(Span::styled(" DEMO ", theme.mode_demo));
        spans.push(Span::raw(" "));
    }
    Block::bordered()
        .border_type(kind)
        .border_style(border)
        .title(Line::from(spans))
}

/// The start of a collapsed pane's line: marker, title, DEMO tag.
pub fn summary_title<'a>(pane: Pane, state: &State, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::styled(format!("▸ {:<12}", pane.title()), theme.title)];
    if state.mode == Mode::Demo {
        spans.push(Span::styled("DEMO", theme.mode_demo));
    }
    spans.push(Span::styled(" │ ", theme.border));
    Line::from(spans)
}

pub fn percent(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// An objective like 0.999 as "99.9%", with as many decimals as it needs.
pub fn objective(x: f64) -> String {
    let p = x * 100.0;
    let mut s = format!("{p:.3}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    format!("{s}%")
}

pub fn styled<'a>(text: impl Into<String>, style: Style) -> Span<'a> {
    Span::styled(text.into(), style)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_format_compactly() {
        assert_eq!(objective(0.999), "99.9%");
        assert_eq!(objective(0.9995), "99.95%");
        assert_eq!(objective(0.99), "99%");
    }
}
