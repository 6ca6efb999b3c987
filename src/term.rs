//! The terminal: entering and leaving full-screen mode, and making sure it is left on every
//! way out (quit, error, panic, SIGHUP, SIGTERM) and around Ctrl-Z.

mod encode;
pub mod screen;

/// The console's screen on the real terminal.
pub type Screen = screen::Screen<Backend>;

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::style::{Attribute, SetAttribute};
use crossterm::terminal::{
    self, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::{ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Position, Size};

/// Frames from this size on are wrapped in a synchronized update (`CSI ? 2026 h/l`), so the
/// terminal shows them whole even if they arrive in several reads. A smaller frame (an idle
/// second's clock digits) is one write that arrives in one piece; wrapping it would more
/// than double its bytes.
const SYNC_FROM: usize = 1024;
const SYNC_BEGIN: &[u8] = b"\x1b[?2026h";
const SYNC_END: &[u8] = b"\x1b[?2026l";

/// Collects a whole frame and writes it to the terminal in one `write`, so a frame never
/// arrives in pieces over a slow link and idle redraws cost one syscall.
///
/// Frames go to a duplicate of standard output's descriptor, not through `Stdout`: that is
/// line-buffered, and would write a frame containing a line feed (a cursor move down) in
/// two pieces, up to the last line feed and then the rest.
pub struct FrameWriter {
    buf: Vec<u8>,
    out: Output,
}

enum Output {
    Fd(std::fs::File),
    /// When the descriptor cannot be duplicated (out of descriptors): still correct, only
    /// sometimes two writes a frame.
    Stdout(Stdout),
}

impl FrameWriter {
    fn new() -> FrameWriter {
        use std::os::fd::AsFd;
        let out = match io::stdout().as_fd().try_clone_to_owned() {
            Ok(fd) => Output::Fd(std::fs::File::from(fd)),
            Err(_) => Output::Stdout(io::stdout()),
        };
        FrameWriter {
            buf: Vec::with_capacity(16 * 1024),
            out,
        }
    }

    /// Sends the collected frame.
    pub fn commit(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if self.buf.len() >= SYNC_FROM {
            self.buf.splice(0..0, SYNC_BEGIN.iter().copied());
            self.buf.extend_from_slice(SYNC_END);
        }
        let r = match &mut self.out {
            Output::Fd(f) => {
                // Whatever went through `Stdout` before (mode changes) goes first.
                io::stdout().flush().and_then(|()| f.write_all(&self.buf))
            }
            Output::Stdout(out) => {
                let mut lock = out.lock();
                lock.write_all(&self.buf).and_then(|()| lock.flush())
            }
        };
        self.buf.clear();
        r
    }
}

impl Write for FrameWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    /// ratatui flushes after every draw; the frame is sent by [`FrameWriter::commit`] instead.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// crossterm's backend, except that it never asks the terminal where the cursor is, and
/// that cells are encoded by [`encode::Encoder`] with the pen and cursor remembered across
/// frames (crossterm's resets both after every frame, a fixed 19 bytes a second idle).
///
/// ratatui's `Terminal::clear` asks, and crossterm answers by reading the terminal's reply,
/// which races the input task's reader (a 2 s stall, then an error) and costs a round trip
/// over SSH. In full-screen mode with the cursor hidden, the last position set is the answer.
pub struct Backend {
    inner: CrosstermBackend<FrameWriter>,
    cursor: Position,
    encoder: encode::Encoder,
    /// ratatui hides the cursor after every frame; once is enough.
    cursor_hidden: bool,
    /// The width last read by `size`, which ratatui calls before every frame.
    width: std::cell::Cell<u16>,
    /// The terminal's size, asked once and again only after [`Backend::forget_size`]:
    /// crossterm opens `/dev/tty` to ask, three syscalls a frame for an answer that changes
    /// only with a resize event.
    size: std::cell::Cell<Option<Size>>,
}

impl Backend {
    pub fn writer_mut(&mut self) -> &mut FrameWriter {
        self.inner.writer_mut()
    }

    /// The terminal was resized (or may have been, while stopped): ask its size again.
    pub fn forget_size(&self) {
        self.size.set(None);
    }
}

impl Write for Backend {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.inner.write(data)
    }

    fn flush(&mut self) -> io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

impl ratatui::backend::Backend for Backend {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.encoder.set_width(self.width.get());
        let out = &mut self.inner.writer_mut().buf;
        self.encoder.cells(out, content);
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        if self.cursor_hidden {
            return Ok(());
        }
        self.cursor_hidden = true;
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.cursor_hidden = false;
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.cursor = position.into();
        self.encoder
            .cursor_moved(Some((self.cursor.x, self.cursor.y)));
        self.inner.set_cursor_position(self.cursor)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.clear_region(ClearType::All)
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        // Terminals clear with the current background colour: reset it first.
        self.encoder.reset_pen(&mut self.inner.writer_mut().buf);
        self.encoder.cursor_moved(None);
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        let size = match self.size.get() {
            Some(size) => size,
            None => {
                let size = self.inner.size()?;
                self.size.set(Some(size));
                size
            }
        };
        self.width.set(size.width);
        Ok(size)
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        ratatui::backend::Backend::flush(&mut self.inner)
    }
}

/// Whether the terminal is in warroom's mode, so restoring twice is harmless.
static ACTIVE: AtomicBool = AtomicBool::new(false);

fn enter_modes() -> io::Result<()> {
    terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    execute!(io::stdout(), EnterAlternateScreen, Hide)
}

pub fn enter() -> io::Result<Screen> {
    enter_modes()?;
    let mut t = Screen::new(Backend {
        inner: CrosstermBackend::new(FrameWriter::new()),
        cursor: Position::ORIGIN,
        encoder: encode::Encoder::default(),
        cursor_hidden: true,
        width: std::cell::Cell::new(0),
        size: std::cell::Cell::new(None),
    });
    clear(&mut t)?;
    Ok(t)
}

/// Clears the terminal at once; the next frame is sent in full.
pub fn clear(t: &mut Screen) -> io::Result<()> {
    t.clear()?;
    t.backend_mut().writer_mut().commit()
}

/// Draws one frame, sent in one write (inside a synchronized update when it is large).
pub fn draw(
    t: &mut Screen,
    render: impl FnOnce(&mut Buffer, bool) -> crate::ui::Damage,
) -> io::Result<()> {
    t.draw(render)?;
    t.backend_mut().writer_mut().commit()
}

/// Puts the terminal back as it was: cooked mode, main screen, cursor shown. Safe to call
/// from a panic hook or on a terminal that is already gone (errors are ignored there).
pub fn restore() -> io::Result<()> {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return Ok(());
    }
    let raw = terminal::disable_raw_mode();
    let mut out = io::stdout();
    let screen = execute!(
        out,
        EndSynchronizedUpdate,
        SetAttribute(Attribute::Reset),
        LeaveAlternateScreen,
        Show
    );
    raw.and(screen)
}

/// Restores the terminal before the default panic message, so the message is readable and
/// the shell usable.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = restore();
        // The loop runs on the main thread: a panic there ends the console, so a running
        // mitigation is killed and recorded as interrupted. (A panic in a spawned task is
        // caught by the runtime and the console goes on.)
        if std::thread::current().name() == Some("main") {
            crate::exec::interrupt::finish(
                "the console panicked",
                crate::exec::interrupt::FLUSH_WAIT,
            );
        }
        previous(info);
    }));
}

/// Ctrl-Z: give the shell its terminal back, stop, and on `fg` take it again. The caller
/// repaints everything afterwards.
pub fn suspend(t: &mut Screen) -> io::Result<()> {
    restore()?;
    signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
    // Execution continues here after SIGCONT.
    enter_modes()?;
    clear(t)
}
