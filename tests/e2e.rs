//! End-to-end tests: the real `warroom` binary in a pseudo-terminal (see `support::pty`).
//!
//! Every wait is a wait for a condition (20 s deadline); a failure prints the whole screen.

use crate::support::pty::{Key, Session, TIMEOUT, escape, rfind, shell_status};

/// A word from each pane's title.
const TITLES: [&str; 4] = ["Alerts", "Runbook", "SLO", "Drill"];

/// Characters of a horizontal border line, on which ratatui draws block titles.
const BORDER: [char; 6] = ['─', '━', '═', '┄', '╌', '▔'];

fn shows_all_titles(screen: &vt100::Screen) -> bool {
    let text = screen.contents();
    TITLES.iter().all(|t| text.contains(t))
}

/// The pane titles drawn on a border line (pane content that merely mentions one does not
/// count).
fn titles_on_borders(screen: &vt100::Screen) -> Vec<&'static str> {
    let (_, cols) = screen.size();
    let rows: Vec<String> = screen.rows(0, cols).collect();
    TITLES
        .into_iter()
        .filter(|t| {
            rows.iter()
                .any(|r| r.contains(t) && r.chars().any(|c| BORDER.contains(&c)))
        })
        .collect()
}

fn demo_ready(screen: &vt100::Screen) -> bool {
    screen.alternate_screen() && shows_all_titles(screen) && screen.contents().contains("DEMO")
}

/// The demo's scripted drill is on screen and running: its clock (`T+ mm:ss`) shows and it
/// has not finished. (The first frames can come before the demo's data; `q` only asks
/// while a drill runs.)
fn drill_running(screen: &vt100::Screen) -> bool {
    let text = screen.contents();
    text.contains("T+ ") && !text.to_lowercase().contains("finished")
}

/// Starts `warroom --demo` and waits for a full frame with the demo's data in it.
fn demo(cols: u16, rows: u16) -> Session {
    let s = Session::spawn(&["--demo"], cols, rows);
    s.wait_for(
        &format!(
            "the demo at {cols}x{rows}: alternate screen, four pane titles, DEMO and a running \
             drill clock"
        ),
        TIMEOUT,
        |sc| demo_ready(sc) && drill_running(sc),
    );
    s
}

fn quit_prompt_open(screen: &vt100::Screen) -> bool {
    screen.contents().contains("Quit?")
}

/// The help overlay: a bordered title with `Help`, and below it (not in the status bar's
/// key hints) a line binding `q` to quitting.
pub(crate) fn help_open(screen: &vt100::Screen) -> bool {
    let (_, cols) = screen.size();
    let rows: Vec<String> = screen.rows(0, cols).collect();
    let Some((_, body)) = rows.split_last() else {
        return false;
    };
    let Some(title) = body
        .iter()
        .position(|r| r.contains("Help") && r.chars().any(|c| BORDER.contains(&c)))
    else {
        return false;
    };
    body[title + 1..].iter().any(|r| {
        r.to_lowercase().contains("quit")
            && r.split(|c: char| c.is_whitespace() || ",/│║┃".contains(c))
                .any(|word| word == "q")
    })
}

/// After the program exited: it left the alternate screen and showed the cursor after its
/// last frame, drew nothing on the main screen afterwards, and put the tty back in cooked
/// mode.
pub(crate) fn assert_terminal_restored(s: &Session) {
    let raw = s.raw_output();
    let tail = || escape(&raw[raw.len().saturating_sub(200)..]);
    let entered =
        rfind(&raw, b"\x1b[?1049h").expect("the program never entered the alternate screen");
    let left = rfind(&raw, b"\x1b[?1049l")
        .unwrap_or_else(|| panic!("never left the alternate screen; output ends:\n{}", tail()));
    assert!(
        left > entered,
        "re-entered the alternate screen after leaving it; output ends:\n{}",
        tail()
    );
    let shown = rfind(&raw, b"\x1b[?25h")
        .unwrap_or_else(|| panic!("never showed the cursor; output ends:\n{}", tail()));
    if let Some(hidden) = rfind(&raw, b"\x1b[?25l") {
        assert!(
            shown > hidden,
            "the cursor was hidden again after being shown; output ends:\n{}",
            tail()
        );
    }
    // Nothing that looks like a frame may follow the switch back to the main screen.
    let after = String::from_utf8_lossy(&raw[left..]).into_owned();
    assert!(
        !after.chars().any(|c| BORDER.contains(&c) || c == '│')
            && !TITLES.iter().any(|t| after.contains(t)),
        "drew on the main screen after leaving the alternate screen: {}",
        escape(after.as_bytes())
    );
    let screen = s.screen();
    assert!(
        !screen.alternate_screen(),
        "the emulated terminal is still on the alternate screen"
    );
    assert!(
        !screen.hide_cursor(),
        "the emulated terminal's cursor is still hidden"
    );
    assert_eq!(s.cooked_mode(), Some(true), "the tty was left in raw mode");
}

#[test]
fn demo_shows_four_panes_at_120x40() {
    let s = demo(120, 40);
    assert_eq!(s.size(), (120, 40));
    let screen = s.screen();
    assert!(
        !screen.contents().contains("too small"),
        "{}",
        screen.contents()
    );
    // At this size every pane is a full bordered block.
    assert_eq!(titles_on_borders(&screen), TITLES, "{}", screen.contents());
}

#[test]
fn demo_shows_four_panes_at_80x24() {
    let s = demo(80, 24);
    assert!(
        !s.screen_text().contains("too small"),
        "{}",
        s.screen_text()
    );
}

#[test]
fn a_too_small_terminal_says_so_and_recovers() {
    let s = demo(100, 30);
    s.resize(39, 11);
    s.wait_for("a `too small` message at 39x11", TIMEOUT, |sc| {
        sc.contents().contains("too small")
    });
    s.resize(80, 24);
    s.wait_for("the four panes again at 80x24", TIMEOUT, |sc| {
        demo_ready(sc) && !sc.contents().contains("too small")
    });
}

#[test]
fn starting_in_a_too_small_terminal_says_so() {
    let s = Session::spawn(&["--demo"], 30, 10);
    s.wait_for("a `too small` message at 30x10", TIMEOUT, |sc| {
        sc.alternate_screen() && sc.contents().contains("too small")
    });
}

#[test]
fn help_overlay_opens_and_closes() {
    let s = demo(120, 40);
    assert!(
        !help_open(&s.screen()),
        "help shown before `?`:\n{}",
        s.screen_text()
    );

    s.send_key(Key::Char('?'));
    s.wait_for(
        "the help overlay (a `Help` title and a `q` ... quit line)",
        TIMEOUT,
        help_open,
    );
    s.send_key(Key::Char('?'));
    s.wait_for("`?` to close the help overlay", TIMEOUT, |sc| {
        !help_open(sc) && demo_ready(sc)
    });

    s.send_key(Key::Char('?'));
    s.wait_for("the help overlay again", TIMEOUT, help_open);
    s.send_key(Key::Esc);
    s.wait_for("Esc to close the help overlay", TIMEOUT, |sc| {
        !help_open(sc) && demo_ready(sc)
    });
}

#[test]
fn quit_asks_first_then_exits_zero_and_restores_the_terminal() {
    let mut s = demo(120, 40);

    s.send_key(Key::Char('q'));
    s.wait_for("a `Quit?` prompt after `q`", TIMEOUT, quit_prompt_open);
    s.send_key(Key::Char('n'));
    s.wait_for("`n` to cancel the prompt", TIMEOUT, |sc| {
        !quit_prompt_open(sc) && demo_ready(sc)
    });
    assert!(s.is_running(), "`n` on the quit prompt ended the program");

    s.send_key(Key::Char('q'));
    s.wait_for("the `Quit?` prompt again", TIMEOUT, quit_prompt_open);
    s.send_key(Key::Esc);
    s.wait_for("Esc to cancel the prompt", TIMEOUT, |sc| {
        !quit_prompt_open(sc) && demo_ready(sc)
    });
    assert!(s.is_running(), "Esc on the quit prompt ended the program");

    s.send_key(Key::Char('q'));
    s.wait_for("the `Quit?` prompt a third time", TIMEOUT, quit_prompt_open);
    // A stray Enter must not dismiss the prompt: the `y` after it still answers it.
    s.send(b"\ry");
    let status = s.wait_exit(TIMEOUT);
    assert_eq!(shell_status(&status), Some(0), "{status:?}");
    assert_terminal_restored(&s);
}

#[test]
fn a_stray_enter_on_the_quit_prompt_does_not_quit() {
    let mut s = demo(120, 40);
    s.send_key(Key::Char('q'));
    s.wait_for("a `Quit?` prompt after `q`", TIMEOUT, quit_prompt_open);
    // One write, so there is no window in which a wrongly-quitting program could make the
    // second key fail to send.
    s.send(b"\rn");
    s.wait_for(
        "`n` (after a stray Enter) to cancel the prompt, the demo still running",
        TIMEOUT,
        |sc| !quit_prompt_open(sc) && demo_ready(sc),
    );
    assert!(s.is_running(), "Enter on the quit prompt ended the program");
}

fn exits_on_signal_and_restores(sig: &str, code: u32) {
    let mut s = demo(100, 30);
    s.signal(sig);
    let status = s.wait_exit(TIMEOUT);
    assert_eq!(shell_status(&status), Some(code), "SIG{sig}: {status:?}");
    assert_terminal_restored(&s);
}

#[test]
fn sigterm_restores_the_terminal_and_exits_143() {
    exits_on_signal_and_restores("TERM", 143);
}

#[test]
fn sighup_restores_the_terminal_and_exits_129() {
    exits_on_signal_and_restores("HUP", 129);
}

#[test]
fn a_resize_storm_never_crashes() {
    const SIZES: [(u16, u16); 10] = [
        (20, 5),
        (1, 1),
        (200, 60),
        (80, 24),
        (39, 11),
        (40, 12),
        (2, 50),
        (150, 3),
        (60, 20),
        (1, 1),
    ];
    let mut s = demo(100, 30);
    // 30 resizes back to back, as fast as the kernel takes them.
    for (i, (cols, rows)) in SIZES.iter().cycle().take(30).enumerate() {
        s.resize(*cols, *rows);
        if i % 10 == 9 {
            assert!(s.is_running(), "died during the storm, at {cols}x{rows}");
        }
    }
    // Still alive and drawing at a tiny size (not just at the sizes it happened to see)...
    s.resize(20, 5);
    s.wait_for(
        "the `too small` message at 20x5 after the storm",
        TIMEOUT,
        |sc| sc.contents().contains("too small"),
    );
    // A shrink and a grow back to the size last drawn, faster than a frame: the 1x1 screen
    // lost the text, so the program must paint it again though its size is unchanged.
    s.resize(1, 1);
    s.resize(20, 5);
    s.wait_for(
        "the `too small` message repainted after 20x5 -> 1x1 -> 20x5",
        TIMEOUT,
        |sc| sc.contents().contains("too small"),
    );
    s.resize(1, 1);
    // ... and back to a usable size, with a full frame at exactly that size.
    s.resize(100, 30);
    s.wait_for("the four panes at the final 100x30 size", TIMEOUT, |sc| {
        sc.size() == (30, 100) && demo_ready(sc) && !sc.contents().contains("too small")
    });
    assert!(s.is_running(), "the program died during the resize storm");
}

/// Zooms, waits for a single pane title, unzooms, and returns that title.
fn zoomed_title(s: &Session) -> &'static str {
    s.send_key(Key::Char('z'));
    s.wait_for(
        "`z` to zoom to a single pane (one title, plus DEMO)",
        TIMEOUT,
        |sc| titles_on_borders(sc).len() == 1 && sc.contents().contains("DEMO"),
    );
    let screen = s.screen();
    let title = titles_on_borders(&screen)[0];
    // Everything above the status bar (whose notices may name any pane).
    let (rows, cols) = screen.size();
    let text = screen.contents_between(0, 0, rows.saturating_sub(2), cols);
    for other in TITLES.into_iter().filter(|t| *t != title) {
        assert!(
            !text.contains(other),
            "zoomed to {title}, yet {other} is visible:\n{text}"
        );
    }
    s.send_key(Key::Char('z'));
    s.wait_for(
        "`z` again to unzoom (all four titles back)",
        TIMEOUT,
        |sc| titles_on_borders(sc).len() == TITLES.len() && demo_ready(sc),
    );
    title
}

#[test]
fn zoom_shows_only_the_focused_pane_and_follows_focus() {
    let s = demo(120, 40);
    let first = zoomed_title(&s);

    s.send_key(Key::Tab);
    let next = zoomed_title(&s);
    assert_ne!(next, first, "Tab did not move the focus");

    s.send_key(Key::BackTab);
    assert_eq!(
        zoomed_title(&s),
        first,
        "Shift-Tab did not move the focus back"
    );

    s.send_key(Key::BackTab);
    let prev = zoomed_title(&s);
    assert_ne!(prev, first, "Shift-Tab did not move the focus");
    assert_ne!(
        prev, next,
        "Tab and Shift-Tab moved the focus to the same pane"
    );
}

/// The process state letter from /proc (`T` when stopped).
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')')
        .next()?
        .split_whitespace()
        .next()?
        .chars()
        .next()
}

#[test]
fn ctrl_z_gives_the_terminal_back_and_resuming_repaints_everything() {
    let s = demo(100, 30);
    let before = s.raw_output().len();
    s.send("\x1a");
    // Under a job-control shell the process stops; in an orphaned process group (as here,
    // under the test's own pseudo-terminal) the kernel discards SIGTSTP. Either way the
    // terminal must be handed back (main screen, cursor shown) and then fully repainted.
    s.wait_for_output("leaving the alternate screen on ctrl-z", TIMEOUT, |raw| {
        rfind(&raw[before..], b"\x1b[?1049l").is_some()
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while std::time::Instant::now() < deadline {
        if proc_state(s.pid()) == Some('T') {
            s.signal("CONT");
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    s.wait_for_output(
        "re-entering the alternate screen after resume",
        TIMEOUT,
        |raw| {
            let tail = &raw[before..];
            let left = rfind(tail, b"\x1b[?1049l");
            left.is_some_and(|l| rfind(&tail[l..], b"\x1b[?1049h").is_some())
        },
    );
    let raw = s.raw_output();
    let tail = &raw[before..];
    let left = rfind(tail, b"\x1b[?1049l").unwrap();
    assert!(
        tail[left..].starts_with(b"\x1b[?1049l\x1b[?25h"),
        "main screen and cursor shown while suspended: {}",
        escape(&tail[left..left.saturating_add(40).min(tail.len())])
    );
    s.wait_for("all four panes repainted", TIMEOUT, demo_ready);
    // A full repaint: the pane titles were written again after resuming.
    let after_resume = &tail[left..];
    for title in TITLES {
        assert!(
            rfind(after_resume, title.as_bytes()).is_some(),
            "{title} repainted"
        );
    }
}
