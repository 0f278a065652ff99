//! Any input: `parse_path` and `parse_attr_path` return, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    if let Ok(path) = scim_filter::parse_path(data) {
        assert_eq!(scim_filter::parse_path(&path.to_string()), Ok(path));
    }
    let _ = scim_filter::parse_attr_path(data);
});
