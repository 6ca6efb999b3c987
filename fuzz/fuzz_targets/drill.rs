//! Drill files (YAML) and the markdown drill log they are compared through.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = warroom_fuzz::text(data) else {
        return;
    };
    if let Err(d) = warroom::drill::model::parse("drills/fuzz.yaml", text) {
        warroom_fuzz::assert_clean_lines("drill diagnostic", &d.to_string());
    }
    if let Err(e) = warroom::drill::log::parse(std::path::Path::new("drill-log.md"), text) {
        warroom_fuzz::assert_clean_lines("drill log error", &e.to_string());
    }
});
