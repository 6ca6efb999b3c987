//! What sits on top of the panes: the help (generated from the keymap) and prompts.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::layout::centered;
use super::widgets::styled;
use crate::sanitize::escape;
use crate::state::mitigation::Prompt;
use crate::state::{LineInput, State};
use crate::theme::Theme;

/// The key help, generated from the keymap in force; scrolls with the up/down keys when
/// the terminal is shorter than the list.
pub fn help(frame: &mut Frame, area: Rect, scroll: usize, state: &State, theme: &Theme) {
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
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.border_focused)
        .title(styled(title, theme.title_focused))
        .style(theme.overlay);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll as u16, 0)),
        r,
    );
}

/// A yes/no prompt. The keys are spelled out; the default is always No.
pub fn confirm(frame: &mut Frame, area: Rect, title: &str, detail: &str, theme: &Theme) {
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

/// The scribe's note input, with the action-item syntax shown and any error under it.
pub fn note(frame: &mut Frame, area: Rect, input: &LineInput, theme: &Theme) {
    let r = centered(area, area.width.saturating_sub(4).min(100), 7);
    let inner_w = r.width.saturating_sub(2) as usize;
    // Keep the cursor in view on long notes: show the tail that ends at the cursor.
    let chars: Vec<char> = input.text.chars().collect();
    let start = input.cursor.saturating_sub(inner_w.saturating_sub(3));
    let before: String = chars[start..input.cursor.min(chars.len())].iter().collect();
    let after: String = chars[input.cursor.min(chars.len())..].iter().collect();
    let mut lines = vec![Line::from(vec![
        styled("> ", theme.key),
        styled(escape(&before).into_owned(), theme.overlay),
        styled("▏", theme.key),
        styled(escape(&after).into_owned(), theme.overlay),
    ])];
    lines.push(match &input.error {
        Some(e) => Line::from(styled(e.clone(), theme.error)),
        None => Line::default(),
    });
    lines.push(Line::from(styled(
        "action: TEXT @owner due:YYYY-MM-DD ticket:ID makes an action item",
        theme.dim,
    )));
    lines.push(Line::from(vec![
        styled(" enter ", theme.key),
        styled("save   ", theme.overlay),
        styled(" esc ", theme.key),
        styled("cancel", theme.overlay),
    ]));
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.border_focused)
        .title(styled(
            " Note for the incident journal ",
            theme.title_focused,
        ))
        .style(theme.overlay);
    frame.render_widget(Clear, r);
    frame.render_widget(Paragraph::new(lines).block(block), r);
}

/// The mitigation prompt: the plan and checks as gated (escaped), then the answer keys.
/// A typed confirmation shows the input; otherwise only `y` runs it.
pub fn mitigation(frame: &mut Frame, area: Rect, p: &Prompt, theme: &Theme) {
    let mut lines: Vec<Line> = p
        .gated
        .prompt_lines()
        .into_iter()
        .map(|l| Line::from(styled(escape(&l).into_owned(), theme.overlay)))
        .collect();
    if p.gated.typed.is_some() {
        lines.push(Line::from(vec![
            styled("> ", theme.key),
            styled(escape(&p.input.text).into_owned(), theme.overlay),
            styled("▏", theme.key),
        ]));
    } else {
        lines.push(Line::from(vec![
            styled(" y ", theme.key),
            styled("run    ", theme.overlay),
            styled(" n / esc ", theme.key),
            styled("no (default)", theme.overlay),
        ]));
    }
    let title = if p.dry_run {
        " Dry run: preview the plan "
    } else {
        " Run this mitigation? "
    };
    let width = area.width.saturating_sub(4).min(110);
    let r = centered(area, width, lines.len() as u16 + 2);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.warn)
        .title(styled(title, theme.warn))
        .style(theme.overlay);
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        r,
    );
}
