//! Journal replay: the line parser, the fold into the console's state, and the exports
//! made from the records (postmortem draft, audit trail).
#![no_main]
use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use warroom::incident::{audit, journal, postmortem};
use warroom::keymap::Keymap;
use warroom::state::{Mode, State, apply_record};

fuzz_target!(|data: &[u8]| {
    let Some(text) = warroom_fuzz::text(data) else {
        return;
    };
    let path = std::path::Path::new("journal.jsonl");
    let records = match journal::parse_lines(path, text, 1, 1) {
        Ok(r) => r,
        Err(e) => {
            warroom_fuzz::assert_clean_lines("journal error", &e.to_string());
            return;
        }
    };
    let now = Utc
        .with_ymd_and_hms(2026, 3, 14, 9, 0, 0)
        .single()
        .expect("time");
    let mut state = State::new(Mode::Live, Keymap::default(), false, now);
    for r in &records {
        apply_record(&mut state, r);
    }
    let audit = audit::render("fuzz", &records);
    warroom_fuzz::assert_clean_lines("audit trail", &audit);
    if let Ok(pm) = postmortem::render(&records, postmortem::DEFAULT_TEMPLATE, now) {
        warroom_fuzz::assert_clean_lines("postmortem", &pm);
    }
});
