//! Tests of the pty harness itself, against small `/bin/sh` scripts.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use super::pty::{DA1_REPLY, Key, Responder, Session, TIMEOUT, rfind, shell_status};

fn sh(script: &str, cols: u16, rows: u16) -> Session {
    Session::builder("/bin/sh")
        .args(["-c", script])
        .size(cols, rows)
        .spawn()
}

/// Reads an `n`-byte terminal reply in raw mode and prints it with ESC shown as `E`.
fn read_reply_script(query: &str, reply_len: usize) -> String {
    format!(
        "stty raw -echo; printf '{query}'; r=$(dd bs=1 count={reply_len} 2>/dev/null); \
         stty sane; printf '\\r\\ngot:%s:\\r\\n' \"$(printf '%s' \"$r\" | tr '\\033' E)\"; \
         exec sleep 30"
    )
}

#[test]
fn cursor_position_query_is_answered_from_the_emulated_cursor() {
    let s = sh(&read_reply_script("abc\\033[6n", 6), 80, 24);
    // `abc` leaves the cursor on row 1, column 4.
    s.wait_for_text("got:E[1;4R:");
    assert!(s.queries_answered() >= 1);
}

#[test]
fn primary_device_attributes_query_is_answered() {
    let s = sh(&read_reply_script("\\033[c", DA1_REPLY.len()), 80, 24);
    s.wait_for_text("got:E[?62;22c:");
}

#[test]
fn query_split_across_two_reads_is_answered() {
    // The pause makes the reader see `ESC [` and `6n` in separate reads.
    let script = "stty raw -echo; printf 'xy\\033['; sleep 0.5; printf '6n'; \
                  r=$(dd bs=1 count=6 2>/dev/null); stty sane; \
                  printf '\\r\\ngot:%s:\\r\\n' \"$(printf '%s' \"$r\" | tr '\\033' E)\"; \
                  exec sleep 30";
    let s = sh(script, 80, 24);
    s.wait_for_text("got:E[1;3R:");
}

#[test]
fn responder_handles_a_query_split_across_two_chunks() {
    // The same, deterministically, without a pty.
    let mut parser = vt100::Parser::new_with_callbacks(24, 80, 0, Responder::default());
    parser.process(b"\r\n\r\nhello\x1b");
    assert!(parser.callbacks_mut().take_pending().is_empty());
    parser.process(b"[6");
    assert!(parser.callbacks_mut().take_pending().is_empty());
    parser.process(b"n\x1b[");
    assert_eq!(parser.callbacks_mut().take_pending(), b"\x1b[3;6R");
    parser.process(b"c\x1b[>c\x1b[?u");
    // Only the primary device attributes query is answered, as xterm does for these three
    // (crossterm sends `ESC [ ? u` + `ESC [ c` and takes the DA1 reply as "no keyboard
    // enhancement").
    assert_eq!(parser.callbacks_mut().take_pending(), DA1_REPLY);
    assert_eq!(parser.callbacks().answered(), 2);
}

#[test]
fn resize_is_seen_by_the_program_and_the_emulator() {
    let s = sh(
        "echo size:$(stty size); read x; echo size:$(stty size); exec sleep 30",
        80,
        24,
    );
    s.wait_for_text("size:24 80");
    s.resize(100, 30);
    assert_eq!(s.size(), (100, 30));
    s.send_key(Key::Enter);
    s.wait_for_text("size:30 100");
    s.wait_for("a 100x30 screen", TIMEOUT, |screen| {
        screen.size() == (30, 100)
    });
}

#[test]
fn exit_status_and_raw_output_are_reported() {
    let mut s = sh(
        "printf '\\033[?1049h\\033[?25lin alt'; printf '\\033[?25h\\033[?1049l'; exit 3",
        80,
        24,
    );
    let status = s.wait_exit(TIMEOUT);
    assert_eq!(shell_status(&status), Some(3), "{status:?}");
    let raw = s.raw_output();
    let enter = rfind(&raw, b"\x1b[?1049h").expect("entered the alternate screen");
    let leave = rfind(&raw, b"\x1b[?1049l").expect("left the alternate screen");
    assert!(enter < leave);
    assert!(!s.with_screen(vt100::Screen::alternate_screen));
    assert!(!s.with_screen(vt100::Screen::hide_cursor));
}

#[test]
fn signals_are_delivered_and_reported_like_a_shell() {
    for (sig, code) in [("TERM", 143), ("HUP", 129)] {
        let mut s = sh("echo ready; exec sleep 30", 80, 24);
        s.wait_for_text("ready");
        assert!(s.is_running());
        s.signal(sig);
        let status = s.wait_exit(TIMEOUT);
        assert_eq!(shell_status(&status), Some(code), "SIG{sig}: {status:?}");
    }
}

#[test]
fn terminal_mode_is_readable_before_and_after_exit() {
    let s = sh("echo ready; exec sleep 30", 80, 24);
    s.wait_for_text("ready");
    assert_eq!(s.cooked_mode(), Some(true));

    let mut s = sh("stty raw -echo; echo ready; exit 0", 80, 24);
    s.wait_exit(TIMEOUT);
    assert!(s.screen_text().contains("ready"));
    assert_eq!(
        s.cooked_mode(),
        Some(false),
        "a program that left raw mode on"
    );
}

#[test]
fn environment_is_isolated() {
    let script = "echo home=$HOME; echo cfg=$XDG_CONFIG_HOME; echo state=$XDG_STATE_HOME; \
                  echo nc=${NO_COLOR-unset} wc=${WARROOM_CONFIG-unset} term=$TERM extra=$EXTRA; \
                  test -d \"$HOME\" && test -d \"$XDG_CACHE_HOME\" && test -d \"$XDG_DATA_HOME\" \
                  && echo dirs-exist; exec sleep 30";
    let b = Session::builder("/bin/sh")
        .args(["-c", script])
        .size(200, 24)
        .env("EXTRA", "yes");
    let home = b.home();
    let config = b.config_home();
    let s = b.spawn();
    s.wait_for_text("dirs-exist");
    let text = s.screen_text();
    assert!(text.contains(&format!("home={}", home.display())), "{text}");
    assert!(
        text.contains(&format!("cfg={}", config.display())),
        "{text}"
    );
    assert!(
        text.contains("nc=unset wc=unset term=xterm-256color extra=yes"),
        "{text}"
    );

    let s = Session::builder("/bin/sh")
        .args(["-c", "echo nc=${NO_COLOR-unset}; exec sleep 30"])
        .env("NO_COLOR", "1")
        .spawn();
    s.wait_for_text("nc=1");
}

#[test]
fn keys_are_encoded_like_xterm() {
    assert_eq!(Key::BackTab.bytes(false), b"\x1b[Z");
    assert_eq!(Key::Up.bytes(false), b"\x1b[A");
    assert_eq!(Key::Up.bytes(true), b"\x1bOA");
    assert_eq!(Key::Ctrl('C').bytes(false), [3]);
    assert_eq!(Key::Char('é').bytes(false), "é".as_bytes());
}

#[test]
fn a_timed_out_wait_names_what_it_waited_for_and_shows_the_screen() {
    let s = sh("echo visible-marker; exec sleep 30", 80, 24);
    s.wait_for_text("visible-marker");
    let err = catch_unwind(AssertUnwindSafe(|| {
        s.wait_for("the impossible", Duration::from_millis(200), |_| false);
    }))
    .expect_err("a wait that cannot succeed must panic");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("the impossible"), "{msg}");
    assert!(msg.contains("visible-marker"), "{msg}");
}
