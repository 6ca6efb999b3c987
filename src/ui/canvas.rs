//! A region's widgets, collected before they are drawn, so that a region (a pane, a summary
//! line, the status bar) whose widgets are the same as last frame's is left as it is on the
//! screen, or copied from the cells it drew then, instead of being laid out again. Laying out text (wrapping, grapheme
//! segmentation, styling cell by cell) is most of a frame's work, and in an idle second only
//! the clocks change.
//!
//! What a region shows is a function of its widgets, their rectangles and the cells under it
//! (the theme's base fill): all of them are hashed into the region's key, so a cached region
//! can only be reused when drawing it again would give the same cells.

use std::hash::{BuildHasher, Hash, Hasher};

use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Clear, Paragraph, StatefulWidget, Table, TableState, Widget};

/// One widget as a region draws it.
#[derive(Hash)]
pub enum Piece<'a> {
    Paragraph(Paragraph<'a>),
    Block(Block<'a>),
    Table(Box<Table<'a>>, TableState),
    Clear,
}

impl<'a> From<Paragraph<'a>> for Piece<'a> {
    fn from(p: Paragraph<'a>) -> Piece<'a> {
        Piece::Paragraph(p)
    }
}

impl<'a> From<Block<'a>> for Piece<'a> {
    fn from(b: Block<'a>) -> Piece<'a> {
        Piece::Block(b)
    }
}

impl From<Clear> for Piece<'_> {
    fn from(_: Clear) -> Self {
        Piece::Clear
    }
}

/// Where the drawing functions put their widgets; the same calls as ratatui's `Frame`.
pub struct Canvas<'a> {
    area: Rect,
    pieces: Vec<(Piece<'a>, Rect)>,
}

impl<'a> Canvas<'a> {
    pub fn new(area: Rect) -> Canvas<'a> {
        Canvas {
            area,
            pieces: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The region this canvas covers.
    pub fn area(&self) -> Rect {
        self.area
    }

    /// A widget in `r`, cut to the region: what is cached is the region's cells, so nothing
    /// may be drawn outside it.
    pub fn render_widget(&mut self, w: impl Into<Piece<'a>>, r: Rect) {
        self.pieces.push((w.into(), r.intersection(self.area)));
    }

    pub fn render_stateful_widget(&mut self, t: Table<'a>, r: Rect, state: &mut TableState) {
        self.pieces
            .push((Piece::Table(Box::new(t), *state), r.intersection(self.area)));
    }

    /// The region's key: its rectangle, the cells under it, and every widget with its place.
    fn key(&self, blank: &Cell, seed: &foldhash::fast::RandomState) -> u64 {
        let mut h = seed.build_hasher();
        self.area.hash(&mut h);
        // The blank cell is a space: its style is what differs.
        blank.style().hash(&mut h);
        self.pieces.hash(&mut h);
        h.finish()
    }

    /// Draws the widgets into `buf`, in order.
    pub fn paint(self, buf: &mut Buffer) {
        for (piece, r) in self.pieces {
            match piece {
                Piece::Paragraph(p) => p.render(r, buf),
                Piece::Block(b) => b.render(r, buf),
                Piece::Table(t, mut s) => StatefulWidget::render(*t, r, buf, &mut s),
                Piece::Clear => Clear.render(r, buf),
            }
        }
    }
}

/// Which region of the screen a cached drawing belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionId {
    Pane(crate::state::Pane),
    Summary(crate::state::Pane),
    Status,
}

struct Region {
    id: RegionId,
    area: Rect,
    key: u64,
    cells: Vec<Cell>,
}

/// The cells each region drew in the last frame, with the key they were drawn for.
#[derive(Default)]
pub struct Cache {
    regions: Vec<Region>,
    /// Regions drawn this frame, to replace `regions` at the end of it.
    drawn: Vec<Region>,
    /// Regions drawn afresh this frame (the rest were copied).
    fresh: Vec<Rect>,
    /// Something was drawn outside the regions this frame (an overlay), or last frame.
    uncached: bool,
    uncached_last: bool,
    /// The regions or their places differ from last frame's.
    moved: bool,
    /// This frame is drawn in place: regions that did not change are left as they are.
    in_place: bool,
    /// Keys are hashed with a seed of this process's own, so text from outside (alert labels)
    /// cannot be made to give the key of other text.
    seed: foldhash::fast::RandomState,
    hits: u64,
    misses: u64,
}

/// Which cells of a frame may differ from the frame before it.
#[derive(Debug, Clone, PartialEq)]
pub enum Damage {
    /// Any cell may have changed.
    Full,
    /// Only cells inside these rectangles (which do not overlap).
    Rects(Vec<Rect>),
}

impl Cache {
    /// Forgets every region: the next frame draws everything.
    pub fn clear(&mut self) {
        self.regions.clear();
    }

    /// What the frame just drawn changed, against the frame drawn before it with this cache.
    /// Regions copied from the cache hold the cells they held then; a region drawn afresh
    /// may differ; anything else (an overlay now or last frame, regions that moved, a first
    /// frame) may have changed any cell.
    fn damage(&self) -> Damage {
        if self.uncached || self.uncached_last || self.moved {
            Damage::Full
        } else {
            Damage::Rects(self.fresh.clone())
        }
    }

    /// The frame drew something that is not a cached region.
    pub(super) fn uncached(&mut self) {
        self.uncached = true;
    }

    /// How many regions were copied (or left in place) and how many drawn, since the start.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }

    /// Starts a frame of these regions. Whether it can be drawn in place: only the regions
    /// that changed are drawn, the rest of the buffer left as it is. That needs a buffer that
    /// holds the last frame drawn with this cache (`holds_last`), the same regions in the
    /// same places, and nothing drawn over them last frame.
    pub(super) fn begin(&mut self, layout: &[(RegionId, Rect)], holds_last: bool) -> bool {
        self.drawn.clear();
        self.fresh.clear();
        self.uncached_last = std::mem::take(&mut self.uncached);
        self.moved = self.regions.len() != layout.len()
            || layout
                .iter()
                .any(|(id, area)| !self.regions.iter().any(|r| r.id == *id && r.area == *area));
        self.in_place = holds_last && !self.moved && !self.uncached_last;
        self.in_place
    }

    /// Ends the frame: what it changed.
    pub(super) fn end(&mut self) -> Damage {
        std::mem::swap(&mut self.regions, &mut self.drawn);
        self.drawn.clear();
        self.damage()
    }

    /// Draws `canvas` as region `id`, or reuses what it drew last frame when its key is the
    /// same. `blank` is the cell the region's cells hold before it draws.
    pub(super) fn region(&mut self, buf: &mut Buffer, id: RegionId, canvas: Canvas, blank: &Cell) {
        let area = canvas.area.intersection(buf.area);
        let key = canvas.key(blank, &self.seed);
        let old = self.regions.iter().position(|r| r.id == id);
        let mut region = match old {
            Some(i) => self.regions.swap_remove(i),
            None => Region {
                id,
                area,
                key: !key,
                cells: Vec::new(),
            },
        };
        if region.area == area && region.key == key && region.cells.len() == cells_in(area) {
            self.hits += 1;
            if !self.in_place {
                copy_in(buf, area, &region.cells);
            }
        } else {
            self.misses += 1;
            if self.in_place {
                fill(buf, area, blank);
            }
            canvas.paint(buf);
            region.area = area;
            region.key = key;
            copy_out(buf, area, &mut region.cells);
            self.fresh.push(area);
        }
        self.drawn.push(region);
    }
}

/// Every cell of `area` set to `blank`.
pub(super) fn fill(buf: &mut Buffer, area: Rect, blank: &Cell) {
    for y in area.top()..area.bottom() {
        let start = buf.index_of(area.x, y);
        for cell in &mut buf.content[start..start + area.width as usize] {
            cell.clone_from(blank);
        }
    }
}

fn cells_in(area: Rect) -> usize {
    area.width as usize * area.height as usize
}

fn copy_out(buf: &Buffer, area: Rect, cells: &mut Vec<Cell>) {
    cells.clear();
    cells.reserve(cells_in(area));
    for y in area.top()..area.bottom() {
        let start = buf.index_of(area.x, y);
        cells.extend_from_slice(&buf.content[start..start + area.width as usize]);
    }
}

fn copy_in(buf: &mut Buffer, area: Rect, cells: &[Cell]) {
    let w = area.width as usize;
    if w == 0 {
        return;
    }
    for (row, y) in (area.top()..area.bottom()).enumerate() {
        let start = buf.index_of(area.x, y);
        buf.content[start..start + w].clone_from_slice(&cells[row * w..(row + 1) * w]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Style;
    use ratatui::text::Line;

    fn para(text: &'static str, area: Rect) -> Canvas<'static> {
        let mut c = Canvas::new(area);
        c.render_widget(Paragraph::new(Line::from(text)), area);
        c
    }

    fn blank(style: Style) -> Cell {
        let mut c = Cell::EMPTY;
        c.set_style(style);
        c
    }

    /// One frame of one region, drawn whole or in place.
    fn frame(cache: &mut Cache, buf: &mut Buffer, text: &'static str, r: Rect, in_place: bool) {
        let ok = cache.begin(&[(RegionId::Status, r)], in_place);
        if !ok {
            fill(buf, buf.area, &Cell::EMPTY);
        }
        cache.region(buf, RegionId::Status, para(text, r), &Cell::EMPTY);
        cache.end();
    }

    #[test]
    fn the_same_widgets_are_reused_and_different_ones_drawn() {
        let area = Rect::new(0, 0, 10, 2);
        let r = Rect::new(2, 1, 5, 1);
        for in_place in [false, true] {
            let mut cache = Cache::default();
            let mut buf = Buffer::empty(area);
            for (text, expect_hits) in [("one", 0), ("one", 1), ("two", 1), ("two", 2), ("x", 2)] {
                if !in_place {
                    buf = Buffer::empty(area);
                }
                frame(&mut cache, &mut buf, text, r, in_place);
                assert_eq!(cache.stats().0, expect_hits, "{text}");
                let mut want = Buffer::empty(area);
                Paragraph::new(text).render(r, &mut want);
                // In place, "x" after "two" must not leave "wo" behind.
                assert_eq!(buf, want, "{text}, in place: {in_place}");
            }
        }
    }

    #[test]
    fn a_moved_region_or_another_base_is_drawn_again() {
        let mut cache = Cache::default();
        let area = Rect::new(0, 0, 10, 3);
        let draw = |cache: &mut Cache, r: Rect, base: Style| {
            let mut buf = Buffer::empty(area);
            let in_place = cache.begin(&[(RegionId::Status, r)], true);
            cache.region(&mut buf, RegionId::Status, para("x", r), &blank(base));
            (in_place, cache.end())
        };
        let first = draw(&mut cache, Rect::new(0, 0, 4, 1), Style::new());
        assert_eq!(first, (false, Damage::Full), "a first frame is whole");
        let moved = draw(&mut cache, Rect::new(0, 1, 4, 1), Style::new());
        assert_eq!(
            moved,
            (false, Damage::Full),
            "a moved region damages everything"
        );
        let restyled = draw(&mut cache, Rect::new(0, 1, 4, 1), Style::new().bold());
        assert_eq!(restyled.1, Damage::Rects(vec![Rect::new(0, 1, 4, 1)]));
        assert_eq!(cache.stats(), (0, 3));
        let same = draw(&mut cache, Rect::new(0, 1, 4, 1), Style::new().bold());
        assert_eq!(same, (true, Damage::Rects(vec![])));
        assert_eq!(cache.stats(), (1, 3));
    }

    #[test]
    fn an_overlay_damages_its_frame_and_the_next() {
        let mut cache = Cache::default();
        let r = Rect::new(0, 0, 4, 1);
        let mut buf = Buffer::empty(r);
        let mut frame = |overlay: bool| {
            let in_place = cache.begin(&[(RegionId::Status, r)], true);
            cache.region(&mut buf, RegionId::Status, para("x", r), &Cell::EMPTY);
            if overlay {
                cache.uncached();
            }
            (in_place, cache.end())
        };
        frame(false);
        assert_eq!(frame(false), (true, Damage::Rects(vec![])));
        assert_eq!(frame(true), (true, Damage::Full));
        // The cells under the overlay must be drawn again: not in place.
        assert_eq!(frame(false), (false, Damage::Full));
        assert_eq!(frame(false), (true, Damage::Rects(vec![])));
    }

    #[test]
    fn widgets_are_cut_to_the_region() {
        let mut c = Canvas::new(Rect::new(0, 0, 4, 1));
        c.render_widget(Paragraph::new("abcdefgh"), Rect::new(0, 0, 8, 2));
        let mut buf = Buffer::empty(Rect::new(0, 0, 8, 2));
        c.paint(&mut buf);
        assert_eq!(buf, Buffer::with_lines(["abcd    ", "        "]));
    }
}
