//! With the `serde` feature, the AST travels as its canonical string.
#![cfg(feature = "serde")]

use scim_filter::{Filter, PatchPath};

#[test]
fn filter_serializes_as_its_canonical_string() {
    let filter: Filter = serde_json::from_str(r#""userName EQ \"bjensen\"""#).unwrap();
    assert_eq!(
        serde_json::to_string(&filter).unwrap(),
        r#""userName eq \"bjensen\"""#
    );
}

#[test]
fn invalid_filter_is_a_deserialization_error_with_the_offset() {
    let err = serde_json::from_str::<Filter>(r#""userName eq""#).unwrap_err();
    assert!(err.to_string().contains("at byte 11"), "{err}");
    assert!(serde_json::from_str::<Filter>("42").is_err());
}

#[test]
fn patch_path_round_trips() {
    let path: PatchPath = serde_json::from_str(r#""emails[type eq \"work\"].value""#).unwrap();
    let text = serde_json::to_string(&path).unwrap();
    assert_eq!(serde_json::from_str::<PatchPath>(&text).unwrap(), path);
}
