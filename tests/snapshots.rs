//! The whole screen on ratatui's TestBackend, driven through the real keymap at a fixed
//! clock. Review every `.snap` change: it is what a person sees.

use insta::assert_snapshot;

use crate::common::{demo_state, press, render, screen};

#[test]
fn demo_wide_120x40() {
    assert_snapshot!(screen(&demo_state(90), 120, 40));
}

#[test]
fn demo_narrow_80x24() {
    assert_snapshot!(screen(&demo_state(90), 80, 24));
}

#[test]
fn runbook_branch_chosen_120x40() {
    let mut s = demo_state(90);
    press(&mut s, &["enter", "enter", "1"]);
    assert_snapshot!(screen(&s, 120, 40));
}

#[test]
fn runbook_mitigation_step_80x24() {
    let mut s = demo_state(90);
    press(&mut s, &["enter", "enter", "1", "1", "1"]);
    assert_snapshot!(screen(&s, 80, 24));
}

#[test]
fn help_overlay_80x24() {
    let mut s = demo_state(90);
    press(&mut s, &["?"]);
    assert_snapshot!(screen(&s, 80, 24));
}

#[test]
fn confirm_quit_120x40() {
    let mut s = demo_state(90);
    press(&mut s, &["q"]);
    assert_snapshot!(screen(&s, 120, 40));
}

#[test]
fn zoomed_drill_80x24() {
    let mut s = demo_state(400);
    press(&mut s, &["backtab", "z"]);
    assert_snapshot!(screen(&s, 80, 24));
}

#[test]
fn drill_finished_120x40() {
    assert_snapshot!(screen(&demo_state(13 * 60 + 30), 120, 40));
}

#[test]
fn too_small_30x10() {
    assert_snapshot!(screen(&demo_state(5), 30, 10));
}

/// Every size from 1x1 up draws without panicking, with and without overlays and zoom.
#[test]
fn no_size_panics() {
    let mut states = vec![demo_state(30)];
    let mut help = demo_state(30);
    press(&mut help, &["?"]);
    states.push(help);
    let mut quit = demo_state(30);
    press(&mut quit, &["q", "tab"]);
    states.push(quit);
    let mut zoom = demo_state(30);
    press(&mut zoom, &["enter", "z"]);
    states.push(zoom);
    for s in &states {
        for w in (1..=130).step_by(7).chain([39, 40, 119, 120]) {
            for h in (1..=45).step_by(4).chain([11, 12, 29, 30]) {
                let t = render(s, w, h);
                assert_eq!(t.backend().buffer().area.width, w);
            }
        }
    }
}
