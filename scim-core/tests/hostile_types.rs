//! Issue 17, hostile input: types. Every writable attribute and
//! sub-attribute of User (with the enterprise extension) and Group, given
//! every JSON type that is wrong for it, in a create, a replace and three
//! kinds of PATCH: 400 `invalidValue` naming the attribute, nothing
//! changed. The cases are generated from the schemas, so a new attribute
//! is covered without a new line here.
//!
//! "Wrong" follows the documented leniency of `scim_core::validate`: a
//! number or boolean for a string is read as its text, `"True"` for a
//! boolean and `"42"` for an integer are read, a bare value for a complex
//! attribute with a `value` sub-attribute is that value, and a single
//! value for a multi-valued attribute is a list of one. Those are not
//! wrong; everything else is.

mod hostile_support;

use hostile_support::{Hostile, Raw, check_error, detail_mentions};
use scim_core::schema::{Attribute, AttributeType, Mutability, ResourceType};
use serde_json::{Value, json};

/// Every JSON type, as one value each (two for arrays).
fn every_type() -> Vec<(&'static str, Value)> {
    vec![
        ("a boolean", json!(true)),
        ("an integer", json!(42)),
        ("a decimal", json!(1.5)),
        ("a string", json!("not-a-value")),
        ("an object", json!({"bogus": {"deeper": 1}})),
        ("an empty array", json!([])),
        ("an array of two", json!(["a", "b"])),
        ("an array of arrays", json!([["a"]])),
    ]
}

/// Whether `value` is wrong for a singular simple attribute of `kind`
/// (see the module's note on what the service reads leniently).
fn wrong_for_simple(kind: AttributeType, value: &Value) -> bool {
    match value {
        Value::Array(_) | Value::Object(_) => true,
        Value::Null => false,
        Value::Bool(_) => !matches!(
            kind,
            AttributeType::String
                | AttributeType::Reference
                | AttributeType::Binary
                | AttributeType::Boolean
        ),
        Value::Number(n) => match kind {
            AttributeType::String
            | AttributeType::Reference
            | AttributeType::Binary
            | AttributeType::Decimal => false,
            AttributeType::Integer => !n.is_i64(),
            _ => true,
        },
        Value::String(_) => !matches!(
            kind,
            AttributeType::String | AttributeType::Reference | AttributeType::Binary
        ),
    }
}

/// Whether `value` is wrong for `attr` as a whole.
fn wrong_for(attr: &Attribute, value: &Value) -> bool {
    let element_wrong = |v: &Value| match attr.kind {
        AttributeType::Complex => match v {
            Value::Array(_) => true,
            Value::Object(_) | Value::Null => false,
            scalar => match attr.sub_attributes.iter().find(|s| s.name == "value") {
                Some(sub) => wrong_for_simple(sub.kind, scalar),
                None => true,
            },
        },
        kind => wrong_for_simple(kind, v),
    };
    match value {
        Value::Array(items) if attr.multi_valued => items.iter().any(element_wrong),
        Value::Array(items) => {
            items.len() != 1 || element_wrong(&items[0]) || matches!(items[0], Value::Array(_))
        }
        other => element_wrong(other),
    }
}

/// One attribute (or sub-attribute) to try.
struct Target {
    rtype: &'static str,
    /// The schema URN for an extension attribute, else empty.
    urn: String,
    attr: Attribute,
    /// The parent of a sub-attribute.
    parent: Option<Attribute>,
}

impl Target {
    fn name(&self) -> String {
        match &self.parent {
            Some(p) => format!("{}.{}", p.name, self.attr.name),
            None => self.attr.name.clone(),
        }
    }

    /// The attribute's name in a PATCH path.
    fn path(&self) -> String {
        if self.urn.is_empty() {
            self.name()
        } else {
            format!("{}:{}", self.urn, self.name())
        }
    }

    /// A body member holding `value` at the attribute: `(key, json)`.
    fn member(&self, value: &Value) -> (String, Value) {
        let inner = match &self.parent {
            Some(p) => {
                let element = json!({ self.attr.name.clone(): value });
                let v = if p.multi_valued {
                    json!([element])
                } else {
                    element
                };
                (p.name.clone(), v)
            }
            None => (self.attr.name.clone(), value.clone()),
        };
        if self.urn.is_empty() {
            inner
        } else {
            (self.urn.clone(), json!({ inner.0: inner.1 }))
        }
    }
}

fn targets() -> Vec<Target> {
    let mut out = Vec::new();
    for (id, rtype) in [
        ("User", ResourceType::user()),
        ("Group", ResourceType::group()),
    ] {
        let schemas = std::iter::once((String::new(), rtype.schema().clone())).chain(
            rtype
                .extensions()
                .iter()
                .map(|e| (e.schema.id.clone(), e.schema.clone())),
        );
        for (urn, schema) in schemas {
            for attr in &schema.attributes {
                if attr.mutability == Mutability::ReadOnly {
                    continue;
                }
                out.push(Target {
                    rtype: id,
                    urn: urn.clone(),
                    attr: attr.clone(),
                    parent: None,
                });
                for sub in &attr.sub_attributes {
                    if sub.mutability == Mutability::ReadOnly {
                        continue;
                    }
                    out.push(Target {
                        rtype: id,
                        urn: urn.clone(),
                        attr: sub.clone(),
                        parent: Some(attr.clone()),
                    });
                }
            }
        }
    }
    out
}

/// A valid create body for the type, with `key: value` set.
fn create_body(t: &Target, n: usize, key: &str, value: Value) -> Value {
    let mut body = if t.rtype == "User" {
        json!({"userName": format!("typed-{n}")})
    } else {
        json!({"displayName": format!("typed-{n}")})
    };
    body[key] = value;
    body
}

#[tokio::test]
async fn every_attribute_given_every_wrong_type_is_invalid_value() {
    let h = Hostile::new().await;
    let targets = targets();
    assert!(targets.len() > 60, "only {} attributes", targets.len());
    let mut cases = 0;
    let mut n = 0;
    let mut failures = Vec::new();
    for t in &targets {
        let (endpoint, id) = if t.rtype == "User" {
            ("/Users", &h.users[2])
        } else {
            ("/Groups", &h.groups[1])
        };
        let wrong: Vec<_> = every_type()
            .into_iter()
            .filter(|(_, v)| {
                if t.parent.is_some() {
                    wrong_for_simple(t.attr.kind, v)
                } else {
                    wrong_for(&t.attr, v)
                }
            })
            .collect();
        assert!(!wrong.is_empty(), "no wrong type for {}", t.name());
        for (kind, value) in wrong {
            n += 1;
            let (key, member) = t.member(&value);
            let requests = [
                Raw::new("POST", endpoint).json(&create_body(t, n, &key, member.clone())),
                Raw::new("PUT", format!("{endpoint}/{id}")).json(&create_body(
                    t,
                    n,
                    &key,
                    member.clone(),
                )),
                Raw::new("PATCH", format!("{endpoint}/{id}")).json(&json!({
                    "Operations": [{"op": "replace", "path": t.path(), "value": value}]
                })),
                Raw::new("PATCH", format!("{endpoint}/{id}")).json(&json!({
                    "Operations": [{"op": "add", "path": t.path(), "value": value}]
                })),
                Raw::new("PATCH", format!("{endpoint}/{id}")).json(&json!({
                    "Operations": [{"op": "replace", "value": {key.clone(): member}}]
                })),
            ];
            for (i, raw) in requests.iter().enumerate() {
                let case = format!(
                    "{} {} given {kind} ({} {})",
                    t.rtype,
                    t.name(),
                    raw.method,
                    raw.path
                );
                // A group's members change by adding and removing them: a
                // path into a member is a mutability error whatever the
                // value.
                let scim_type = if (2..=3).contains(&i)
                    && t.parent.as_ref().is_some_and(|p| p.name == "members")
                {
                    "mutability"
                } else {
                    "invalidValue"
                };
                let before = h.snapshot().await;
                let a = h.send(raw).await;
                if a.status != 400
                    || a.json["scimType"] != scim_type
                    || before != h.snapshot().await
                {
                    failures.push(format!("{case}: {} {}", a.status, a.json));
                    continue;
                }
                check_error(&case, &a, 400, Some(scim_type));
                if scim_type == "invalidValue" {
                    detail_mentions(&case, &a, &[&t.attr.name]);
                }
                cases += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    println!("{cases} cases over {} attributes", targets.len());
    assert!(cases > 1000, "only {cases} cases");
}

/// Huge values: a 512 KB string and 20 000-element arrays are read (they
/// are within the body limit) in time linear in their size, and a body
/// past the limit is 413 before any of it is read.
#[tokio::test]
async fn huge_strings_and_arrays() {
    let h = Hostile::new().await;
    let a = h
        .send(
            &Raw::new("POST", "/Users")
                .json(&json!({"userName": "huge", "displayName": "x".repeat(512 * 1024)})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.json["detail"]);
    let phones: Vec<Value> = (0..20_000)
        .map(|i| json!({"value": format!("+{i}")}))
        .collect();
    let a = h
        .send(
            &Raw::new("POST", "/Users").json(&json!({"userName": "many", "phoneNumbers": phones})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.json["detail"]);
    assert_eq!(
        a.json["phoneNumbers"].as_array().map(Vec::len),
        Some(20_000)
    );
    // 20 000 wrong elements: refused on the first, nothing stored.
    let bad: Vec<Value> = (0..20_000).map(|_| json!([["x"]])).collect();
    h.refused(
        "20 000 nested arrays as e-mails",
        &Raw::new("POST", "/Users").json(&json!({"userName": "bad", "emails": bad})),
        400,
        Some("invalidValue"),
    )
    .await;
    h.refused(
        "a 2 MB string",
        &Raw::new("POST", "/Users").json(&json!({"userName": "x".repeat(2 << 20)})),
        413,
        None,
    )
    .await;
}

/// Attribute names no schema defines (odd characters, empty, very long,
/// URN-like, `$ref` at the top): ignored by default (identity providers
/// send attributes an app never registered), refused as `invalidSyntax`
/// when the service rejects unknown attributes; never a 500, and the
/// defined attributes of the body are stored as sent.
#[tokio::test]
async fn odd_attribute_names() {
    let names = [
        String::new(),
        " ".to_owned(),
        "$ref".to_owned(),
        "user name".to_owned(),
        "userName.givenName".to_owned(),
        "emails[type eq \"work\"]".to_owned(),
        "urn:".to_owned(),
        "urn:ietf:params:scim:schemas:core:2.0:User:".to_owned(),
        "urn:ietf:params:scim:schemas:core:2.0:User:nope".to_owned(),
        "urn:x:y:z".to_owned(),
        "\u{202e}emaNresu".to_owned(),
        "ユーザー名".to_owned(),
        "x".repeat(10_000),
        "__proto__".to_owned(),
    ];
    let lenient = Hostile::new().await;
    let strict = Hostile::with(|b| {
        b.strictness(scim_core::validate::Strictness::default().reject_unknown(true))
    })
    .await;
    for (i, name) in names.iter().enumerate() {
        let body = json!({"userName": format!("odd-{i}"), name.clone(): "v"});
        let a = lenient.send(&Raw::new("POST", "/Users").json(&body)).await;
        assert_eq!(a.status, 201, "lenient, {name:?}: {}", a.json);
        assert_eq!(a.json["userName"], format!("odd-{i}"));
        let case = format!("strict, {:?}", name.chars().take(40).collect::<String>());
        strict
            .refused(
                &case,
                &Raw::new("POST", "/Users").json(&body),
                400,
                Some("invalidSyntax"),
            )
            .await;
    }
}
