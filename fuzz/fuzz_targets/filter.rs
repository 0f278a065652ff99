//! Any input: `parse_filter` returns, never panics, and an error's offset
//! is a character boundary inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    if let Err(e) = scim_filter::parse_filter(data) {
        assert!(data.is_char_boundary(e.offset()));
        let _ = e.to_string();
    }
});
