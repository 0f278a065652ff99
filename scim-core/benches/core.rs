#![allow(missing_docs, reason = "criterion macros generate undocumented items")]
//! The per-request work of the core on the shapes Microsoft Entra ID sends:
//! validating a created user, applying a 10-operation PATCH, evaluating the
//! two filters Entra sends on every sync, and rendering a user.
//!
//! `cargo bench -p scim-core --bench core`.

use scim_core::urn::ENTERPRISE_USER;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use scim_core::patch::{PatchRequest, apply};
use scim_core::render::{Projection, render};
use scim_core::schema::ResourceType;
use scim_core::validate::{Strictness, check_required, normalize};
use scim_core::{Resource, eval};
use serde_json::{Map, Value, json};

/// The create body of the Entra documentation (entra case E03).
fn entra_user(n: usize) -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            ENTERPRISE_USER
        ],
        "externalId": format!("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4e{}", n % 10),
        "userName": format!("create.{n}@contoso.example"),
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": format!("mail.{n}@testuser.example")}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": []
    })
}

/// Ten operations the way Entra sends them (one capitalised op each).
fn entra_patch() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "displayName", "value": "Pvlo"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "TestBcwqnm@test.example"},
            {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
            {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
            {"op": "Replace", "path": "externalId", "value": "Eqpj"},
            {"op": "Replace", "path": format!("{ENTERPRISE_USER}:employeeNumber"), "value": "Eqpj"},
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "title", "value": "Senior Tour Guide"},
            {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100"},
            {"op": "Add", "path": "addresses[type eq \"work\"].locality", "value": "Redmond"}
        ]
    })
}

fn user_resource() -> Resource {
    let attrs = normalize(&ResourceType::user(), entra_user(7), Strictness::default())
        .expect("the Entra user validates");
    Resource::new("2819c223-7f76-453a-919d-413861904646", attrs)
}

fn validate(c: &mut Criterion) {
    let users = ResourceType::user();
    let body = entra_user(7);
    c.bench_function("validate_entra_user", |b| {
        // The body is decoded per request; validation consumes it.
        b.iter_batched(
            || body.clone(),
            |body| {
                let attrs =
                    normalize(&users, black_box(body), Strictness::default()).expect("validates");
                check_required(&users, &attrs).expect("complete");
                attrs
            },
            BatchSize::SmallInput,
        );
    });
}

fn patch(c: &mut Criterion) {
    let users = ResourceType::user();
    let user: Map<String, Value> = user_resource().attributes.into_map();
    let body = entra_patch();
    let request = PatchRequest::parse(&body).expect("the PATCH parses");
    c.bench_function("patch_entra_10_ops_apply", |b| {
        b.iter(|| {
            apply(
                &users,
                black_box(&user),
                &request.operations,
                Strictness::default(),
            )
            .expect("applies")
        });
    });
    c.bench_function("patch_entra_10_ops_parse_and_apply", |b| {
        b.iter(|| {
            let request = PatchRequest::parse(black_box(&body)).expect("parses");
            apply(&users, &user, &request.operations, Strictness::default()).expect("applies")
        });
    });
}

fn filters(c: &mut Criterion) {
    let users = ResourceType::user();
    let user = user_resource();
    let by_name = scim_core::filter::parse_filter(r#"userName eq "CREATE.7@contoso.example""#)
        .expect("parses");
    let by_email = scim_core::filter::parse_filter(
        r#"emails[type eq "work"].value eq "mail.7@testuser.example""#,
    )
    .expect("parses");
    c.bench_function("eval_username_eq", |b| {
        b.iter(|| {
            assert!(eval::matches(&users, black_box(&user), &by_name).expect("evaluates"));
        });
    });
    c.bench_function("eval_work_email_value_path", |b| {
        b.iter(|| {
            assert!(eval::matches(&users, black_box(&user), &by_email).expect("evaluates"));
        });
    });
}

fn project(c: &mut Criterion) {
    let users = ResourceType::user();
    let user = user_resource();
    let relations = Map::new();
    let all = Projection::all();
    let some = Projection::parse(Some("userName,emails.value"), None).expect("parses");
    c.bench_function("render_user", |b| {
        b.iter(|| {
            render(
                &users,
                black_box(&user),
                &relations,
                &all,
                "https://app.example.com/scim/v2",
            )
        });
    });
    c.bench_function("render_user_with_attributes", |b| {
        b.iter(|| {
            render(
                &users,
                black_box(&user),
                &relations,
                &some,
                "https://app.example.com/scim/v2",
            )
        });
    });
}

criterion_group!(benches, validate, patch, filters, project);
criterion_main!(benches);
