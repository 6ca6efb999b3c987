//! The screen as the terminal shows it, and the frame being drawn over a copy of it. Only the
//! regions that changed are drawn, and only the cells their damage names are compared with
//! what the terminal shows and sent: in an idle second that is the clocks' rows.

use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::ui::Damage;

/// Generic over the backend so tests and benchmarks can run it on ratatui's `TestBackend`.
pub struct Screen<B> {
    backend: B,
    /// What the terminal shows.
    shown: Buffer,
    /// The frame being drawn.
    next: Buffer,
    /// One changed row, before and after, for the diff that names its changed cells.
    before: Buffer,
    after: Buffer,
    /// The terminal's contents are unknown or were cleared: the next frame is sent whole.
    full: bool,
    /// `next` holds what `shown` holds, the last frame: the next one can be drawn over it.
    synced: bool,
}

impl<B: Backend> Screen<B> {
    pub fn new(backend: B) -> Screen<B> {
        Screen {
            backend,
            shown: Buffer::empty(Rect::ZERO),
            next: Buffer::empty(Rect::ZERO),
            before: Buffer::empty(Rect::ZERO),
            after: Buffer::empty(Rect::ZERO),
            full: true,
            synced: false,
        }
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }

    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }

    /// Clears the terminal; the next frame is drawn and sent in full.
    pub fn clear(&mut self) -> Result<(), B::Error> {
        self.backend.clear()?;
        self.shown.reset();
        self.full = true;
        Ok(())
    }

    /// Draws a frame with `render` and hands the changed cells to the backend. `render` is
    /// told whether the buffer holds the last frame (then it may draw only what changed);
    /// otherwise it must write every cell. It says which cells may differ from the last frame.
    pub fn draw(
        &mut self,
        render: impl FnOnce(&mut Buffer, bool) -> Damage,
    ) -> Result<(), B::Error> {
        let size = self.backend.size()?;
        let area = Rect::new(0, 0, size.width, size.height);
        if area != self.shown.area {
            self.shown.resize(area);
            self.next.resize(area);
            self.backend.clear()?;
            self.shown.reset();
            self.full = true;
        }
        let holds_last = self.synced && !self.full;
        let damage = render(&mut self.next, holds_last);
        match damage {
            Damage::Rects(rects) if !self.full => {
                for r in rects {
                    let r = r.intersection(area);
                    // Row by row: in an idle second a damaged pane has a changed row or two
                    // (its clocks), and equal rows are cheaper to compare than to diff.
                    for y in r.top()..r.bottom() {
                        let start = self.shown.index_of(r.x, y);
                        let cells = start..start + r.width as usize;
                        if self.shown.content[cells.clone()] == self.next.content[cells.clone()] {
                            continue;
                        }
                        let row = Rect::new(r.x, y, r.width, 1);
                        copy(&self.shown, row, &mut self.before);
                        copy(&self.next, row, &mut self.after);
                        self.backend
                            .draw(self.before.diff(&self.after).into_iter())?;
                        self.shown.content[cells.clone()]
                            .clone_from_slice(&self.next.content[cells]);
                    }
                }
            }
            _ => {
                self.full = false;
                self.backend.draw(self.shown.diff(&self.next).into_iter())?;
                self.shown.content.clone_from_slice(&self.next.content);
            }
        }
        self.synced = true;
        Ok(())
    }
}

/// The cells of `r` in `from`, as a buffer whose area is `r`.
fn copy(from: &Buffer, r: Rect, into: &mut Buffer) {
    into.resize(r);
    let w = r.width as usize;
    for (row, y) in (r.top()..r.bottom()).enumerate() {
        let start = from.index_of(r.x, y);
        into.content[row * w..(row + 1) * w].clone_from_slice(&from.content[start..start + w]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copied_rectangle_keeps_its_place_and_cells() {
        let from = Buffer::with_lines(["abcd", "efgh", "ijkl"]);
        let mut into = Buffer::empty(Rect::ZERO);
        copy(&from, Rect::new(1, 1, 2, 2), &mut into);
        let mut want = Buffer::with_lines(["fg", "jk"]);
        want.area = Rect::new(1, 1, 2, 2);
        assert_eq!(into, want);
        // The diff of two such buffers names cells where they are on the screen.
        let mut other = into.clone();
        other[(2, 2)].set_symbol("X");
        let d = into.diff(&other);
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].0, d[0].1, d[0].2.symbol()), (2, 2, "X"));
    }
}
