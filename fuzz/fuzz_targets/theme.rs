//! Theme files (YAML).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = warroom_fuzz::text(data) else {
        return;
    };
    match warroom::theme::parse("fuzz", text) {
        Ok(theme) => {
            let _ = theme.monochrome();
        }
        Err(e) => warroom_fuzz::assert_clean_lines("theme error", &e.to_string()),
    }
});
