//! The config file (YAML).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = warroom_fuzz::text(data) else {
        return;
    };
    if let Err(e) = warroom::config::parse(std::path::Path::new("config.yaml"), text) {
        warroom_fuzz::assert_clean_lines("config error", &e.to_string());
    }
});
