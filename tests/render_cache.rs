//! The frame cache must never change what is drawn: the demo played for twenty minutes with
//! keys along the way, each frame drawn through one long-lived cache, equals the frame drawn
//! from nothing; every cell outside the damage the frame reports equals the last frame's; and
//! a terminal fed only the cells the screen sends for that damage shows every frame exactly.

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use warroom::sources::demo::{DemoPlayer, Scenario};
use warroom::state::{Event, Mode, State, update};
use warroom::term::screen::Screen;
use warroom::theme::Theme;
use warroom::ui::{self, Cache, Damage};

use crate::common::{at, journal_in_memory, key, t0};

fn fresh(state: &State, theme: &Theme, area: Rect) -> Buffer {
    let mut buf = Buffer::empty(area);
    ui::draw_into(&mut buf, state, theme, &mut Cache::default(), false);
    buf
}

/// Keys pressed at given seconds: focus moves, zoom, help and a runbook walk, so overlays
/// open and close and the layout changes under the cache.
const KEYS: &[(i64, &str)] = &[
    (20, "tab"),
    (31, "z"),
    (40, "z"),
    (45, "?"),
    (47, "esc"),
    (60, "backtab"),
    (61, "enter"),
    (62, "enter"),
    (63, "1"),
    (90, "j"),
    (91, "k"),
    (120, "f"),
    (122, "esc"),
    (200, "tab"),
    (201, "tab"),
    (400, "d"),
    (402, "esc"),
];

#[test]
fn cached_frames_equal_fresh_frames_and_damage_covers_every_change() {
    let theme = Theme::default();
    for (w, h) in [(120, 40), (80, 24)] {
        let area = Rect::new(0, 0, w, h);
        let mut state = State::new(Mode::Demo, warroom::keymap::Keymap::default(), false, t0());
        let mut player = DemoPlayer::new(Scenario::embedded().unwrap(), t0());
        // As the demo console does: its own incident, so the incident banner and clocks show.
        let effects = state.open_incident("demo incident".into(), warroom::state::Severity::P1);
        journal_in_memory(&mut state, effects);
        let mut cache = Cache::default();
        let mut shown = Buffer::empty(area);
        // The same frames through the screen, with a cache of its own, onto a terminal.
        let mut screen = Screen::new(TestBackend::new(w, h));
        let mut screen_cache = Cache::default();
        let mut partial_frames = 0;
        for s in 0..1200 {
            for ev in player.advance(at(s)) {
                let effects = update(&mut state, ev);
                journal_in_memory(&mut state, effects);
            }
            let effects = update(&mut state, Event::Tick(at(s)));
            journal_in_memory(&mut state, effects);
            for (_, k) in KEYS.iter().filter(|(t, _)| *t == s) {
                let effects = update(&mut state, key(k));
                journal_in_memory(&mut state, effects);
            }
            let mut next = Buffer::empty(area);
            let damage = ui::draw_into(&mut next, &state, &theme, &mut cache, false);
            assert_eq!(next, fresh(&state, &theme, area), "{w}x{h} at {s} s");
            if let Damage::Rects(rects) = &damage {
                partial_frames += 1;
                for y in 0..h {
                    for x in 0..w {
                        let inside = rects.iter().any(|r| r.contains((x, y).into()));
                        if !inside {
                            assert_eq!(
                                next[(x, y)],
                                shown[(x, y)],
                                "{w}x{h} at {s} s: ({x},{y}) changed outside {rects:?}"
                            );
                        }
                    }
                }
            }
            screen
                .draw(|buf, holds_last| {
                    ui::draw_into(buf, &state, &theme, &mut screen_cache, holds_last)
                })
                .unwrap();
            assert_eq!(
                screen.backend().buffer(),
                &next,
                "{w}x{h} at {s} s: the terminal differs from the frame"
            );
            shown = next;
        }
        // Most seconds change only some regions: the cache is doing its work.
        assert!(
            partial_frames > 1000,
            "{w}x{h}: {partial_frames} partial frames"
        );
        let (hits, misses) = cache.stats();
        eprintln!(
            "{w}x{h}: {partial_frames} partial frames, {hits} regions copied, {misses} drawn"
        );
        assert!(
            hits > misses,
            "{w}x{h}: {hits} regions copied, {misses} drawn"
        );
    }
}
