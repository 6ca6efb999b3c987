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

impl Pen {
    fn of(cell: &Cell) -> Pen {
        Pen {
            fg: cell.fg,
            bg: cell.bg,
            underline: cell.underline_color,
            modifier: cell.modifier,
        }
    }
}

/// Frames with more changed cells than this are written in the screen's order: regrouping
/// is for the few cells of an idle second, and a full repaint is wrapped and sent whole.
const REGROUP_MAX: usize = 128;

const DEFAULT_PEN: Pen = Pen {
    fg: Color::Reset,
    bg: Color::Reset,
    underline: Color::Reset,
    modifier: Modifier::empty(),
};

#[derive(Debug, Clone)]
pub struct Encoder {
    pen: Pen,
    /// Where the terminal's cursor is, when known for certain; its column may be the
    /// screen's width after a write in the last column (see [`Encoder::move_to`]).
    cursor: Option<(u16, u16)>,
    /// The screen's width, 0 when not known.
    width: u16,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder {
            pen: DEFAULT_PEN,
            cursor: None,
            width: 0,
        }
    }
}

impl Encoder {
    /// Writes the changed cells.
    ///
    /// A small frame (the idle second's clock digits) is written in whichever of two orders
    /// is shorter: the screen's order, or grouped by style starting with the pen's, so that
    /// clocks drawn in the same style share one SGR sequence instead of one each. Cells are
    /// independent once positioned, so the order does not change what the screen shows.
    pub fn cells<'a>(
        &mut self,
        out: &mut Vec<u8>,
        content: impl Iterator<Item = (u16, u16, &'a Cell)>,
    ) {
        let cells: Vec<(u16, u16, &Cell)> = content.collect();
        if cells.len() <= REGROUP_MAX
            && let Some(grouped) = self.grouped(&cells)
        {
            let mut plain = Vec::new();
            let mut by_screen = self.clone();
            by_screen.write_cells(&mut plain, &cells);
            let mut regrouped = Vec::new();
            let mut by_style = self.clone();
            by_style.write_cells(&mut regrouped, &grouped);
            if regrouped.len() < plain.len() {
                *self = by_style;
                out.extend_from_slice(&regrouped);
            } else {
                *self = by_screen;
                out.extend_from_slice(&plain);
            }
            return;
        }
        self.write_cells(out, &cells);
    }

    /// The cells grouped by style (the pen's style first, then in order of first use, the
    /// screen's order within a group); `None` when that is the order they are already in.
    fn grouped<'a>(&self, cells: &[(u16, u16, &'a Cell)]) -> Option<Vec<(u16, u16, &'a Cell)>> {
        let mut styles = vec![self.pen];
        let mut keyed: Vec<(usize, (u16, u16, &Cell))> = Vec::with_capacity(cells.len());
        for &c in cells {
            let pen = Pen::of(c.2);
            let group = match styles.iter().position(|p| *p == pen) {
                Some(g) => g,
                None => {
                    styles.push(pen);
                    styles.len() - 1
                }
            };
            keyed.push((group, c));
        }
        if keyed.windows(2).all(|w| w[0].0 <= w[1].0) {
            return None;
        }
        keyed.sort_by_key(|(g, _)| *g);
        Some(keyed.into_iter().map(|(_, c)| c).collect())
    }

    fn write_cells(&mut self, out: &mut Vec<u8>, cells: &[(u16, u16, &Cell)]) {
        for &(x, y, cell) in cells {
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

    /// The screen's width, as of the frame about to be written.
    pub fn set_width(&mut self, width: u16) {
        if width != self.width {
            self.width = width;
            self.cursor = None;
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

    /// The shortest of an absolute move and the relative ones that are safe.
    ///
    /// After a write in the last column the terminal holds the cursor there with a wrap
    /// pending, one column left of where it is remembered (`width`). So a column is reached
    /// relatively from the remembered one only when that is certainly inside the screen;
    /// otherwise only by moving right on the same row (from the last column nothing is
    /// right of it) or absolutely (`CSI n G`, or a carriage return for the first column).
    /// Line feeds go down without scrolling: the target row is below the cursor, so the
    /// cursor is not on the last row.
    fn move_to(&mut self, out: &mut Vec<u8>, x: u16, y: u16) {
        let absolute = |out: &mut Vec<u8>| {
            if x == 0 {
                let _ = write!(out, "\x1b[{}H", y + 1);
            } else {
                let _ = write!(out, "\x1b[{};{}H", y + 1, x + 1);
            }
        };
        let Some((cx, cy)) = self.cursor else {
            return absolute(out);
        };
        if (cx, cy) == (x, y) {
            return;
        }
        let certain = cx < self.width;
        let mut best = Vec::with_capacity(16);
        absolute(&mut best);
        let mut try_move = |candidate: &[u8]| {
            if candidate.len() < best.len() {
                best.clear();
                best.extend_from_slice(candidate);
            }
        };
        // Ways to reach column `x` once on row `y`.
        let mut columns: Vec<Vec<u8>> = Vec::with_capacity(2);
        let mut column = Vec::with_capacity(8);
        if x == 0 {
            column.push(b'\r');
        } else {
            let _ = write!(column, "\x1b[{}G", x + 1);
        }
        columns.push(column);
        if cx < x {
            let mut right = Vec::with_capacity(8);
            match x - cx {
                1 => right.extend_from_slice(b"\x1b[C"),
                n => {
                    let _ = write!(right, "\x1b[{n}C");
                }
            }
            columns.push(right);
        } else if certain {
            let mut left = Vec::with_capacity(8);
            match cx - x {
                0 => {}
                n @ 1..=3 => left.extend(std::iter::repeat_n(b'\x08', usize::from(n))),
                n => {
                    let _ = write!(left, "\x1b[{n}D");
                }
            }
            columns.push(left);
        }
        if cy == y {
            for c in &columns {
                try_move(c);
            }
        } else if cy < y {
            let mut down = Vec::with_capacity(16);
            match y - cy {
                n @ 1..=3 => down.extend(std::iter::repeat_n(b'\n', usize::from(n))),
                n => {
                    let _ = write!(down, "\x1b[{n}B");
                }
            }
            for c in &columns {
                let mut m = down.clone();
                m.extend_from_slice(c);
                try_move(&m);
            }
        }
        out.extend_from_slice(&best);
    }

    /// One SGR sequence with only what differs from the pen.
    fn style(&mut self, out: &mut Vec<u8>, cell: &Cell) {
        let want = Pen::of(cell);
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

/// Frames of random text, styles and wide characters, each encoded as the console encodes
/// it and fed to a terminal emulator, whatever order and moves the encoder chose: the
/// screen must equal what writing each cell on its own leaves, and, for narrow text, the
/// frame's buffer cell for cell.
#[cfg(test)]
mod screen_tests {
    use super::Encoder;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Modifier, Style};

    /// A small deterministic generator: the same frames on every run.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
    }

    const STYLES: [Style; 4] = [
        Style::new(),
        Style::new().fg(Color::Gray),
        Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
        Style::new()
            .fg(Color::White)
            .bg(Color::Indexed(236))
            .add_modifier(Modifier::BOLD),
    ];
    const TEXTS: [&str; 6] = ["1", "42", "a b", "界", "x界y", "09:59"];

    fn vt_color(c: Color) -> vt100::Color {
        match c {
            Color::Reset => vt100::Color::Default,
            Color::Gray => vt100::Color::Idx(7),
            Color::White => vt100::Color::Idx(15),
            Color::Indexed(i) => vt100::Color::Idx(i),
            other => panic!("colour {other:?} not used here"),
        }
    }

    /// Each cell on its own: an absolute move and a full SGR from a reset, in the screen's
    /// order. What the console sends must leave the terminal exactly as this does.
    fn reference(cells: &[(u16, u16, &ratatui::buffer::Cell)]) -> Vec<u8> {
        let mut out = Vec::new();
        for &c in cells {
            out.extend_from_slice(b"\x1b[0m");
            Encoder::default().write_cells(&mut out, &[c]);
        }
        out
    }

    fn same_screen(a: &vt100::Screen, b: &vt100::Screen, w: u16, h: u16) -> Result<(), String> {
        for y in 0..h {
            for x in 0..w {
                let (Some(p), Some(q)) = (a.cell(y, x), b.cell(y, x)) else {
                    return Err(format!("no cell {x},{y}"));
                };
                let sym = |c: &vt100::Cell| match c.contents() {
                    "" => " ".to_string(),
                    s => s.to_string(),
                };
                let seen = |c: &vt100::Cell| (sym(c), c.fgcolor(), c.bgcolor(), c.bold());
                if seen(p) != seen(q) {
                    return Err(format!("cell {x},{y}: {:?} != {:?}", seen(p), seen(q)));
                }
            }
        }
        Ok(())
    }

    /// Frames of `texts` in random styles and places, laid out left to right as widgets lay
    /// out text (nothing drawn over half of a wide character), a few changes a frame and
    /// sometimes a burst. Each frame goes to two emulators, one through the encoder and one
    /// through [`reference`]; `check` sees the frame's buffer and both screens.
    fn frames(
        texts: &[&'static str],
        check: impl Fn(usize, &Buffer, &vt100::Screen, &vt100::Screen, &[u8]),
    ) {
        let (w, h) = (24u16, 6u16);
        let area = Rect::new(0, 0, w, h);
        let mut rng = Lcg(7);
        let mut enc = Encoder::default();
        enc.set_width(w);
        let mut term = vt100::Parser::new(h, w, 0);
        let mut plain = vt100::Parser::new(h, w, 0);
        let mut prev = Buffer::empty(area);
        let token = |rng: &mut Lcg| {
            (
                rng.next(4) as u16,
                texts[rng.next(texts.len() as u64) as usize],
                STYLES[rng.next(STYLES.len() as u64) as usize],
            )
        };
        let mut rows: Vec<Vec<(u16, &str, Style)>> = (0..h)
            .map(|_| (0..1 + rng.next(6)).map(|_| token(&mut rng)).collect())
            .collect();
        for frame in 0..400 {
            let edits = if frame % 25 == 0 { 30 } else { 1 + rng.next(4) };
            for _ in 0..edits {
                let row = &mut rows[rng.next(u64::from(h)) as usize];
                let i = rng.next(row.len() as u64) as usize;
                row[i] = token(&mut rng);
            }
            let mut next = Buffer::empty(area);
            for (y, row) in rows.iter().enumerate() {
                let mut x = 0u16;
                for &(gap, text, style) in row {
                    x += gap;
                    if x >= w {
                        break;
                    }
                    // The last columns too: a write there leaves a wrap pending.
                    let (end, _) = next.set_stringn(x, y as u16, text, usize::from(w - x), style);
                    x = end;
                }
            }
            let diff = prev.diff(&next);
            let mut out = Vec::new();
            enc.cells(&mut out, diff.iter().copied());
            term.process(&out);
            plain.process(&reference(&diff));
            check(frame, &next, term.screen(), plain.screen(), &out);
            prev = next;
        }
    }

    #[test]
    fn every_frame_leaves_the_screen_as_cell_by_cell_writes_do() {
        frames(&TEXTS, |frame, _, got, want, out| {
            if let Err(e) = same_screen(got, want, 24, 6) {
                panic!(
                    "frame {frame}: {e}; sent {:?}",
                    String::from_utf8_lossy(out)
                );
            }
        });
    }

    #[test]
    fn every_frame_of_narrow_text_reaches_the_screen_exactly() {
        let narrow: Vec<&'static str> = TEXTS.iter().copied().filter(|t| t.is_ascii()).collect();
        frames(&narrow, |frame, buf, got, _, out| {
            for y in 0..6u16 {
                for x in 0..24u16 {
                    let want = &buf[(x, y)];
                    let Some(cell) = got.cell(y, x) else {
                        panic!("no cell {x},{y}");
                    };
                    let sym = match cell.contents() {
                        "" => " ",
                        s => s,
                    };
                    let seen = (sym, cell.fgcolor(), cell.bgcolor(), cell.bold());
                    let expected = (
                        want.symbol(),
                        if want.symbol() == " " {
                            cell.fgcolor()
                        } else {
                            vt_color(want.fg)
                        },
                        vt_color(want.bg),
                        if want.symbol() == " " {
                            cell.bold()
                        } else {
                            want.modifier.contains(Modifier::BOLD)
                        },
                    );
                    assert_eq!(
                        seen,
                        expected,
                        "frame {frame} cell {x},{y}: sent {:?}",
                        String::from_utf8_lossy(out)
                    );
                }
            }
        });
    }

    #[test]
    fn clocks_of_one_style_share_one_sgr_and_move_down_by_line_feeds() {
        let bold = STYLES[2];
        let bar = STYLES[3];
        let area = Rect::new(0, 0, 40, 10);
        let mut enc = Encoder::default();
        enc.set_width(40);
        let prev = Buffer::empty(area);
        let mut next = prev.clone();
        next.set_string(10, 2, "1", bold);
        next.set_string(30, 9, "7", bar);
        next.set_string(10, 3, "2", bold);
        let mut out = Vec::new();
        enc.cells(&mut out, prev.diff(&next).into_iter());
        // Screen order would be bold, bar, bold (three SGRs); grouped it is two, and the
        // second bold cell, right below the first, is a line feed and a backspace away.
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches('m').count(), 2, "{text:?}");
        assert!(text.contains("1\n\x082"), "{text:?}");
        // The next second starts in the bar's style, which the pen still holds: its cell
        // comes first, needs no SGR, and is one backspace away.
        let prev = next.clone();
        next.set_string(10, 2, "3", bold);
        next.set_string(30, 9, "8", bar);
        let mut out = Vec::new();
        enc.cells(&mut out, prev.diff(&next).into_iter());
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("\x088"), "{text:?}");
        assert_eq!(text.matches('m').count(), 1, "{text:?}");
    }
}
