//! The bytes of a frame's changed cells, as few as the terminal needs: an idle console
//! sends a clock digit or two a second, so a fixed cost per frame (a style reset, a cursor
//! move per cell, a colour in its long form) would be most of what crosses an SSH link.
//!
//! The terminal's pen (colours and attributes) and cursor are remembered between frames:
//! nothing else writes to the screen while the console owns it.

use std::io::Write;

use ratatui::buffer::Cell;
use ratatui::style::{Color, Modifier};

/// What the terminal's pen holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pen {
    fg: Color,
    bg: Color,
    underline: Color,
    modifier: Modifier,
}

const DEFAULT_PEN: Pen = Pen {
    fg: Color::Reset,
    bg: Color::Reset,
    underline: Color::Reset,
    modifier: Modifier::empty(),
};

#[derive(Debug)]
pub struct Encoder {
    pen: Pen,
    /// Where the terminal's cursor is, when known for certain.
    cursor: Option<(u16, u16)>,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder {
            pen: DEFAULT_PEN,
            cursor: None,
        }
    }
}

impl Encoder {
    /// Writes the changed cells.
    pub fn cells<'a>(
        &mut self,
        out: &mut Vec<u8>,
        content: impl Iterator<Item = (u16, u16, &'a Cell)>,
    ) {
        for (x, y, cell) in content {
            self.move_to(out, x, y);
            self.style(out, cell);
            let sym = cell.symbol();
            out.extend_from_slice(sym.as_bytes());
            // Only a printable ASCII character certainly advances the cursor by one column;
            // for anything else terminals disagree, so the next cell moves explicitly.
            self.cursor = match sym.as_bytes() {
                [b] if (0x20..0x7f).contains(b) => Some((x + 1, y)),
                _ => None,
            };
        }
    }

    /// The cursor was moved (or the screen changed) by someone else: forget where it is.
    pub fn cursor_moved(&mut self, to: Option<(u16, u16)>) {
        self.cursor = to;
    }

    /// Resets the pen to the terminal's defaults, when it is not already, so what follows
    /// (a clear, leaving the screen) starts from them.
    pub fn reset_pen(&mut self, out: &mut Vec<u8>) {
        if self.pen != DEFAULT_PEN {
            out.extend_from_slice(b"\x1b[0m");
            self.pen = DEFAULT_PEN;
        }
    }

    fn move_to(&mut self, out: &mut Vec<u8>, x: u16, y: u16) {
        match self.cursor {
            Some(c) if c == (x, y) => {}
            // Forward on the same row: "n columns right" is shorter than an absolute move.
            Some((cx, cy)) if cy == y && cx < x => {
                let n = x - cx;
                if n == 1 {
                    out.extend_from_slice(b"\x1b[C");
                } else {
                    let _ = write!(out, "\x1b[{n}C");
                }
            }
            _ if x == 0 => {
                let _ = write!(out, "\x1b[{}H", y + 1);
            }
            _ => {
                let _ = write!(out, "\x1b[{};{}H", y + 1, x + 1);
            }
        }
    }

    /// One SGR sequence with only what differs from the pen.
    fn style(&mut self, out: &mut Vec<u8>, cell: &Cell) {
        let want = Pen {
            fg: cell.fg,
            bg: cell.bg,
            underline: cell.underline_color,
            modifier: cell.modifier,
        };
        if want == self.pen {
            return;
        }
        let mut params: Vec<u16> = Vec::with_capacity(8);
        let mut have = self.pen;
        if !(have.modifier - want.modifier).is_empty() {
            // Removing an attribute has no single portable code for every case (bold and
            // dim share one); starting from a reset is shortest and always right.
            params.push(0);
            have = DEFAULT_PEN;
        }
        for (m, code) in [
            (Modifier::BOLD, 1),
            (Modifier::DIM, 2),
            (Modifier::ITALIC, 3),
            (Modifier::UNDERLINED, 4),
            (Modifier::SLOW_BLINK, 5),
            (Modifier::RAPID_BLINK, 6),
            (Modifier::REVERSED, 7),
            (Modifier::HIDDEN, 8),
            (Modifier::CROSSED_OUT, 9),
        ] {
            if want.modifier.contains(m) && !have.modifier.contains(m) {
                params.push(code);
            }
        }
        if want.fg != have.fg {
            color(&mut params, want.fg, 30, 90, 38, 39);
        }
        if want.bg != have.bg {
            color(&mut params, want.bg, 40, 100, 48, 49);
        }
        if want.underline != have.underline {
            color(&mut params, want.underline, 0, 0, 58, 59);
        }
        out.extend_from_slice(b"\x1b[");
        for (i, p) in params.iter().enumerate() {
            if i > 0 {
                out.push(b';');
            }
            let _ = write!(out, "{p}");
        }
        out.push(b'm');
        self.pen = want;
    }
}

/// SGR parameters for a colour: the 16 named colours in their short forms (`base`, or
/// `bright` for the light ones), others as 256-colour or RGB (`ext`), `reset` for default.
fn color(params: &mut Vec<u16>, c: Color, base: u16, bright: u16, ext: u16, reset: u16) {
    let named = match c {
        Color::Reset => return params.push(reset),
        Color::Black => Some(0),
        Color::Red => Some(1),
        Color::Green => Some(2),
        Color::Yellow => Some(3),
        Color::Blue => Some(4),
        Color::Magenta => Some(5),
        Color::Cyan => Some(6),
        Color::Gray => Some(7),
        Color::DarkGray => Some(8),
        Color::LightRed => Some(9),
        Color::LightGreen => Some(10),
        Color::LightYellow => Some(11),
        Color::LightBlue => Some(12),
        Color::LightMagenta => Some(13),
        Color::LightCyan => Some(14),
        Color::White => Some(15),
        Color::Indexed(i) => return params.extend([ext, 5, u16::from(i)]),
        Color::Rgb(r, g, b) => {
            return params.extend([ext, 2, u16::from(r), u16::from(g), u16::from(b)]);
        }
    };
    match named {
        // Underline colour has no short forms.
        Some(n) if base == 0 => params.extend([ext, 5, n]),
        Some(n) if n < 8 => params.push(base + n),
        Some(n) => params.push(bright + n - 8),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Style;

    fn cell(sym: &'static str, style: Style) -> Cell {
        let mut c = Cell::new(sym);
        c.set_style(style);
        c
    }

    fn encode(e: &mut Encoder, cells: &[(u16, u16, Cell)]) -> String {
        let mut out = Vec::new();
        e.cells(&mut out, cells.iter().map(|(x, y, c)| (*x, *y, c)));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_pen_and_cursor_carry_over_between_frames() {
        let mut e = Encoder::default();
        let s = Style::new().fg(Color::White).bg(Color::Indexed(236));
        let first = encode(&mut e, &[(10, 39, cell("1", s)), (11, 39, cell("2", s))]);
        assert_eq!(first, "\x1b[40;11H\x1b[97;48;5;236m12");
        // The next second: one digit, same style, the cursor right after it.
        assert_eq!(encode(&mut e, &[(12, 39, cell("3", s))]), "3");
        assert_eq!(encode(&mut e, &[(15, 39, cell("4", s))]), "\x1b[2C4");
        assert_eq!(encode(&mut e, &[(0, 3, cell("5", s))]), "\x1b[4H5");
    }

    #[test]
    fn removing_an_attribute_starts_from_a_reset() {
        let mut e = Encoder::default();
        let bold = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
        assert_eq!(
            encode(&mut e, &[(0, 0, cell("a", bold))]),
            "\x1b[1H\x1b[1;36ma"
        );
        let plain = Style::new().fg(Color::Cyan);
        assert_eq!(encode(&mut e, &[(1, 0, cell("b", plain))]), "\x1b[0;36mb");
        let mut out = Vec::new();
        e.reset_pen(&mut out);
        assert_eq!(out, b"\x1b[0m");
    }

    #[test]
    fn after_a_wide_character_the_next_cell_moves_explicitly() {
        let mut e = Encoder::default();
        let s = Style::new();
        let text = encode(&mut e, &[(0, 0, cell("界", s)), (2, 0, cell("x", s))]);
        assert_eq!(text, "\x1b[1H界\x1b[1;3Hx");
    }
}
