//! Request bodies as identity providers send them, for scenarios that
//! replay what Entra ID or Okta do.

use serde_json::{Value, json};

use crate::urn::{ENTERPRISE_USER, GROUP, USER};

/// A user as Entra creates it (docs shape, default mode).
#[must_use]
pub fn entra_user(user_name: &str, external_id: &str) -> Value {
    json!({
        "schemas": [USER, ENTERPRISE_USER],
        "externalId": external_id,
        "userName": user_name,
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Adele Vance", "familyName": "Vance", "givenName": "Adele"},
        "roles": []
    })
}

/// A minimal user.
#[must_use]
pub fn user(user_name: &str) -> Value {
    json!({
        "schemas": [USER],
        "userName": user_name,
        "active": true
    })
}

/// A group as Entra creates it: no members, the ADSCIM schema URN.
#[must_use]
pub fn entra_group(display_name: &str, external_id: &str) -> Value {
    json!({
        "schemas": [
            GROUP,
            "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
        ],
        "externalId": external_id,
        "displayName": display_name,
        "meta": {"resourceType": "Group"}
    })
}
