//! Properties over generated input: validation, PATCH and rendering never
//! panic on any JSON, validated output is canonical (validating it again
//! changes nothing), and a PATCH followed by its inverse gives the resource
//! back.

use proptest::prelude::*;
use scim_core::patch::{PatchOperation, PatchRequest, apply};
use scim_core::render::{Projection, render};
use scim_core::schema::ResourceType;
use scim_core::urn::ENTERPRISE_USER;
use scim_core::validate::{Strictness, check_immutable, check_required, normalize};
use scim_core::{Resource, eval};
use serde_json::{Map, Value, json};

/// Keys that name attributes (in several cases), sub-attributes, URNs and
/// server-owned names, plus a few arbitrary strings.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "userName", "USERNAME", "name", "givenName", "familyName", "displayName",
            "title", "active", "emails", "value", "type", "primary", "display",
            "phoneNumbers", "addresses", "groups", "members", "manager", "department",
            "employeeNumber", "schemas", "id", "meta", "externalId", "password",
            "roles", "x509Certificates", "$ref", "locale", "timezone",
            ENTERPRISE_USER,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "urn:ietf:params:scim:schemas:core:2.0:User:userName",
            "urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
            "urn:", "name.givenName", "emails[type eq \"work\"].value",
        ])
        .prop_map(str::to_owned),
        1 => "[a-zA-Z:.$\\[\\] \"]{0,12}",
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(vec![
            "",
            " ",
            "True",
            "False",
            "true",
            "work",
            "Work",
            "pager",
            "42",
            "4.5",
            "2011-05-13T04:42:34Z",
            "2011-05-13T04:42:34",
            "not a date",
            "add",
            "Replace",
            "remove",
            "members",
            "emails[type eq \"work\"].value",
            "bjensen@example.com",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
        ".{0,16}".prop_map(Value::String),
    ]
}

/// Any JSON, with objects keyed like SCIM bodies.
fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A JSON object (what a POST/PUT body mostly is).
fn body() -> impl Strategy<Value = Value> {
    prop::collection::vec((key(), json_value()), 0..10)
        .prop_map(|kv| Value::Object(kv.into_iter().collect()))
}

fn strictnesses() -> [Strictness; 3] {
    [
        Strictness::default(),
        Strictness::default().reject_unknown(true),
        Strictness::default().enforce_canonical(false),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn validation_never_panics(body in body(), other in json_value()) {
        for rtype in [ResourceType::user(), ResourceType::group()] {
            for strictness in strictnesses() {
                let Ok(attrs) = normalize(&rtype, body.clone(), strictness) else { continue };
                let _ = check_required(&rtype, &attrs);
                if let Ok(mut new) = normalize(&rtype, other.clone(), strictness) {
                    let _ = check_immutable(&rtype, &attrs, &mut new);
                }
                // Whatever validates renders.
                let resource = Resource::new("1", attrs);
                let _ = render(&rtype, &resource, &Map::new(), &Projection::all(), "https://x");
            }
        }
        let _ = normalize(&ResourceType::user(), other.clone(), Strictness::default());
    }

    #[test]
    fn validated_output_is_canonical(body in body()) {
        for rtype in [ResourceType::user(), ResourceType::group()] {
            let strictness = Strictness::default();
            if let Ok(attrs) = normalize(&rtype, body.clone(), strictness) {
                let again = normalize(&rtype, Value::Object(attrs.clone()), strictness);
                prop_assert_eq!(again.as_ref().ok(), Some(&attrs), "{}", body);
            }
        }
    }

    #[test]
    fn patch_parsing_and_applying_never_panic(
        ops in prop::collection::vec(
            (prop::sample::select(vec!["add", "Replace", "remove", "copy"]),
             prop::option::of(prop_oneof![
                 key(),
                 Just("emails[type eq \"work\"].value".to_owned()),
                 Just("emails[type eq \"Home\"]".to_owned()),
                 Just("phoneNumbers[type eq \"mobile\" and primary eq true].value".to_owned()),
                 Just("addresses[type eq \"work\"].locality".to_owned()),
                 Just("members[value eq \"1\"]".to_owned()),
                 Just("emails[value co \"x\"]".to_owned()),
                 Just(format!("{ENTERPRISE_USER}:manager.value")),
                 "[a-zA-Z\\[\\]\". ]{0,20}",
             ]),
             prop::option::of(json_value())),
            0..6),
        user in valid_user(),
    ) {
        let operations: Vec<Value> = ops
            .into_iter()
            .map(|(op, path, value)| {
                let mut o = json!({"op": op});
                if let Some(p) = path { o["path"] = json!(p); }
                if let Some(v) = value { o["value"] = v; }
                o
            })
            .collect();
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations});
        if let Ok(request) = PatchRequest::parse(&body) {
            let group = normalize(
                &ResourceType::group(),
                json!({"displayName": "Tour Guides", "members": [{"value": "1"}]}),
                Strictness::default(),
            )
            .expect("the group validates");
            for (rtype, doc) in [(ResourceType::user(), &user), (ResourceType::group(), &group)] {
                for strictness in strictnesses() {
                    if let Ok(out) = apply(&rtype, doc, &request.operations, strictness) {
                        let _ = check_required(&rtype, &out);
                        // What PATCH produces is canonical, as validation's
                        // output is.
                        let again = normalize(&rtype, Value::Object(out.clone()), strictness);
                        prop_assert_eq!(again.as_ref().ok(), Some(&out), "{}", body);
                    }
                }
            }
        }
    }

    #[test]
    fn filters_evaluate_without_panicking(user in valid_user(), literal in scalar()) {
        let users = ResourceType::user();
        let resource = Resource::new("1", user);
        let text = match &literal {
            Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
            other => other.to_string(),
        };
        for path in ["userName", "active", "emails.value", "emails", "name", "meta.created", "title", "department"] {
            for op in ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"] {
                if let Ok(f) = scim_core::filter::parse_filter(&format!("{path} {op} {text}")) {
                    let _ = eval::matches(&users, &resource, &f);
                }
            }
        }
    }
}

// ---- PATCH and its inverse ----

/// A value that survives validation unchanged and fits in a filter literal.
fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9.@_-]{0,15}"
}

/// A validated user with some of the attributes identity providers send.
fn valid_user() -> impl Strategy<Value = Map<String, Value>> {
    (
        word(),
        prop::option::of(word()),
        prop::option::of((word(), word())),
        prop::collection::btree_set(word(), 0..4),
        prop::option::of(any::<bool>()),
        prop::option::of(word()),
        any::<prop::sample::Index>(),
    )
        .prop_map(
            |(user_name, title, name, emails, active, department, primary)| {
                let mut body = json!({"userName": user_name});
                if let Some(t) = title {
                    body["title"] = json!(t);
                }
                if let Some((given, family)) = name {
                    body["name"] = json!({"givenName": given, "familyName": family});
                }
                let emails: Vec<Value> = emails
                    .iter()
                    .enumerate()
                    .map(|(n, e)| {
                        let kind = ["work", "home", "other"][n % 3];
                        let mut v = json!({"value": e, "type": kind});
                        if primary.index(4) == n {
                            v["primary"] = json!(true);
                        }
                        v
                    })
                    .collect();
                if !emails.is_empty() {
                    body["emails"] = Value::Array(emails);
                }
                if let Some(a) = active {
                    body["active"] = json!(a);
                }
                if let Some(d) = department {
                    body[ENTERPRISE_USER] = json!({"department": d});
                }
                normalize(&ResourceType::user(), body.clone(), Strictness::default())
                    .expect("a generated user validates")
            },
        )
}

fn op(op: &str, path: &str, value: Option<Value>) -> PatchOperation {
    let mut o = json!({"op": op, "path": path});
    if let Some(v) = value {
        o["value"] = v;
    }
    PatchRequest::parse(&json!({"Operations": [o]}))
        .expect("a valid operation")
        .operations
        .remove(0)
}

fn patched(user: &Map<String, Value>, ops: &[PatchOperation]) -> Map<String, Value> {
    apply(&ResourceType::user(), user, ops, Strictness::default()).expect("the PATCH applies")
}

/// Simple attributes, by path, and where they sit in the attributes.
fn simple_paths() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "title",
        "nickName",
        "displayName",
        "name.givenName",
        "name.middleName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    ])
}

fn read<'a>(attrs: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let (container, rest) = match path.strip_prefix(&format!("{ENTERPRISE_USER}:")) {
        Some(rest) => (attrs.get(ENTERPRISE_USER)?.as_object()?, rest),
        None => (attrs, path),
    };
    match rest.split_once('.') {
        Some((a, b)) => container.get(a)?.get(b),
        None => container.get(rest),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn add_then_remove_restores(user in valid_user(), path in simple_paths(), value in word()) {
        // Start without the attribute.
        let user = patched(&user, &[op("remove", path, None)]);
        prop_assert_eq!(read(&user, path), None);
        let added = patched(&user, &[op("add", path, Some(json!(value)))]);
        prop_assert_eq!(read(&added, path), Some(&json!(value)));
        let back = patched(&added, &[op("remove", path, None)]);
        prop_assert_eq!(back, user);
    }

    #[test]
    fn replace_then_replace_back_restores(user in valid_user(), path in simple_paths(), first in word(), second in word()) {
        // Give the attribute a value first, then swap it and swap it back.
        let start = patched(&user, &[op("replace", path, Some(json!(first)))]);
        let swapped = patched(&start, &[op("Replace", path, Some(json!(second)))]);
        prop_assert_eq!(read(&swapped, path), Some(&json!(second)));
        let back = patched(&swapped, &[op("Replace", path, Some(json!(first)))]);
        prop_assert_eq!(back, start);
    }

    #[test]
    fn replace_of_a_multi_valued_attribute_then_back_restores(user in valid_user(), value in word()) {
        let Some(emails) = user.get("emails").cloned() else { return Ok(()) };
        let swapped = patched(&user, &[op("replace", "emails", Some(json!([{"value": value, "type": "other"}])))]);
        prop_assert_eq!(swapped["emails"].as_array().map(Vec::len), Some(1));
        let back = patched(&swapped, &[op("replace", "emails", Some(emails))]);
        prop_assert_eq!(back, user);
    }

    #[test]
    fn add_an_email_then_remove_it_by_filter_restores(user in valid_user(), value in word()) {
        let taken = user.get("emails").and_then(Value::as_array).is_some_and(|emails| {
            emails.iter().any(|e| e["value"].as_str().is_some_and(|v| v.eq_ignore_ascii_case(&value)))
        });
        prop_assume!(!taken);
        let added = patched(&user, &[op("add", "emails", Some(json!([{"value": value, "type": "other"}])))]);
        let count = |m: &Map<String, Value>| m.get("emails").and_then(Value::as_array).map_or(0, Vec::len);
        prop_assert_eq!(count(&added), count(&user) + 1);
        let back = patched(&added, &[op("remove", &format!("emails[value eq \"{value}\"]"), None)]);
        prop_assert_eq!(back, user);
    }

    #[test]
    fn upsert_by_filter_then_remove_restores(user in valid_user(), value in word()) {
        // Entra's `emails[type eq "work"].value` creates the work e-mail when
        // there is none; removing that element gives the user back.
        let user = patched(&user, &[op("remove", "emails[type eq \"work\"]", None)]);
        let added = patched(&user, &[op("add", "emails[type eq \"work\"].value", Some(json!(value)))]);
        prop_assert!(added["emails"].as_array().is_some_and(|e| e.iter().any(|e| e["type"] == "work" && e["value"] == json!(value))));
        let back = patched(&added, &[op("remove", "emails[type eq \"work\"]", None)]);
        prop_assert_eq!(back, user);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// `fold_case` is Unicode lower-casing (its ASCII shortcut included),
    /// and borrows exactly when nothing changes.
    #[test]
    fn fold_case_is_lowercase(s in prop_oneof![
        "[ -~]{0,24}",
        "[a-zA-Z0-9@.İΣßǅẞK\u{0130}\u{212A}é]{0,12}",
        any::<String>(),
    ]) {
        let folded = eval::fold_case(&s);
        prop_assert_eq!(folded.as_ref(), s.to_lowercase());
        prop_assert_eq!(
            matches!(folded, std::borrow::Cow::Borrowed(_)),
            s.to_lowercase() == s
        );
    }
}
