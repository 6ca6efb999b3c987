//! Runbook markdown: parse, then lint what parsed.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = warroom_fuzz::text(data) else {
        return;
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 14).expect("date");
    match warroom::runbook::parse::parse("fuzz", "fuzz.md", text) {
        Ok(parsed) => {
            for d in warroom::runbook::lint::lint(&parsed, today) {
                warroom_fuzz::assert_clean_lines("lint diagnostic", &d.to_string());
            }
            let rb = &parsed.runbook;
            warroom_fuzz::assert_clean("runbook title", &rb.title);
            for step in &rb.steps {
                warroom_fuzz::assert_clean("step title", &step.title);
                for b in &step.branches {
                    warroom_fuzz::assert_clean("branch label", &b.label);
                }
            }
        }
        Err(d) => warroom_fuzz::assert_clean_lines("parse diagnostic", &d.to_string()),
    }
});
