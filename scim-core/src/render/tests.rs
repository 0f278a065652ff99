//! Unit tests of the writer (those that need `Rendered`, which is crate-private).

//!
//! The ones from `tests/render.rs` that compare bytes (written key order,
//! text copied as stored) live here: the writer is crate-private.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::whole_copy::layout;
use super::{Projection, Rendered, canonical_json, render};
use crate::error::ErrorKind;
use crate::json_text;
use crate::resource::{Attributes, Resource, StoredJson};
use crate::schema::{Attribute, Mutability, ResourceType, Returned, Schema};
use crate::store::{Context, MemoryStore, Store};
use crate::urn::{ENTERPRISE_USER, USER};
use crate::validate::{Strictness, normalize};

/// The attributes identity providers send are copied whole (that the
/// copy writes what the map writes, whatever is stored, is
/// `what_the_memory_store_hands_back_renders_as_its_map_does`), and a user's groups are spliced in at
/// their place in schema order.
#[test]
fn what_identity_providers_send_is_copied_whole() {
    let user = ResourceType::user();
    let map: Map<String, Value> = serde_json::from_value(json!({
        "externalId": "ext-1",
        "userName": "bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "active": true,
        "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
        "roles": [{"value": "r1"}],
        ENTERPRISE_USER: {"department": "Tours", "manager": {"value": "m-1"}}
    }))
    .unwrap();
    let copied = layout(&user, &map);
    assert!(copied.complex);
    assert_eq!(
        copied.whole,
        Some(1),
        "the enterprise extension, copied whole"
    );
    let stored = Resource {
        attributes: StoredJson::encode(&user, &map).unwrap().into(),
        ..Resource::new("u-1", Map::new())
    };
    let relations: Map<String, Value> = [(
        "groups".to_owned(),
        json!([{"value": "g1"}, {"value": "g2", "display": "Two"}]),
    )]
    .into_iter()
    .collect();
    let mut out = Vec::new();
    Rendered::new(
        &user,
        &stored,
        &relations,
        &Projection::all(),
        "https://x/scim/v2",
    )
    .write_json(&mut out);
    let text = String::from_utf8(out).unwrap();
    let parsed: Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = json_text::object_fields(&text)
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        [
            "schemas",
            "id",
            "externalId",
            "userName",
            "name",
            "active",
            "emails",
            "groups",
            "roles",
            ENTERPRISE_USER,
            "meta"
        ]
    );
    assert_eq!(
        parsed["schemas"],
        json!([user.schema().id, ENTERPRISE_USER])
    );
    assert_eq!(parsed["groups"][1]["display"], "Two");
    assert!(
        stored.attributes.json().is_some(),
        "the text was not decoded"
    );

    let mut with_password = map.clone();
    with_password.insert("password".to_owned(), json!("secret"));
    assert_eq!(layout(&user, &with_password).whole, None);
}

const BASE: &str = "https://example.com/scim/v2";
const DEVICE: &str = "urn:example:params:scim:schemas:core:2.0:Device";
const DEVICE_EXT: &str = "urn:example:params:scim:schemas:extension:acme:2.0:Device";

fn babs() -> Resource {
    let body = json!({
        "userName": "bjensen",
        "externalId": "ext-1",
        "displayName": "Babs",
        "title": "Tour Guide",
        "password": "t1meMa$heen",
        "name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara Jensen"},
        "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
        ENTERPRISE_USER: {"department": "Tours", "employeeNumber": "701984", "manager": "m-1"}
    });
    let attrs = normalize(&ResourceType::user(), body.clone(), Strictness::default()).unwrap();
    Resource::new("u1", attrs)
}

/// The rendered JSON, and its top-level keys in the order they are
/// written (the schema order a response carries).
fn show(attributes: Option<&str>, excluded: Option<&str>) -> (Value, Vec<String>) {
    let projection = Projection::parse(attributes, excluded).expect("valid lists");
    rendered(&ResourceType::user(), &babs(), &projection)
}

fn rendered(
    rtype: &ResourceType,
    resource: &Resource,
    projection: &Projection,
) -> (Value, Vec<String>) {
    let relations = Map::new();
    let bytes = serde_json::to_vec(&Rendered::new(
        rtype, resource, &relations, projection, BASE,
    ))
    .expect("serializes");
    let mut written = Vec::new();
    Rendered::new(rtype, resource, &relations, projection, BASE).write_json(&mut written);
    assert_eq!(
        String::from_utf8_lossy(&written),
        String::from_utf8_lossy(&bytes),
        "write_json and Serialize agree"
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&bytes).unwrap(),
        render(rtype, resource, &relations, projection, BASE),
        "Rendered and render agree"
    );
    from_stored_text(rtype, resource, projection, &bytes);
    (serde_json::from_slice(&bytes).unwrap(), top_keys(&bytes))
}

/// A resource whose attributes a store handed back as JSON text renders
/// as the decoded one does: byte for byte from the canonical text (most
/// values copied as stored) and from serde_json's own order (values out of
/// schema order decoded first); the same JSON from pretty-printed text.
fn from_stored_text(
    rtype: &ResourceType,
    resource: &Resource,
    projection: &Projection,
    want: &[u8],
) {
    let relations = Map::new();
    let texts = [
        (canonical_json(rtype, &resource.attributes).unwrap(), true),
        (serde_json::to_string(&*resource.attributes).unwrap(), true),
        (
            serde_json::to_string_pretty(&*resource.attributes).unwrap(),
            false,
        ),
    ];
    for (text, exact) in texts {
        let stored = Resource {
            attributes: Attributes::from_json(text.as_str()).expect("a JSON object"),
            ..resource.clone()
        };
        assert!(stored.attributes.json().is_some(), "still undecoded");
        let bytes =
            serde_json::to_vec(&Rendered::new(rtype, &stored, &relations, projection, BASE))
                .unwrap();
        if exact {
            assert_eq!(
                String::from_utf8_lossy(&bytes),
                String::from_utf8_lossy(want),
                "from {text}"
            );
        } else {
            assert_eq!(
                serde_json::from_slice::<Value>(&bytes).unwrap(),
                serde_json::from_slice::<Value>(want).unwrap(),
                "from {text}"
            );
            assert_eq!(top_keys(&bytes), top_keys(want), "from {text}");
        }
        assert!(
            stored.attributes.json().is_some(),
            "rendering did not decode the text"
        );
    }
}

fn top_keys(bytes: &[u8]) -> Vec<String> {
    use serde::Deserializer as _;
    use serde::de::{IgnoredAny, MapAccess, Visitor};
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
            let mut keys = Vec::new();
            while let Some(k) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                keys.push(k);
            }
            Ok(keys)
        }
    }
    serde_json::Deserializer::from_slice(bytes)
        .deserialize_map(Keys)
        .expect("an object")
}

#[test]
fn everything_by_default_but_what_is_never_returned() {
    let (out, order) = show(None, None);
    assert_eq!(
        order,
        [
            "schemas",
            "id",
            "externalId",
            "userName",
            "name",
            "displayName",
            "title",
            "emails",
            ENTERPRISE_USER,
            "meta"
        ]
    );
    assert!(out.get("password").is_none(), "password is returned never");
    assert_eq!(out["schemas"], json!([USER, ENTERPRISE_USER]));
    assert_eq!(out["meta"]["location"], format!("{BASE}/Users/u1"));
    assert_eq!(out["meta"]["resourceType"], "User");
    // `$ref` computed from `value`, as `members`' is.
    assert_eq!(
        out[ENTERPRISE_USER]["manager"],
        json!({"value": "m-1", "$ref": format!("{BASE}/Users/m-1")})
    );
}

#[test]
fn attributes_selects_plus_what_is_returned_always() {
    let (_, order) = show(Some("userName"), None);
    assert_eq!(order, ["schemas", "id", "userName"]);
    // Names ignore case and may carry the core URN.
    let (_, order) = show(Some(&format!("{USER}:USERNAME,displayname")), None);
    assert_eq!(order, ["schemas", "id", "userName", "displayName"]);
    // password is never returned, even when asked for.
    let (_, order) = show(Some("password,userName"), None);
    assert_eq!(order, ["schemas", "id", "userName"]);
    // meta and externalId only when named.
    let (_, order) = show(Some("meta,externalId"), None);
    assert_eq!(order, ["schemas", "id", "externalId", "meta"]);
    let (out, _) = show(Some("meta.version"), None);
    assert_eq!(out["meta"], json!({"version": "W/\"\""}));
}

#[test]
fn attributes_with_sub_attributes() {
    let (out, order) = show(Some("name.givenName,emails.value"), None);
    assert_eq!(order, ["schemas", "id", "name", "emails"]);
    assert_eq!(out["name"], json!({"givenName": "Barbara"}));
    assert_eq!(out["emails"], json!([{"value": "b@example.com"}]));
    // The whole attribute wins over one of its sub-attributes.
    let (out, _) = show(Some("name.givenName,name"), None);
    assert_eq!(out["name"]["familyName"], "Jensen");
}

#[test]
fn attributes_with_extension_names() {
    let (out, order) = show(Some(&format!("{ENTERPRISE_USER}:department")), None);
    assert_eq!(order, ["schemas", "id", ENTERPRISE_USER]);
    assert_eq!(out[ENTERPRISE_USER], json!({"department": "Tours"}));
    let (out, _) = show(Some(&format!("{ENTERPRISE_USER}:manager.value")), None);
    assert_eq!(out[ENTERPRISE_USER], json!({"manager": {"value": "m-1"}}));
    // The extension's URN names all of it.
    let (out, _) = show(Some(ENTERPRISE_USER), None);
    assert_eq!(
        out[ENTERPRISE_USER],
        json!({"employeeNumber": "701984", "department": "Tours",
               "manager": {"value": "m-1", "$ref": format!("{BASE}/Users/m-1")}})
    );
    assert!(out.get("userName").is_none());
    // Unqualified extension attribute names work too.
    let (out, _) = show(Some("employeeNumber"), None);
    assert_eq!(out[ENTERPRISE_USER], json!({"employeeNumber": "701984"}));
}

#[test]
fn excluded_attributes_drop_what_they_name() {
    let (out, _) = show(None, Some("emails,name.formatted,meta"));
    assert!(out.get("emails").is_none());
    assert!(out.get("meta").is_none());
    assert_eq!(
        out["name"],
        json!({"familyName": "Jensen", "givenName": "Barbara"})
    );
    assert_eq!(out["userName"], "bjensen");
    // id is returned always: excluding it changes nothing.
    let (out, _) = show(None, Some("id,userName"));
    assert_eq!(out["id"], "u1");
    assert!(out.get("userName").is_none());
    let (out, _) = show(
        None,
        Some(&format!("{ENTERPRISE_USER}:department,{USER}:title")),
    );
    assert!(out.get("title").is_none());
    assert_eq!(
        out[ENTERPRISE_USER],
        json!({"employeeNumber": "701984",
               "manager": {"value": "m-1", "$ref": format!("{BASE}/Users/m-1")}})
    );
    let (out, _) = show(None, Some(ENTERPRISE_USER));
    assert!(out.get(ENTERPRISE_USER).is_none());
    assert_eq!(out["userName"], "bjensen");
}

/// A resource type with one attribute of each `returned` kind, on its own
/// and as sub-attributes, and an extension.
fn devices() -> ResourceType {
    let schema = Schema::new(DEVICE, "Device")
        .attribute(Attribute::string("serial").returned(Returned::Always))
        .attribute(Attribute::string("model"))
        .attribute(Attribute::string("secret").returned(Returned::Never))
        .attribute(Attribute::string("audit").returned(Returned::Request))
        .attribute(Attribute::string("pin").mutability(Mutability::WriteOnly))
        .attribute(Attribute::complex(
            "location",
            vec![
                Attribute::string("site").returned(Returned::Always),
                Attribute::string("room"),
                Attribute::string("gps").returned(Returned::Request),
                Attribute::string("key").returned(Returned::Never),
            ],
        ));
    let ext = Schema::new(DEVICE_EXT, "AcmeDevice")
        .attribute(Attribute::string("costCenter"))
        .attribute(Attribute::string("notes").returned(Returned::Request));
    ResourceType::new("Device", "/Devices", Arc::new(schema)).with_extension(Arc::new(ext), false)
}

fn device_out(attributes: Option<&str>, excluded: Option<&str>) -> (Value, Vec<String>) {
    let rtype = devices();
    let body = json!({
        "serial": "S-1", "model": "MX", "secret": "s3", "audit": "checked", "pin": "1234",
        "location": {"site": "HQ", "room": "101", "gps": "52.5,13.4", "key": "k"},
        DEVICE_EXT: {"costCenter": "4130", "notes": "fragile"}
    });
    let attrs = normalize(&rtype, body.clone(), Strictness::default()).unwrap();
    let device = Resource::new("d1", attrs);
    let p = Projection::parse(attributes, excluded).unwrap();
    rendered(&rtype, &device, &p)
}

#[test]
fn returned_default_request_always_never() {
    let (out, order) = device_out(None, None);
    assert_eq!(
        order,
        [
            "schemas", "id", "serial", "model", "location", DEVICE_EXT, "meta"
        ]
    );
    assert_eq!(out["location"], json!({"site": "HQ", "room": "101"}));
    assert_eq!(out[DEVICE_EXT], json!({"costCenter": "4130"}));
    assert_eq!(out["meta"]["location"], format!("{BASE}/Devices/d1"));

    // request: only when named.
    let (_, order) = device_out(Some("audit"), None);
    assert_eq!(order, ["schemas", "id", "serial", "audit"]);
    let (out, _) = device_out(Some("location.gps"), None);
    assert_eq!(out["location"], json!({"site": "HQ", "gps": "52.5,13.4"}));
    let (out, _) = device_out(Some(&format!("{DEVICE_EXT}:notes")), None);
    assert_eq!(out[DEVICE_EXT], json!({"notes": "fragile"}));
    let (_, order) = device_out(Some(&format!("{DEVICE}:audit,model")), None);
    assert_eq!(order, ["schemas", "id", "serial", "model", "audit"]);

    // always: even when left out or excluded.
    let (out, _) = device_out(None, Some("serial,location.site,location.room"));
    assert_eq!(out["serial"], "S-1");
    assert_eq!(out["location"], json!({"site": "HQ"}));
    let (_, order) = device_out(Some("model"), None);
    assert_eq!(order, ["schemas", "id", "serial", "model"]);

    // never, and writeOnly: not even when named.
    let (out, _) = device_out(Some("secret,pin,location.key,model"), None);
    assert!(out.get("secret").is_none());
    assert!(out.get("pin").is_none());
    assert!(out["location"].get("key").is_none());
    assert_eq!(out["model"], "MX");
    // Naming the parent gives its default sub-attributes; one returned on
    // request only must be named itself.
    let (out, _) = device_out(Some("location"), None);
    assert_eq!(out["location"], json!({"site": "HQ", "room": "101"}));

    // excludedAttributes never adds what is returned on request only.
    let (out, _) = device_out(None, Some("model"));
    assert!(out.get("audit").is_none());
    assert!(out.get("model").is_none());
    assert_eq!(out["location"], json!({"site": "HQ", "room": "101"}));
}

/// Attributes a store may be handed for each resource type: some that a
/// response copies whole from the stored text, and some that it may not
/// (returned never or on request, write-only, unknown, empty, a relation
/// stored as an attribute, an extension that is not an object).
fn stored_pool(rtype: &str) -> Vec<(&'static str, Value)> {
    let specific = match rtype {
        "User" => vec![
            ("userName", json!("bjensen")),
            ("displayName", json!("Babs \"B\" Jensen")),
            ("password", json!("t1meMa$heen")),
            (
                "name",
                json!({"givenName": "Barbara", "familyName": "Jensen"}),
            ),
            ("name", json!({})),
            ("active", json!(true)),
            (
                "emails",
                json!([{"value": "b@example.com", "type": "work", "primary": true}]),
            ),
            (
                "emails",
                json!([{"value": "b@example.com"}, {"type": "home", "value": "c@x"}]),
            ),
            ("entitlements", json!([{"value": "e1"}])),
            ("roles", json!([{"value": "r1", "primary": false}])),
            ("groups", json!([{"value": "stored"}])),
            ("nickName", Value::Null),
            ("unknownThing", json!(1)),
            (ENTERPRISE_USER, json!({"department": "Tours"})),
            (
                ENTERPRISE_USER,
                json!({"employeeNumber": "7", "manager": {"value": "m-1"}}),
            ),
            (ENTERPRISE_USER, json!({})),
            (
                ENTERPRISE_USER,
                json!({"department": "Tours", "unknownSub": 1}),
            ),
            (ENTERPRISE_USER, json!("not an object")),
        ],
        "Group" => vec![
            ("displayName", json!("Tour Guides")),
            ("members", json!([{"value": "stored"}])),
        ],
        _ => vec![
            ("serial", json!("S-1")),
            ("model", json!("MX")),
            ("secret", json!("s3")),
            ("audit", json!("checked")),
            ("pin", json!("1234")),
            ("location", json!({"site": "HQ", "room": "101"})),
            ("location", json!({"site": "HQ", "gps": "52.5,13.4"})),
            ("location", json!({"room": "101", "key": "k"})),
            (DEVICE_EXT, json!({"costCenter": "4130"})),
            (
                DEVICE_EXT,
                json!({"costCenter": "4130", "notes": "fragile"}),
            ),
        ],
    };
    std::iter::once(("externalId", json!("ext-1")))
        .chain(specific)
        .collect()
}

/// None, an empty list, or one or two of a user's groups / a group's
/// members.
fn some_relations(rtype: &str, pick: usize) -> Map<String, Value> {
    let name = if rtype == "User" { "groups" } else { "members" };
    let value = match pick % 4 {
        0 => return Map::new(),
        1 => json!([]),
        2 => json!([{"value": "g1", "display": "Guides", "type": "direct"}]),
        _ => json!([{"value": "g1"}, {"value": "g2", "display": "Two"}]),
    };
    std::iter::once((name.to_owned(), value)).collect()
}

/// One generated case of the two properties below: a resource type, stored
/// attributes picked from its pool, relations, and a projection.
fn case(
    kind: usize,
    picks: &[proptest::sample::Index],
    relation: usize,
    projection: usize,
) -> (
    ResourceType,
    Map<String, Value>,
    Map<String, Value>,
    Projection,
) {
    let (name, rtype) = match kind {
        0 => ("User", ResourceType::user()),
        1 => ("Group", ResourceType::group()),
        _ => ("Device", devices()),
    };
    let pool = stored_pool(name);
    let map: Map<String, Value> = picks
        .iter()
        .map(|i| pool[i.index(pool.len())].clone())
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let relations = some_relations(name, relation);
    let (attributes, excluded) = [
        (None, None),
        (None, None),
        (Some("userName,serial,members"), None),
        (None, Some("emails,location.room")),
        (None, Some("groups,members")),
    ][projection];
    let projection = Projection::parse(attributes, excluded).expect("valid lists");
    (rtype, map, relations, projection)
}

proptest::proptest! {
    /// Whatever the stored attributes, the relations and the projection, a
    /// resource as `MemoryStore` hands it back (undecoded text, copied whole
    /// into the response when nothing is selected or excluded and the store
    /// found it copyable) renders byte for byte as its decoded map does.
    #[test]
    fn what_the_memory_store_hands_back_renders_as_its_map_does(
        kind in 0..3_usize,
        picks in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..8),
        relation in 0..4_usize,
        projection in 0..5_usize,
    ) {
        let (rtype, map, relations, projection) = case(kind, &picks, relation, projection);

        let store = MemoryStore::new();
        let ctx = Context::new("render");
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime
            .block_on(store.create(&ctx, &rtype, Resource::new("r-1", map), Vec::new()))
            .expect("the memory store keeps any object");
        let stored = runtime
            .block_on(store.get(&ctx, &rtype, "r-1"))
            .unwrap()
            .expect("just created");
        proptest::prop_assert!(stored.attributes.json().is_some(), "handed back undecoded");
        let decoded = Resource {
            attributes: Attributes::from(stored.attributes.clone().into_map()),
            ..stored.clone()
        };
        let write = |resource: &Resource| {
            let mut out = Vec::new();
            Rendered::new(&rtype, resource, &relations, &projection, BASE).write_json(&mut out);
            String::from_utf8(out).unwrap()
        };
        proptest::prop_assert_eq!(write(&stored), write(&decoded));
    }
}

#[test]
fn output_order_is_schemas_id_then_schema_order_then_meta() {
    // The RFC 7643 §8.3 example (`tests/rfc7643.rs` checks the others).
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/rfc7643/enterprise_user.json"
        ))
        .expect("example file"),
    )
    .expect("example JSON");
    let rtype = ResourceType::user();
    let attrs = normalize(&rtype, example.clone(), Strictness::default()).unwrap();
    let resource = Resource::new("2819c223", attrs);
    let relations = Map::new();
    let projection = Projection::all();
    let bytes = serde_json::to_vec(&Rendered::new(
        &rtype,
        &resource,
        &relations,
        &projection,
        "https://example.com/v2",
    ))
    .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let at = |key: &str| {
        text.find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key} missing"))
    };
    let order = [
        "schemas",
        "id",
        "externalId",
        "userName",
        "name",
        "displayName",
        "emails",
        "x509Certificates",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "meta",
    ];
    for pair in order.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{} before {}", pair[0], pair[1]);
    }
    // Sub-attributes follow the schema too: value, type, primary.
    assert!(text.contains(r#"{"value":"bjensen@example.com","type":"work","primary":true}"#));
}

/// Texts a store may hand back for the attributes `map`: what
/// `StoredJson::encode` writes, serde_json's own order, pretty-printed,
/// the top-level keys reversed, the first key twice, the first key with an
/// escape.
fn texts_for(rtype: &ResourceType, map: &Map<String, Value>) -> Vec<String> {
    let canonical = canonical_json(rtype, map).unwrap();
    let mut texts = vec![
        canonical.clone(),
        serde_json::to_string(map).unwrap(),
        serde_json::to_string_pretty(map).unwrap(),
    ];
    let fields = json_text::object_fields(&canonical).unwrap();
    let field = |(k, v): &(&str, &str)| format!("\"{k}\":{v}");
    let reversed: Vec<String> = fields.iter().rev().map(field).collect();
    texts.push(format!("{{{}}}", reversed.join(",")));
    if let Some(first) = fields.first() {
        let all: Vec<String> = fields.iter().chain([first]).map(field).collect();
        texts.push(format!("{{{}}}", all.join(",")));
        let (k, v) = first;
        let escaped = format!("\"\\u{:04x}{}\":{v}", k.as_bytes()[0], &k[1..]);
        texts.push(canonical.replacen(&field(first), &escaped, 1));
    }
    texts
}

proptest::proptest! {
    /// Whatever text a store persisted and reads back through
    /// `StoredJson::from_text` (the hints worked out again from the text),
    /// responses are byte for byte those of the same text taken in with
    /// `Attributes::from_json` (no hints: every value checked before it is
    /// copied). And on the text `StoredJson::encode` writes, the read-time
    /// rule (`text_layout`) agrees with the write-time one (`layout`).
    #[test]
    fn any_text_read_back_renders_as_unhinted_text_does(
        kind in 0..3_usize,
        picks in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..8),
        relation in 0..4_usize,
        projection in 0..5_usize,
    ) {
        let (rtype, map, relations, projection) = case(kind, &picks, relation, projection);
        let created = Resource::new("r-1", Map::new());
        let write = |attributes: Attributes| {
            let resource = Resource {
                attributes,
                ..created.clone()
            };
            let mut out = Vec::new();
            Rendered::new(&rtype, &resource, &relations, &projection, BASE).write_json(&mut out);
            String::from_utf8(out).unwrap()
        };

        let encoded = StoredJson::encode(&rtype, &map).unwrap();
        let read = StoredJson::from_text(&rtype, encoded.as_str()).unwrap();
        proptest::prop_assert_eq!(read.layout(), encoded.layout(), "{}", encoded.as_str());
        proptest::prop_assert_eq!(read.layout(), layout(&rtype, &map));
        for text in texts_for(&rtype, &map) {
            let door = StoredJson::from_text(&rtype, text.as_str()).unwrap();
            let plain = Attributes::from_json(text.as_str()).unwrap();
            proptest::prop_assert_eq!(write(door.into()), write(plain), "from {}", text);
        }
    }
}

/// What `layout` finds in attributes identity providers send, the
/// read-time rule finds in the text `StoredJson::encode` writes for them;
/// and text it cannot vouch for is not copied whole.
#[test]
fn read_back_text_is_copied_whole_only_when_canonical() {
    let user = ResourceType::user();
    let map: Map<String, Value> = serde_json::from_value(json!({
        "externalId": "ext-1",
        "userName": "bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
        ENTERPRISE_USER: {"department": "Tours", "manager": {"value": "m-1"}}
    }))
    .unwrap();
    let encoded = StoredJson::encode(&user, &map).unwrap();
    let read = StoredJson::from_text(&user, encoded.as_str()).unwrap();
    assert_eq!(encoded.layout().whole, Some(1));
    assert_eq!(read.layout(), encoded.layout());
    for other in texts_for(&user, &map).into_iter().skip(1) {
        let read = StoredJson::from_text(&user, other.as_str()).unwrap();
        assert_eq!(read.layout().whole, None, "{other}");
    }
}

#[test]
fn stored_text_with_escaped_keys_renders_like_the_map() {
    // Keys that cannot be borrowed from the text (escapes), at the top
    // level and inside an extension: rendered from the decoded map.
    let users = ResourceType::user();
    let babs = babs();
    let want = render(&users, &babs, &Map::new(), &Projection::all(), BASE);
    let text = canonical_json(&users, &babs.attributes).unwrap();
    for escaped in [
        text.replace("\"displayName\"", "\"display\\u004eame\""),
        text.replace("\"department\"", "\"depart\\u006dent\""),
    ] {
        assert_ne!(escaped, text);
        let stored = Resource {
            attributes: Attributes::from_json(escaped.as_str()).unwrap(),
            ..babs.clone()
        };
        let got = render(&users, &stored, &Map::new(), &Projection::all(), BASE);
        assert_eq!(got, want, "from {escaped}");
    }
}

#[test]
fn stored_text_that_is_not_an_object_is_refused() {
    for bad in ["[1]", "\"x\"", "{\"a\": 1e999}", "{\"a\": ", ""] {
        assert!(Attributes::from_json(bad).is_err(), "{bad}");
    }
}

#[test]
fn bad_attribute_lists_are_400() {
    for (attributes, excluded) in [(Some("user name"), None), (None, Some("emails[type"))] {
        let err = Projection::parse(attributes, excluded).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
    }
    let p = Projection::from_lists(&["userName", "emails.value"], &[]).unwrap();
    assert!(!p.is_all());
    assert!(Projection::parse(Some(" , "), Some("")).unwrap().is_all());
}

#[test]
fn includes_tells_whether_relations_are_needed() {
    let groups = ResourceType::group();
    assert!(Projection::all().includes(&groups, "members"));
    assert!(
        !Projection::parse(None, Some("members"))
            .unwrap()
            .includes(&groups, "members")
    );
    assert!(
        !Projection::parse(Some("displayName"), None)
            .unwrap()
            .includes(&groups, "members")
    );
    assert!(
        Projection::parse(Some("members.value"), None)
            .unwrap()
            .includes(&groups, "members")
    );
}

#[test]
fn relations_are_rendered_from_the_map() {
    let groups = ResourceType::group();
    let attrs = normalize(
        &groups,
        json!({"displayName": "Tour Guides"}),
        Strictness::default(),
    )
    .unwrap();
    let group = Resource::new("g1", attrs);
    let mut relations = Map::new();
    relations.insert(
        "members".to_owned(),
        json!([{"value": "u1", "type": "User", "display": "Babs"}]),
    );
    let out = render(&groups, &group, &relations, &Projection::all(), BASE);
    assert_eq!(out["members"][0]["value"], "u1");
    let p = Projection::parse(Some("members.value"), None).unwrap();
    let out = render(&groups, &group, &relations, &p, BASE);
    assert_eq!(out["members"], json!([{"value": "u1"}]));
    assert!(out.get("displayName").is_none());
}
