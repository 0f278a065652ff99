//! Request bodies through validation, structure-aware: the input drives a
//! generator of SCIM-shaped JSON (the User's and Group's own attribute
//! names, sub-attributes, extension URNs, in odd cases, with values of
//! every JSON type, nested), which random bytes would rarely reach; an
//! input whose first byte is odd is read as JSON text instead. Nothing
//! panics, and what validates once validates again to itself (idempotent
//! normalization: what a store keeps is what a second write would keep).
#![no_main]

use std::sync::LazyLock;

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use scim_core::schema::{Attribute, ResourceType};
use scim_core::validate::{Strictness, check_required, normalize};
use serde_json::{Map, Number, Value};

static USERS: LazyLock<ResourceType> = LazyLock::new(ResourceType::user);
static GROUPS: LazyLock<ResourceType> = LazyLock::new(ResourceType::group);

/// Every name a body may use for `rtype`: top-level attributes, dotted
/// sub-attributes, extension URNs and URN-qualified attributes.
fn names(rtype: &ResourceType) -> Vec<String> {
    fn walk(prefix: &str, attrs: &[Attribute], out: &mut Vec<String>) {
        for a in attrs {
            out.push(format!("{prefix}{}", a.name));
            for s in &a.sub_attributes {
                out.push(format!("{prefix}{}.{}", a.name, s.name));
            }
        }
    }
    let mut out = vec!["schemas".to_owned(), "id".to_owned(), "meta".to_owned()];
    walk("", &rtype.schema().attributes, &mut out);
    for ext in rtype.extensions() {
        out.push(ext.schema.id.clone());
        walk(&format!("{}:", ext.schema.id), &ext.schema.attributes, &mut out);
    }
    out
}

static USER_NAMES: LazyLock<Vec<String>> = LazyLock::new(|| names(&USERS));
static GROUP_NAMES: LazyLock<Vec<String>> = LazyLock::new(|| names(&GROUPS));

fn key(u: &mut Unstructured<'_>, names: &[String]) -> Result<String> {
    let name = u.choose(names)?.clone();
    Ok(match u.int_in_range(0..=5)? {
        0 => name.to_ascii_uppercase(),
        1 => name.to_ascii_lowercase(),
        2 => format!("{name}{}", char::from(u.int_in_range(b'!'..=b'~')?)),
        3 => String::arbitrary_take(u)?,
        _ => name,
    })
}

trait TakeString {
    fn arbitrary_take(u: &mut Unstructured<'_>) -> Result<String>;
}

impl TakeString for String {
    fn arbitrary_take(u: &mut Unstructured<'_>) -> Result<String> {
        let len = u.int_in_range(0..=12)?;
        let mut s = String::new();
        for _ in 0..len {
            s.push(u.arbitrary::<char>()?);
        }
        Ok(s)
    }
}

fn value(u: &mut Unstructured<'_>, names: &[String], depth: u32) -> Result<Value> {
    let top = if depth == 0 { 5 } else { 7 };
    Ok(match u.int_in_range(0..=top)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::Number(match u.int_in_range(0..=2)? {
            0 => Number::from(u.arbitrary::<i64>()?),
            1 => Number::from_f64(u.arbitrary::<f64>()?).unwrap_or_else(|| Number::from(0)),
            _ => Number::from(u.arbitrary::<u64>()?),
        }),
        3 => Value::String(match u.int_in_range(0..=4)? {
            0 => "True".to_owned(),
            1 => "2011-08-01T21:32:44.882Z".to_owned(),
            2 => "bjensen@example.com".to_owned(),
            3 => "work".to_owned(),
            _ => String::arbitrary_take(u)?,
        }),
        4 | 5 => Value::String(u.choose(names)?.clone()),
        6 => {
            let n = u.int_in_range(0..=4)?;
            let mut a = Vec::with_capacity(n);
            for _ in 0..n {
                a.push(value(u, names, depth - 1)?);
            }
            Value::Array(a)
        }
        _ => Value::Object(object(u, names, depth - 1)?),
    })
}

fn object(u: &mut Unstructured<'_>, names: &[String], depth: u32) -> Result<Map<String, Value>> {
    let n = u.int_in_range(0..=6)?;
    let mut m = Map::new();
    for _ in 0..n {
        let k = key(u, names)?;
        let v = value(u, names, depth)?;
        m.insert(k, v);
    }
    Ok(m)
}

fn check(rtype: &ResourceType, body: Value) {
    for strictness in [Strictness::default(), Strictness::default().reject_unknown(true)] {
        if let Ok(out) = normalize(rtype, body.clone(), strictness) {
            let _ = check_required(rtype, &out);
            let again = normalize(rtype, Value::Object(out.clone()), strictness)
                .unwrap_or_else(|e| panic!("normalized attributes no longer validate ({e}): {out:?}"));
            assert_eq!(again, out, "normalizing twice changed the attributes");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    if first % 2 == 1 {
        if let Ok(body) = serde_json::from_slice::<Value>(rest) {
            check(&USERS, body.clone());
            check(&GROUPS, body);
        }
        return;
    }
    let mut u = Unstructured::new(rest);
    let (rtype, names) = if first % 4 == 0 {
        (&*USERS, &*USER_NAMES)
    } else {
        (&*GROUPS, &*GROUP_NAMES)
    };
    if let Ok(body) = object(&mut u, names, 3) {
        check(rtype, Value::Object(body));
    }
});
