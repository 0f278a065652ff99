//! Any filter the service accepts, translated to SQL by scim-sql and run
//! on SQLite over a fixed set of users: the statement is valid (no store
//! error), and it selects what scim-core's own evaluator selects (exactly
//! when the store answers the query itself, a superset when it leaves
//! candidates to the service).
#![no_main]

use std::collections::BTreeSet;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use scim_core::schema::ResourceType;
use scim_core::store::{ListPage, ListQuery, Visibility};
use scim_core::{Context, Resource, Store};
use scim_sql::SqlStore;
use serde_json::json;

struct World {
    runtime: tokio::runtime::Runtime,
    store: SqlStore,
    users: ResourceType,
    resources: Vec<Resource>,
}

/// Users with the values filters compare: cases, non-ASCII and
/// title-case letters, LIKE wildcards, empty strings, numbers-as-text,
/// dateTimes, booleans, several e-mails with and without `primary`.
fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let users = ResourceType::user();
        let bodies = [
            json!({"userName": "Alice@Contoso.com", "active": true, "title": "Engineer",
                   "name": {"givenName": "Alice", "familyName": "Smith"},
                   "emails": [{"value": "alice@contoso.com", "type": "work", "primary": true},
                              {"value": "a@home.example", "type": "home"}],
                   "externalId": "ext-1",
                   "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                       {"employeeNumber": "0042", "department": "R&D", "manager": {"value": "u2"}}}),
            json!({"userName": "bob_50%@x.example", "active": false, "title": "",
                   "emails": [{"value": "BOB@X.EXAMPLE", "type": "Work"}],
                   "nickName": "ǅemal", "locale": "tr-TR", "timezone": "Europe/Istanbul"}),
            json!({"userName": "İstanbul\\user", "displayName": "Straße", "profileUrl": "https://x.example/p",
                   "name": {"formatted": "ÄÖÜ äöü", "middleName": "a_b"},
                   "phoneNumbers": [{"value": "+1 555", "type": "mobile", "primary": false}]}),
            json!({"userName": "zed", "userType": "Contractor", "preferredLanguage": "en-US",
                   "addresses": [{"type": "work", "locality": "Redmond", "postalCode": "98052"}]}),
            json!({"userName": "2026-01-23T04:56:22Z", "title": "10", "active": true,
                   "emails": [{"value": "", "type": "work"}, {"value": "dup@x.example"}]}),
        ];
        let store = runtime.block_on(async {
            let store = SqlStore::connect("sqlite::memory:").await.expect("SQLite");
            store.migrate().await.expect("migrate");
            store
        });
        let ctx = Context::new("fuzz");
        let mut resources = Vec::new();
        for (i, body) in bodies.into_iter().enumerate() {
            let attrs = scim_core::validate::normalize(&users, body, Default::default())
                .expect("a valid user");
            let resource = Resource::new(format!("u{i}"), attrs);
            let created = runtime
                .block_on(store.create(&ctx, &users, resource, Vec::new()))
                .expect("create");
            resources.push(created);
        }
        World {
            runtime,
            store,
            users,
            resources,
        }
    })
}

fuzz_target!(|data: &str| {
    let Ok(filter) = scim_filter::parse_filter(data) else {
        return;
    };
    let w = world();
    // What the service refuses before asking the store (unknown
    // attributes, a boolean compared with gt, ...).
    if scim_core::eval::check_filter(&w.users, &filter).is_err() {
        return;
    }
    let mut expected = BTreeSet::new();
    for r in &w.resources {
        match scim_core::eval::matches(&w.users, r, &filter) {
            Ok(true) => {
                expected.insert(r.id.clone());
            }
            Ok(false) => {}
            // The evaluator refuses it while reading values: nothing to
            // compare with.
            Err(_) => return,
        }
    }
    let query = ListQuery {
        visibility: Visibility::All,
        ..ListQuery::filtered(Some(filter.clone().into_owned()), 1000)
    };
    let page = w
        .runtime
        .block_on(w.store.list(&Context::new("fuzz"), &w.users, &query))
        .unwrap_or_else(|e| panic!("the SQL of {data:?} failed: {e:?}"));
    match page {
        ListPage::Done { resources, total_results, .. } => {
            let got: BTreeSet<String> = resources.into_iter().map(|r| r.id).collect();
            assert_eq!(got, expected, "SQL and eval differ on {data:?}");
            assert_eq!(total_results, expected.len(), "totalResults of {data:?}");
        }
        candidates @ (ListPage::Candidates(_) | ListPage::Positioned(_)) => {
            let got: BTreeSet<String> =
                candidates.into_resources().into_iter().map(|r| r.id).collect();
            assert!(
                expected.is_subset(&got),
                "candidates of {data:?} miss matches: {expected:?} not in {got:?}"
            );
        }
    }
});
