//! Property tests: no input panics, and the canonical form of any tree
//! parses back to that tree.

use proptest::prelude::*;
use scim_filter::{
    AttrPath, CompValue, CompareOp, Filter, Number, PatchPath, ValuePath, parse_attr_path,
    parse_filter, parse_path,
};

const URIS: &[&str] = &[
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:acme:params:scim:schemas:extension:acme:2.0:User",
    "URN:x-1.2:v3",
];

fn attr_name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
        1 => Just("$ref".to_owned()),
        1 => prop::sample::select(vec!["not", "and", "or", "pr", "eq", "urn", "true", "null"])
            .prop_map(str::to_owned),
    ]
}

fn attr_path() -> impl Strategy<Value = AttrPath<'static>> {
    (
        prop::option::weighted(0.2, prop::sample::select(URIS)),
        attr_name(),
        prop::option::weighted(0.3, attr_name()),
    )
        .prop_map(|(uri, name, sub_attr)| AttrPath {
            uri: uri.map(Into::into),
            name: name.into(),
            sub_attr: sub_attr.map(Into::into),
        })
}

fn comp_value() -> impl Strategy<Value = CompValue<'static>> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        any::<i64>().prop_map(CompValue::from),
        "-?(0|[1-9][0-9]{0,6})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?".prop_map(|s| {
            CompValue::Number(Number::parse(&s).expect("a JSON number").into_owned())
        }),
        any::<String>().prop_map(CompValue::from),
    ]
}

fn op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(CompareOp::ALL.to_vec())
}

fn leaf() -> impl Strategy<Value = Filter<'static>> {
    prop_oneof![
        3 => (attr_path(), op(), comp_value())
            .prop_map(|(path, op, value)| Filter::Compare { path, op, value }),
        1 => attr_path().prop_map(Filter::Present),
    ]
}

/// Trees without value paths: what may stand inside `[...]`.
fn val_filter() -> impl Strategy<Value = Filter<'static>> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|f| Filter::Not(Box::new(f))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
            prop::collection::vec(inner, 2..4).prop_map(Filter::Or),
        ]
    })
}

fn value_path() -> impl Strategy<Value = ValuePath<'static>> {
    (attr_path(), val_filter()).prop_map(|(attr, filter)| ValuePath {
        attr,
        filter: Box::new(filter),
    })
}

fn filter() -> impl Strategy<Value = Filter<'static>> {
    prop_oneof![3 => leaf(), 1 => value_path().prop_map(Filter::ValuePath)].prop_recursive(
        4,
        32,
        4,
        |inner| {
            prop_oneof![
                inner.clone().prop_map(|f| Filter::Not(Box::new(f))),
                prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
                prop::collection::vec(inner, 2..4).prop_map(Filter::Or),
            ]
        },
    )
}

fn patch_path() -> impl Strategy<Value = PatchPath<'static>> {
    prop_oneof![
        attr_path().prop_map(PatchPath::Attr),
        (value_path(), prop::option::of(attr_name())).prop_map(|(value_path, sub_attr)| {
            PatchPath::Value {
                value_path,
                sub_attr: sub_attr.map(Into::into),
            }
        }),
    ]
}

/// Fragments of filter syntax, so that random inputs get past the first
/// token more often than random characters do.
fn token_soup() -> impl Strategy<Value = String> {
    let tokens = vec![
        "(", ")", "[", "]", "not", "and", "or", " ", " ", "eq", "pr", "sw", "\"", "\"x\"", "\\",
        "\\u", "d83d", "urn:", ":", ".", "a", "$ref", "1", "-", "e", "true", "\t", "é", "emails",
    ];
    prop::collection::vec(prop::sample::select(tokens), 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn canonical_form_reparses_to_the_same_filter(f in filter()) {
        let text = f.to_string();
        prop_assert_eq!(parse_filter(&text), Ok(f), "canonical form: {}", text);
    }

    #[test]
    fn canonical_form_reparses_to_the_same_path(p in patch_path()) {
        let text = p.to_string();
        prop_assert_eq!(parse_path(&text), Ok(p), "canonical form: {}", text);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        check_no_panic(&s);
    }

    #[test]
    fn token_soup_never_panics(s in token_soup()) {
        check_no_panic(&s);
    }
}

/// Parsing never panics, an error's offset lies inside the input on a
/// character boundary, its message renders, and whatever parses round-trips.
fn check_no_panic(s: &str) {
    for result in [
        parse_filter(s).map(|f| f.to_string()),
        parse_path(s).map(|p| p.to_string()),
        parse_attr_path(s).map(|p| p.to_string()),
    ] {
        match result {
            Ok(text) => assert!(
                parse_filter(&text).is_ok()
                    || parse_path(&text).is_ok()
                    || parse_attr_path(&text).is_ok()
            ),
            Err(e) => {
                assert!(e.offset() <= s.len());
                assert!(s.is_char_boundary(e.offset()));
                assert!(!e.to_string().is_empty());
            }
        }
    }
}
