//! The [`AdminStore`] contract as a test a store's own suite calls:
//! `scim_admin::testing::contract(&store).await` on an empty store panics
//! with the rule it broke.

use std::time::{Duration, SystemTime};

use crate::model::{
    Activity, ActivityQuery, Connection, Domain, NewToken, Outcome, Retention, token_hash,
};
use crate::store::{AdminError, AdminStore};

fn at(secs: u64) -> SystemTime {
    // Whole milliseconds: what every store keeps.
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
}

fn token(id: &str, secret: &str, secs: u64) -> NewToken {
    NewToken::new(id, token_hash(secret), at(secs))
}

fn request(secs: u64, tenant: Option<&str>, connection: Option<&str>, status: u16) -> Activity {
    let mut a = Activity::new(at(secs), "PATCH", "/Users/1", status);
    a.tenant = tenant.map(str::to_owned);
    a.connection = connection.map(str::to_owned);
    a.resource_type = Some("User".to_owned());
    a.resource_id = Some("1".to_owned());
    if status >= 400 {
        a.scim_type = Some("invalidValue".to_owned());
        a.detail = Some("attribute \"active\" must be a boolean".to_owned());
    }
    a.latency = Duration::from_micros(1_250);
    a
}

/// Runs every rule against `store`, which must be empty.
///
/// # Panics
///
/// On the first rule the store breaks, naming it.
pub async fn contract(store: &dyn AdminStore) {
    connections(store).await;
    rotation(store).await;
    activity(store).await;
    retention(store).await;
    domains(store).await;
}

async fn connections(store: &dyn AdminStore) {
    let c = Connection::new("c1", "acme", "entra-eu", at(0));
    store
        .create_connection(&c, &token("t1", "secret-1", 0))
        .await
        .expect("create a connection");
    let dup = Connection::new("c2", "acme", "entra-eu", at(1));
    assert!(
        matches!(
            store
                .create_connection(&dup, &token("t2", "secret-2", 1))
                .await,
            Err(AdminError::Conflict(_))
        ),
        "a second connection of one name in one tenant is a Conflict"
    );
    assert_eq!(
        store
            .find_token(&token_hash("secret-2"), at(2))
            .await
            .unwrap(),
        None,
        "a refused connection leaves no token behind"
    );
    let reused = Connection::new("c5", "acme", "reused", at(1));
    assert!(
        matches!(
            store
                .create_connection(&reused, &token("t9", "secret-1", 1))
                .await,
            Err(AdminError::Conflict(_))
        ),
        "a token hash already issued is a Conflict"
    );
    assert_eq!(
        store.connection("c5").await.unwrap(),
        None,
        "a refused connection is not stored"
    );
    let other = Connection::new("c3", "globex", "entra-eu", at(2));
    store
        .create_connection(&other, &token("t3", "secret-3", 2))
        .await
        .expect("the same name in another tenant");
    let second = Connection::new("c4", "acme", "okta", at(3));
    store
        .create_connection(&second, &token("t4", "secret-4", 3))
        .await
        .expect("a second connection of a tenant");

    let listed = store.connections("acme").await.unwrap();
    let names: Vec<&str> = listed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["entra-eu", "okta"],
        "a tenant's connections, oldest first"
    );
    assert_eq!(
        listed[0].created,
        at(0),
        "creation time kept to the millisecond"
    );
    assert_eq!(listed[0].tokens.len(), 1);
    assert_eq!(listed[0].tokens[0].id, "t1");
    assert_eq!(listed[0].last_used, None);
    assert!(store.connections("initech").await.unwrap().is_empty());
    assert_eq!(store.tenants().await.unwrap(), ["acme", "globex"]);

    let owner = store
        .find_token(&token_hash("secret-1"), at(5))
        .await
        .unwrap()
        .expect("a valid token is found by its hash");
    assert_eq!(
        (owner.tenant.as_str(), owner.connection.as_str()),
        ("acme", "entra-eu")
    );
    assert_eq!(
        (owner.connection_id.as_str(), owner.token_id.as_str()),
        ("c1", "t1")
    );
    assert_eq!(
        store.find_token(&token_hash("nope"), at(5)).await.unwrap(),
        None
    );

    store.touch_token("t1", at(7)).await.unwrap();
    store.touch_token("t1", at(6)).await.unwrap();
    store.touch_token("unknown", at(8)).await.unwrap();
    let c1 = store.connection("c1").await.unwrap().expect("c1");
    assert_eq!(c1.last_used, Some(at(7)), "last use never goes back");
    assert_eq!(c1.tokens[0].last_used, Some(at(7)));

    assert!(store.delete_connection("c3").await.unwrap());
    assert!(!store.delete_connection("c3").await.unwrap());
    assert_eq!(
        store
            .find_token(&token_hash("secret-3"), at(9))
            .await
            .unwrap(),
        None,
        "a deleted connection's tokens fail at once"
    );
    assert_eq!(
        store
            .find_expired_token(&token_hash("secret-3"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.connection("c3").await.unwrap(), None);
    assert_eq!(store.tenants().await.unwrap(), ["acme"]);
}

async fn rotation(store: &dyn AdminStore) {
    // c1 (acme/entra-eu) has t1 = secret-1.
    store
        .add_token("c1", &token("t5", "secret-5", 10), None)
        .await
        .expect("rotate without grace period");
    for secret in ["secret-1", "secret-5"] {
        assert!(
            store
                .find_token(&token_hash(secret), at(11))
                .await
                .unwrap()
                .is_some(),
            "after a rotation both tokens work until revoked ({secret})"
        );
    }
    let c1 = store.connection("c1").await.unwrap().unwrap();
    let ids: Vec<&str> = c1.tokens.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["t5", "t1"], "tokens newest first");
    assert_eq!(c1.last_used, Some(at(7)), "a rotation keeps the last use");

    store
        .add_token("c1", &token("t6", "secret-6", 20), Some(at(30)))
        .await
        .expect("rotate with a grace period");
    let c1 = store.connection("c1").await.unwrap().unwrap();
    assert_eq!(c1.tokens[0].expires, None, "the new token does not expire");
    assert!(c1.tokens[1..].iter().all(|t| t.expires == Some(at(30))));
    assert!(
        store
            .find_token(&token_hash("secret-1"), at(29))
            .await
            .unwrap()
            .is_some(),
        "an older token works during the grace period"
    );
    assert_eq!(
        store
            .find_token(&token_hash("secret-1"), at(30))
            .await
            .unwrap(),
        None,
        "an older token fails once the grace period ends"
    );
    assert_eq!(
        store
            .find_expired_token(&token_hash("secret-1"))
            .await
            .unwrap()
            .map(|o| o.connection),
        Some("entra-eu".to_owned()),
        "an expired token still names its connection"
    );
    store
        .add_token("c1", &token("t7", "secret-7", 40), Some(at(50)))
        .await
        .unwrap();
    let c1 = store.connection("c1").await.unwrap().unwrap();
    assert_eq!(
        c1.tokens.iter().find(|t| t.id == "t1").unwrap().expires,
        Some(at(30)),
        "a later rotation never extends an earlier expiry"
    );
    assert!(matches!(
        store
            .add_token("nope", &token("t8", "secret-8", 40), None)
            .await,
        Err(AdminError::NotFound(_))
    ));
    assert!(
        matches!(
            store
                .add_token("c1", &token("t8", "secret-4", 40), None)
                .await,
            Err(AdminError::Conflict(_))
        ),
        "a rotation to a hash already issued is a Conflict"
    );

    assert_eq!(store.revoke_tokens_except("c1", "t7").await.unwrap(), 3);
    for secret in ["secret-1", "secret-5", "secret-6"] {
        assert_eq!(
            store.find_token(&token_hash(secret), at(41)).await.unwrap(),
            None,
            "a revoked token fails at once ({secret})"
        );
    }
    assert!(
        store
            .find_token(&token_hash("secret-7"), at(41))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store.connection("c1").await.unwrap().unwrap().tokens.len(),
        1
    );
    assert_eq!(
        store
            .find_expired_token(&token_hash("secret-1"))
            .await
            .unwrap(),
        None,
        "a revoked token is gone, expired or not"
    );
    store.touch_token("t7", at(45)).await.unwrap();
    assert_eq!(
        store.connection("c1").await.unwrap().unwrap().last_used,
        Some(at(45)),
        "any token's use moves its connection's last use"
    );
    assert!(matches!(
        store.revoke_tokens_except("nope", "t7").await,
        Err(AdminError::NotFound(_))
    ));
}

async fn activity(store: &dyn AdminStore) {
    assert!(
        store
            .activity(&ActivityQuery::all(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let batch: Vec<Activity> = (0..25)
        .map(|i| {
            let status = if i % 5 == 0 { 400 } else { 200 };
            let connection = if i % 2 == 0 { "entra-eu" } else { "okta" };
            request(100 + i, Some("acme"), Some(connection), status)
        })
        .chain([request(200, Some("globex"), Some("entra"), 201)])
        .chain([request(201, None, None, 401)])
        .collect();
    store.record_activity(&batch[..10]).await.unwrap();
    store.record_activity(&batch[10..]).await.unwrap();

    let mut seen = Vec::new();
    let mut q = ActivityQuery::tenant("acme", 10);
    loop {
        let page = store.activity(&q).await.unwrap();
        assert!(page.items.len() <= 10);
        seen.extend(page.items);
        match page.next {
            Some(next) => q.before = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25, "pages of a tenant's activity cover it once");
    assert!(
        seen.windows(2).all(|w| w[0].id > w[1].id),
        "newest first, ids decreasing"
    );
    let times: Vec<SystemTime> = seen.iter().map(|a| a.time).collect();
    let expected: Vec<SystemTime> = (0..25).rev().map(|i| at(100 + i)).collect();
    assert_eq!(times, expected, "the newest record first");
    let first = seen.last().unwrap();
    assert_eq!(
        first,
        &{
            let mut a = batch[0].clone();
            a.id = first.id;
            a
        },
        "every field kept"
    );

    let mut q = ActivityQuery::tenant("acme", 100);
    q.outcome = Some(Outcome::Error);
    let failed = store.activity(&q).await.unwrap();
    assert_eq!(failed.items.len(), 5);
    assert!(failed.items.iter().all(|a| a.status == 400));
    assert_eq!(failed.next, None);
    q.outcome = Some(Outcome::Success);
    assert_eq!(store.activity(&q).await.unwrap().items.len(), 20);
    q.outcome = Some(Outcome::Error);
    q.connection = Some("okta".to_owned());
    let okta_failed = store.activity(&q).await.unwrap().items;
    assert_eq!(okta_failed.len(), 2, "filtered by connection and outcome");
    assert!(
        okta_failed
            .iter()
            .all(|a| a.connection.as_deref() == Some("okta"))
    );

    let mut by_connection = ActivityQuery::all(100);
    by_connection.connection = Some("entra".to_owned());
    let entra = store.activity(&by_connection).await.unwrap().items;
    assert_eq!(entra.len(), 1, "a connection filter without a tenant");
    assert_eq!(entra[0].tenant.as_deref(), Some("globex"));
    let all = store.activity(&ActivityQuery::all(100)).await.unwrap();
    assert_eq!(
        all.items.len(),
        27,
        "no tenant: every record, unattributed too"
    );
    assert_eq!(all.items[0].tenant, None);
    assert_eq!(all.items[0].status, 401);
    let exact = store
        .activity(&ActivityQuery::tenant("acme", 25))
        .await
        .unwrap();
    assert_eq!(exact.items.len(), 25);
    assert_eq!(exact.next, None, "no next page when the page ends the log");
}

async fn retention(store: &dyn AdminStore) {
    // acme has 25 records at 100..=124, globex one at 200, none one at 201.
    let gone = store
        .prune_activity(&Retention::new(None, Some(20)), at(300))
        .await
        .unwrap();
    assert_eq!(gone, 5, "each tenant keeps its newest max_per_tenant");
    let acme = store
        .activity(&ActivityQuery::tenant("acme", 100))
        .await
        .unwrap();
    assert_eq!(acme.items.len(), 20);
    assert_eq!(acme.items.last().unwrap().time, at(105), "the oldest went");
    let gone = store
        .prune_activity(
            &Retention::new(Some(Duration::from_secs(100)), None),
            at(215),
        )
        .await
        .unwrap();
    assert_eq!(gone, 10, "records older than max_age go");
    let left = store.activity(&ActivityQuery::all(100)).await.unwrap();
    assert_eq!(left.items.len(), 12);
    assert!(left.items.iter().all(|a| a.time >= at(115)));
    store
        .record_activity(&[request(400, Some("acme"), None, 204)])
        .await
        .unwrap();
    let newest = store.activity(&ActivityQuery::all(1)).await.unwrap();
    assert!(
        newest.items[0].id > left.items[0].id,
        "ids keep growing after a prune"
    );
}

async fn domains(store: &dyn AdminStore) {
    let d = Domain::new("acme", "contoso.com", "scim-verify=abc", at(0));
    store.add_domain(&d).await.unwrap();
    assert!(matches!(
        store.add_domain(&d).await,
        Err(AdminError::Conflict(_))
    ));
    store
        .add_domain(&Domain::new(
            "acme",
            "a.contoso.com",
            "scim-verify=def",
            at(1),
        ))
        .await
        .unwrap();
    store
        .add_domain(&Domain::new(
            "initech",
            "contoso.com",
            "scim-verify=ghi",
            at(1),
        ))
        .await
        .expect("two organizations may claim one domain (only one can verify it)");
    let listed = store.domains("acme").await.unwrap();
    let names: Vec<&str> = listed.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["a.contoso.com", "contoso.com"], "sorted by name");
    assert_eq!(listed[1], d, "every field kept");
    assert!(
        store
            .set_domain_verified("acme", "contoso.com", at(5))
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_domain_verified("acme", "fabrikam.com", at(5))
            .await
            .unwrap()
    );
    let listed = store.domains("acme").await.unwrap();
    assert_eq!(listed[1].verified, Some(at(5)));
    assert_eq!(listed[0].verified, None);
    assert_eq!(store.tenants().await.unwrap(), ["acme", "initech"]);
    assert!(store.remove_domain("acme", "a.contoso.com").await.unwrap());
    assert!(!store.remove_domain("acme", "a.contoso.com").await.unwrap());
    assert_eq!(store.domains("acme").await.unwrap().len(), 1);
}
