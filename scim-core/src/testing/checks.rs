//! Expectations for [`Scenario::check_with`]: small checks over a reply
//! (array lengths, elements, substrings, error bodies, captured values).
//! Each returns a [`Check`]; `{{var}}` placeholders in expected values are
//! substituted.
//!
//! ```
//! use scim_core::testing::{Scenario, checks::{error, len}};
//!
//! let mut s = Scenario::new("lists");
//! s.get("/Users").status(200).check_with(len("/Resources", 0));
//! s.get("/Users/unknown").check_with(error(404, None));
//! ```
//!
//! [`Scenario::check_with`]: super::Scenario::check_with

use serde_json::Value;

use super::scenario::{Check, Reply, Vars, substitute_json};
use crate::urn::ERROR;

fn at<'a>(r: &'a Reply, pointer: &str) -> Result<&'a Value, String> {
    r.json
        .pointer(pointer)
        .ok_or_else(|| format!("{pointer}: nothing there"))
}

/// The array at `pointer` has `n` elements (a missing array has none).
#[must_use]
pub fn len(pointer: &str, n: usize) -> Check {
    let pointer = pointer.to_owned();
    Box::new(move |r, _| {
        let got = match r.json.pointer(&pointer) {
            None | Some(Value::Null) => 0,
            Some(Value::Array(a)) => a.len(),
            Some(other) => return Err(format!("{pointer}: expected an array, got {other}")),
        };
        if got == n {
            Ok(())
        } else {
            Err(format!("{pointer}: expected {n} elements, got {got}"))
        }
    })
}

fn subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| subset(v, av))),
        (Value::Array(e), Value::Array(a)) => e.iter().all(|ev| a.iter().any(|av| subset(ev, av))),
        (e, a) => e == a,
    }
}

/// How many elements of the array at `pointer` contain `element` (a
/// subset match, `{{var}}` substituted).
fn count_matching(r: &Reply, vars: &Vars, pointer: &str, element: &Value) -> Result<usize, String> {
    let element = substitute_json(element, vars);
    match r.json.pointer(pointer) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Array(a)) => Ok(a.iter().filter(|v| subset(&element, v)).count()),
        Some(other) => Err(format!("{pointer}: expected an array, got {other}")),
    }
}

/// Exactly `n` elements of the array at `pointer` contain `element`.
#[must_use]
pub fn count(pointer: &str, element: Value, n: usize) -> Check {
    let pointer = pointer.to_owned();
    Box::new(move |r, vars| {
        let got = count_matching(r, vars, &pointer, &element)?;
        if got == n {
            Ok(())
        } else {
            Err(format!(
                "{pointer}: expected {n} elements like {element}, got {got}"
            ))
        }
    })
}

/// Some element of the array at `pointer` contains `element`.
#[must_use]
pub fn has(pointer: &str, element: Value) -> Check {
    let pointer = pointer.to_owned();
    Box::new(move |r, vars| {
        if count_matching(r, vars, &pointer, &element)? > 0 {
            Ok(())
        } else {
            Err(format!("{pointer}: no element like {element}"))
        }
    })
}

/// No element of the array at `pointer` contains `element`.
#[must_use]
pub fn lacks(pointer: &str, element: Value) -> Check {
    count(pointer, element, 0)
}

/// The string at `pointer` contains `text` (case-insensitively, `{{var}}`
/// substituted).
#[must_use]
pub fn contains(pointer: &str, text: &str) -> Check {
    let (pointer, text) = (pointer.to_owned(), text.to_owned());
    Box::new(move |r, vars| {
        let text = substitute_json(&Value::String(text.clone()), vars);
        let text = text.as_str().unwrap_or_default().to_ascii_lowercase();
        match at(r, &pointer)?.as_str() {
            Some(s) if s.to_ascii_lowercase().contains(&text) => Ok(()),
            other => Err(format!(
                "{pointer}: expected to contain {text:?}, got {other:?}"
            )),
        }
    })
}

/// The value at `pointer` is missing, `null`, `""`, `[]` or `{}`.
#[must_use]
pub fn empty_or_absent(pointer: &str) -> Check {
    let pointer = pointer.to_owned();
    Box::new(move |r, _| match r.json.pointer(&pointer) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if s.is_empty() => Ok(()),
        Some(Value::Array(a)) if a.is_empty() => Ok(()),
        Some(Value::Object(o)) if o.is_empty() => Ok(()),
        Some(v) => Err(format!("{pointer}: expected nothing, got {v}")),
    })
}

/// The value at `pointer` differs from `value` (`{{var}}` substituted).
#[must_use]
pub fn not_equal(pointer: &str, value: Value) -> Check {
    let pointer = pointer.to_owned();
    Box::new(move |r, vars| {
        let value = substitute_json(&value, vars);
        let got = at(r, &pointer)?;
        if *got == value {
            Err(format!("{pointer}: expected anything but {value}"))
        } else {
            Ok(())
        }
    })
}

/// An RFC 7644 §3.12 error body with this status and (if given) scimType.
#[must_use]
pub fn error(status: u16, scim_type: Option<&str>) -> Check {
    let scim_type = scim_type.map(str::to_owned);
    Box::new(move |r, _| {
        let schemas = at(r, "/schemas")?;
        if !schemas
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s == ERROR))
        {
            return Err(format!(
                "/schemas: expected the error schema, got {schemas}"
            ));
        }
        let got = at(r, "/status")?;
        if *got != Value::String(status.to_string()) {
            return Err(format!("/status: expected \"{status}\", got {got}"));
        }
        if let Some(t) = &scim_type {
            let got = at(r, "/scimType")?;
            if got != t {
                return Err(format!("/scimType: expected {t:?}, got {got}"));
            }
        }
        match r.json.pointer("/detail").and_then(Value::as_str) {
            Some(d) if !d.is_empty() => Ok(()),
            _ => Err("/detail: expected a message a person can act on".to_owned()),
        }
    })
}

/// The body is empty (HEAD, 204, 304).
#[must_use]
pub fn no_body() -> Check {
    Box::new(|r, _| {
        if r.body.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "expected no body, got {}",
                String::from_utf8_lossy(&r.body)
            ))
        }
    })
}

/// The value at `pointer` is the one [`Scenario::capture`] stored as
/// `name`: the same string, or for any other value the same JSON (the
/// pointer `""` compares whole bodies, to show that a refused write
/// changed nothing).
///
/// ```
/// use scim_core::testing::{Scenario, checks::captured};
/// use serde_json::json;
///
/// let mut s = Scenario::new("a refused write changes nothing");
/// s.post("/Users", json!({"userName": "a"})).capture("id", "/id");
/// s.get("/Users/{{id}}").capture("before", "");
/// s.put("/Users/{{id}}", json!({"active": "maybe"})).status(400);
/// s.get("/Users/{{id}}").check_with(captured("", "before"));
/// ```
///
/// [`Scenario::capture`]: super::Scenario::capture
#[must_use]
pub fn captured(pointer: &str, name: &str) -> Check {
    let (pointer, name) = (pointer.to_owned(), name.to_owned());
    Box::new(move |r, vars| {
        let want = vars
            .get(&name)
            .ok_or_else(|| format!("nothing was captured as {name}"))?;
        let got = at(r, &pointer)?;
        let same = match got {
            Value::String(s) => s == want,
            other => serde_json::from_str::<Value>(want).is_ok_and(|w| w == *other),
        };
        if same {
            Ok(())
        } else {
            Err(format!(
                "{pointer}: expected {{{{{name}}}}} = {want}, got {got}"
            ))
        }
    })
}

/// The value at `field` (a JSON pointer inside each element) of every
/// element of the array at `pointer`, in order, makes up `expected` (an
/// array, `{{var}}` substituted). A missing array has no elements, an
/// element without `field` gives `null`.
///
/// ```
/// use scim_core::testing::{Scenario, checks::pluck};
/// use serde_json::json;
///
/// let mut s = Scenario::new("sorted");
/// s.get("/Users?sortBy=userName")
///     .check_with(pluck("/Resources", "/userName", json!(["alice", "bob"])));
/// ```
#[must_use]
pub fn pluck(pointer: &str, field: &str, expected: Value) -> Check {
    let (pointer, field) = (pointer.to_owned(), field.to_owned());
    Box::new(move |r, vars| {
        let expected = substitute_json(&expected, vars);
        let got: Vec<Value> = match r.json.pointer(&pointer) {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|e| e.pointer(&field).cloned().unwrap_or(Value::Null))
                .collect(),
            Some(other) => return Err(format!("{pointer}: expected an array, got {other}")),
        };
        let got = Value::Array(got);
        if got == expected {
            Ok(())
        } else {
            Err(format!(
                "{pointer}[*]{field}: expected {expected}, got {got}"
            ))
        }
    })
}
