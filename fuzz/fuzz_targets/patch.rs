//! Any bytes: read as JSON, parsed as a PATCH body and applied to a fixed
//! user (and to a group); nothing panics, and a PATCH that applies gives
//! attributes that validate again unchanged.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use scim_core::patch::{PatchRequest, apply};
use scim_core::schema::ResourceType;
use scim_core::validate::{Strictness, check_required, normalize};
use serde_json::{Map, Value, json};

static USERS: LazyLock<ResourceType> = LazyLock::new(ResourceType::user);
static GROUPS: LazyLock<ResourceType> = LazyLock::new(ResourceType::group);

static USER: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    let body = json!({
        "userName": "bjensen@example.com",
        "externalId": "701984",
        "active": true,
        "displayName": "Babs Jensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
        "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "country": "USA"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
        }
    });
    normalize(&USERS, body, Strictness::default()).expect("the fixed user validates")
});

static GROUP: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    let body = json!({"displayName": "Tour Guides", "members": [{"value": "2819c223"}]});
    normalize(&GROUPS, body, Strictness::default()).expect("the fixed group validates")
});

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(request) = PatchRequest::parse(&body) else {
        return;
    };
    for strictness in [
        Strictness::default(),
        Strictness::default().reject_unknown(true),
    ] {
        for (rtype, doc) in [(&*USERS, &*USER), (&*GROUPS, &*GROUP)] {
            if let Ok(out) = apply(rtype, doc, &request.operations, strictness) {
                let _ = check_required(rtype, &out);
                let again = normalize(rtype, Value::Object(out.clone()), Strictness::default());
                assert!(
                    again.is_ok(),
                    "patched attributes no longer validate: {out:?}"
                );
            }
        }
    }
});
