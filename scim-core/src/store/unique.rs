//! The values a store must keep unique, read from a resource's attributes
//! by its resource type's schemas.

use serde_json::{Map, Value};

use crate::eval::fold_case;
use crate::schema::{AttributeType, ResourceType, Uniqueness};

/// One value that must be unique in a tenant: for a User, its `userName`;
/// for a Group (by default), its `displayName`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct UniqueValue {
    /// The attribute, as a store keys it: `userName`, or
    /// `<extension URN>:<name>` for an extension's attribute.
    pub attribute: String,
    /// The value as sent (for the 409's detail).
    pub value: String,
    /// The value as compared: folded ([`fold_case`]) unless the attribute
    /// is `caseExact`, non-strings as their JSON text. Two resources of a
    /// type and tenant may not share an `(attribute, key)`.
    pub key: String,
}

/// The unique values of `attrs`: every value of every simple attribute of
/// `rtype`'s schemas (core and extensions) whose `uniqueness` is `server`
/// or `global`. A store keeps them in a unique index (or a map) per tenant
/// and resource type.
#[must_use]
pub fn unique_values(rtype: &ResourceType, attrs: &Map<String, Value>) -> Vec<UniqueValue> {
    let core = std::iter::once((None, &**rtype.schema()));
    let extensions = rtype
        .extensions()
        .iter()
        .map(|e| (Some(e.schema.id.as_str()), &*e.schema));
    let mut out = Vec::new();
    for (urn, schema) in core.chain(extensions) {
        // Extension attributes sit in an object under the extension's URN.
        let container = match urn {
            Some(urn) => attrs.get(urn).and_then(Value::as_object),
            None => Some(attrs),
        };
        let Some(container) = container else { continue };
        for attr in &schema.attributes {
            if attr.uniqueness == Uniqueness::None || attr.kind == AttributeType::Complex {
                continue;
            }
            let values: Vec<&Value> = match container.get(&attr.name) {
                Some(Value::Array(items)) => items.iter().collect(),
                Some(Value::Null) | None => Vec::new(),
                Some(v) => vec![v],
            };
            let attribute = match urn {
                Some(urn) => format!("{urn}:{}", attr.name),
                None => attr.name.clone(),
            };
            for v in values {
                let (value, key) = match v.as_str() {
                    Some(s) if attr.ignores_case() => (s.to_owned(), fold_case(s).into_owned()),
                    Some(s) => (s.to_owned(), s.to_owned()),
                    None => (v.to_string(), v.to_string()),
                };
                out.push(UniqueValue {
                    attribute: attribute.clone(),
                    value,
                    key,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn user_names_fold_and_group_names_are_unique_too() {
        let users = ResourceType::user();
        let attrs = json!({"userName": "Alice@Contoso.COM", "title": "x"});
        let got = unique_values(&users, attrs.as_object().unwrap());
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].attribute, "userName");
        assert_eq!(got[0].value, "Alice@Contoso.COM");
        assert_eq!(got[0].key, "alice@contoso.com");
        let groups = ResourceType::group();
        let attrs = json!({"displayName": "Sales"});
        let got = unique_values(&groups, attrs.as_object().unwrap());
        assert_eq!(
            got.iter().map(|u| u.key.as_str()).collect::<Vec<_>>(),
            ["sales"]
        );
        assert!(unique_values(&users, &Map::new()).is_empty());
    }
}
