#![allow(missing_docs, reason = "criterion macros generate undocumented items")]
//! Whole requests through `ScimService` over `MemoryStore`, at the sizes
//! that matter for identity providers: the `userName eq` lookup Entra sends
//! before every create, at 1 000 and 100 000 users; adding one member to a
//! group of 10 and of 100 000; creating an Entra-shaped user. It also
//! prints the memory one stored Entra-shaped user takes (resident set
//! growth over 100 000 inserts, from `/proc/self/status`).
//!
//! `cargo bench -p scim-core --bench service`. The lookup and the member
//! add should not grow with the tenant: compare the two sizes of each.

use scim_core::urn::ENTERPRISE_USER;
use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use http::{Method, Request, Response};
use scim_core::service::DEFAULT_CONNECTION;
use scim_core::store::{MemberChange, Update};
use scim_core::{Context, Member, MemoryStore, Resource, ScimService};
use serde_json::{Map, Value, json};
use tokio::runtime::Runtime;

const BIG: usize = 100_000;
const SMALL: usize = 1_000;

/// The create body of the Entra documentation (entra case E03), made
/// unique by `n`.
fn entra_user(n: usize) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER],
        "externalId": format!("{n:08x}-8d2a-4f8e-bf98-7363c4aed4e1"),
        "userName": format!("user.{n}@contoso.example"),
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": format!("mail.{n}@testuser.example")}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": []
    })
}

fn request(method: Method, uri: &str, body: Option<&Value>) -> Request<Bytes> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/scim+json")
        .body(body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string())))
        .expect("a valid request")
}

fn call(rt: &Runtime, svc: &ScimService, ctx: &Context, req: Request<Bytes>) -> Response<Bytes> {
    rt.block_on(svc.handle_with(ctx.clone(), req))
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
}

fn service() -> ScimService {
    ScimService::builder(MemoryStore::new())
        .base_url("https://app.example.com/scim/v2")
        .build()
}

/// Creates users `from..to` through POST and returns their ids.
fn populate(rt: &Runtime, svc: &ScimService, ctx: &Context, from: usize, to: usize) -> Vec<String> {
    (from..to)
        .map(|n| {
            let resp = call(
                rt,
                svc,
                ctx,
                request(Method::POST, "/Users", Some(&entra_user(n))),
            );
            assert_eq!(resp.status(), 201, "{:?}", resp.body());
            let body: Value = serde_json::from_slice(resp.body()).expect("JSON");
            body["id"].as_str().expect("an id").to_owned()
        })
        .collect()
}

/// The resident set size, in bytes.
fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn lookup_uri(n: usize) -> String {
    format!("/Users?filter=userName+eq+%22USER.{n}%40contoso.example%22")
}

/// A group with `members`, created in the store (a POST body of 100 000
/// members would pass the payload limit).
fn group(rt: &Runtime, svc: &ScimService, ctx: &Context, name: &str, members: &[String]) -> String {
    let groups = svc
        .resource_types()
        .iter()
        .find(|r| r.id() == "Group")
        .expect("the Group type")
        .clone();
    let mut attrs = Map::new();
    attrs.insert("displayName".to_owned(), json!(name));
    let mut resource = Resource::new(uuid::Uuid::new_v4().to_string(), attrs);
    resource.owner = Some(DEFAULT_CONNECTION.to_owned());
    let members = members
        .iter()
        .map(|id| Member {
            value: id.clone(),
            kind: None,
            display: None,
        })
        .collect();
    let created = rt
        .block_on(svc.store().create(ctx, &groups, resource, members))
        .expect("the group is created");
    created.id
}

fn benches(c: &mut Criterion) {
    let rt = runtime();
    let svc = service();
    let ctx = Context::new("bench");

    // Memory per stored user: resident set growth over 100 000 creates.
    let before = rss();
    let users = populate(&rt, &svc, &ctx, 0, BIG);
    let after = rss();
    if let (Some(before), Some(after)) = (before, after) {
        let per_user = after.saturating_sub(before) / BIG as u64;
        println!(
            "memory: {BIG} Entra-shaped users grew the resident set by {} MiB: {per_user} bytes per user",
            after.saturating_sub(before) / (1 << 20)
        );
    }

    // The lookup Entra sends before every create.
    let small_ctx = Context::new("bench-small");
    populate(&rt, &svc, &small_ctx, 0, SMALL);
    let mut lookups = c.benchmark_group("get_username_eq");
    for (size, ctx) in [(SMALL, &small_ctx), (BIG, &ctx)] {
        lookups.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            let target = size / 2;
            b.iter_batched(
                || request(Method::GET, &lookup_uri(target), None),
                |req| {
                    let resp = call(&rt, &svc, ctx, req);
                    assert_eq!(resp.status(), 200);
                    black_box(resp)
                },
                BatchSize::SmallInput,
            );
        });
    }
    lookups.finish();

    // Adding one member: every iteration adds a user that is not yet a
    // member, and takes it out again outside the timing, so the group
    // keeps its size.
    let pool = populate(&rt, &svc, &ctx, BIG, BIG + 1000);
    let small_group = group(&rt, &svc, &ctx, "small", &users[..10]);
    let big_group = group(&rt, &svc, &ctx, "big group", &users);
    let groups = svc
        .resource_types()
        .iter()
        .find(|r| r.id() == "Group")
        .expect("the Group type")
        .clone();
    let mut adds = c.benchmark_group("patch_add_member");
    for (size, gid) in [(10, &small_group), (BIG, &big_group)] {
        adds.bench_with_input(BenchmarkId::from_parameter(size), gid, |b, gid| {
            let uri = format!("/Groups/{gid}");
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for i in 0..iters {
                    let uid = &pool[usize::try_from(i).unwrap_or(0) % pool.len()];
                    let body = json!({
                        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "Add", "path": "members", "value": [{"value": uid}]}]
                    });
                    let req = request(Method::PATCH, &uri, Some(&body));
                    let start = Instant::now();
                    let resp = call(&rt, &svc, &ctx, req);
                    total += start.elapsed();
                    assert_eq!(resp.status(), 204, "{:?}", resp.body());
                    let undo = Update {
                        members: vec![MemberChange::Remove(vec![uid.clone()])],
                        ..Update::new(gid)
                    };
                    rt.block_on(svc.store().update(&ctx, &groups, undo))
                        .expect("the member is removed");
                }
                total
            });
        });
    }
    adds.finish();

    // Creating an Entra-shaped user (into a growing tenant).
    let create_ctx = Context::new("bench-create");
    let mut n = 0;
    c.bench_function("post_entra_user", |b| {
        b.iter_batched(
            || {
                n += 1;
                request(Method::POST, "/Users", Some(&entra_user(n)))
            },
            |req| {
                let resp = call(&rt, &svc, &create_ctx, req);
                assert_eq!(resp.status(), 201);
                black_box(resp)
            },
            BatchSize::SmallInput,
        );
    });
}

criterion_group!(service_benches, benches);
criterion_main!(service_benches);
