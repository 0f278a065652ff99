//! The example server as an operator runs it: real processes on a real
//! database. Kill one with SIGKILL and start it again, and everything it
//! acknowledged is there; run four on one database, and they give the
//! guarantees one gives.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "process-test-token";
const ADMIN: &str = "process-test-admin-token";

/// A server process, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start(database: &str) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_scim-example-axum"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--token", TOKEN])
        .args(["--admin-token", ADMIN])
        .args(["--database", database])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the example server");
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok((200, _)) = request(port, "GET", "/scim/v2/ServiceProviderConfig", None) {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the example server did not start on port {port}");
}

/// One HTTP/1.1 request (`Connection: close`): the status and the body.
fn request(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    request_as(port, TOKEN, method, path, body)
}

/// [`request`] with another bearer token.
fn request_as(
    port: u16,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

fn create_user(port: u16, name: &str) -> (u16, String) {
    let body = format!(
        r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{name}","active":true}}"#
    );
    request(port, "POST", "/scim/v2/Users", Some(&body)).expect("POST /Users")
}

fn id_of(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
    v["id"].as_str().expect("an id").to_owned()
}

/// A new SQLite file's URL, one per test (`tag`).
fn sqlite_url(tag: &str) -> String {
    let path = std::env::temp_dir().join(format!("scim-example-{tag}-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    format!("sqlite://{}", path.display())
}

#[test]
fn what_was_acknowledged_survives_sigkill() {
    let url = sqlite_url("sigkill");
    let server = start(&url);
    let mut ids = Vec::new();
    for i in 0..20 {
        let (status, body) = create_user(server.port, &format!("killed{i}@example.com"));
        assert_eq!(status, 201, "{body}");
        ids.push(id_of(&body));
    }
    let group = format!(
        r#"{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Team","members":[{{"value":"{}"}}]}}"#,
        ids[0]
    );
    let (status, body) = request(server.port, "POST", "/scim/v2/Groups", Some(&group)).unwrap();
    assert_eq!(status, 201, "{body}");
    let group_id = id_of(&body);
    drop(server); // SIGKILL: no shutdown, no flush.

    let server = start(&url);
    for id in &ids {
        let (status, _) =
            request(server.port, "GET", &format!("/scim/v2/Users/{id}"), None).unwrap();
        assert_eq!(status, 200, "user {id} lost");
    }
    let (status, body) = request(
        server.port,
        "GET",
        &format!("/scim/v2/Groups/{group_id}"),
        None,
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(body.contains(&ids[0]), "membership lost: {body}");
    // A second create of a user the killed process created is still a
    // conflict: the unique values survived too.
    assert_eq!(create_user(server.port, "killed3@example.com").0, 409);
}

/// 64 member adds over 4 processes leave 64 members; 16 creates of one
/// userName over 4 processes give one 201 and fifteen 409s.
fn four_processes(databases: [String; 4]) {
    let servers: Vec<Server> = databases.iter().map(|d| start(d)).collect();
    let ports: Vec<u16> = servers.iter().map(|s| s.port).collect();
    let mut ids = Vec::new();
    for i in 0..64 {
        let (status, body) = create_user(ports[i % 4], &format!("member{i}@example.com"));
        assert_eq!(status, 201, "{body}");
        ids.push(id_of(&body));
    }
    let group =
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Everyone"}"#;
    let (status, body) = request(ports[0], "POST", "/scim/v2/Groups", Some(group)).unwrap();
    assert_eq!(status, 201, "{body}");
    let group_id = id_of(&body);

    let adds: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let port = ports[i % 4];
            let path = format!("/scim/v2/Groups/{group_id}");
            let patch = format!(
                r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{{"op":"add","path":"members","value":[{{"value":"{id}"}}]}}]}}"#
            );
            std::thread::spawn(move || request(port, "PATCH", &path, Some(&patch)).unwrap())
        })
        .collect();
    for add in adds {
        let (status, body) = add.join().unwrap();
        assert!(status == 200 || status == 204, "{status} {body}");
    }
    let (_, body) = request(
        ports[3],
        "GET",
        &format!("/scim/v2/Groups/{group_id}"),
        None,
    )
    .unwrap();
    let group: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        group["members"].as_array().map(Vec::len),
        Some(64),
        "{body}"
    );

    let creates: Vec<_> = (0..16)
        .map(|i| {
            let port = ports[i % 4];
            std::thread::spawn(move || create_user(port, "Same.Person@example.com").0)
        })
        .collect();
    let mut statuses: Vec<u16> = creates.into_iter().map(|c| c.join().unwrap()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [vec![201], vec![409; 15]].concat());
}

#[test]
fn four_processes_on_one_sqlite_file() {
    let url = sqlite_url("four");
    four_processes([url.clone(), url.clone(), url.clone(), url]);
}

#[test]
fn four_processes_on_one_postgres_database() {
    let Some(url) = fresh_postgres("four_processes_on_one_postgres_database", "proc") else {
        return;
    };
    four_processes([url.clone(), url.clone(), url.clone(), url]);
}

/// A new PostgreSQL database's URL, or `None` (and a SKIPPED line) when
/// `SCIM_SQL_TEST_POSTGRES_URL` is unset.
fn fresh_postgres(test: &str, tag: &str) -> Option<String> {
    let Ok(url) = std::env::var("SCIM_SQL_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("SCIM_SQL_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "SCIM_SQL_REQUIRE_POSTGRES=1 but SCIM_SQL_TEST_POSTGRES_URL is unset"
        );
        eprintln!("SKIPPED {test}: set SCIM_SQL_TEST_POSTGRES_URL");
        return None;
    };
    // A database of its own, so that the tenant starts empty.
    let name = format!("{tag}_{}", std::process::id());
    let status = Command::new("psql")
        .args([url.as_str(), "-qc", &format!("CREATE DATABASE {name}")])
        .status();
    let base = url
        .rsplit_once('/')
        .map_or(url.as_str(), |(b, _)| b)
        .to_owned();
    match status {
        Ok(s) if s.success() => Some(format!("{base}/{name}")),
        _ => panic!("cannot create a database with psql on {url}"),
    }
}

/// A connection made on one process's admin API opens the other; rotated,
/// revoked and deleted there, its tokens fail on the other at once.
fn two_processes_share_connections(database: &str) {
    let (a, b) = (start(database), start(database));
    let admin = |port, method: &str, path: &str, body: Option<&str>| {
        let (status, body) = request_as(port, ADMIN, method, path, body).expect("admin API");
        let json = serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default();
        (status, json)
    };
    let (status, made) = admin(
        a.port,
        "POST",
        "/admin/api/connections",
        Some(r#"{"tenant":"acme","name":"entra-eu"}"#),
    );
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().expect("an id").to_owned();
    let first = made["token"].as_str().expect("a token").to_owned();
    let user = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@contoso.com"}"#;
    let (status, body) = request_as(b.port, &first, "POST", "/scim/v2/Users", Some(user)).unwrap();
    assert_eq!(status, 201, "a token made on A opens B: {body}");

    let (status, rotated) = admin(
        a.port,
        "POST",
        &format!("/admin/api/connections/{id}/rotate"),
        None,
    );
    assert_eq!(status, 201, "{rotated}");
    let second = rotated["token"].as_str().expect("a token").to_owned();
    for token in [&first, &second] {
        let (status, _) = request_as(b.port, token, "GET", "/scim/v2/Users", None).unwrap();
        assert_eq!(status, 200, "after a rotation both tokens work");
    }
    let (status, _) = admin(
        a.port,
        "POST",
        &format!("/admin/api/connections/{id}/revoke-previous"),
        None,
    );
    assert_eq!(status, 204);
    let (status, _) = request_as(b.port, &first, "GET", "/scim/v2/Users", None).unwrap();
    assert_eq!(
        status, 401,
        "a revoked token fails on the other process at once"
    );
    let (status, _) = request_as(b.port, &second, "GET", "/scim/v2/Users", None).unwrap();
    assert_eq!(status, 200);

    let (status, listed) = admin(b.port, "GET", "/admin/api/connections?tenant=acme", None);
    assert_eq!(status, 200);
    assert!(
        listed["connections"][0]["last_used"].is_string(),
        "B's use shows on the list: {listed}"
    );
    let (status, _) = admin(
        a.port,
        "DELETE",
        &format!("/admin/api/connections/{id}"),
        None,
    );
    assert_eq!(status, 204);
    let (status, _) = request_as(b.port, &second, "GET", "/scim/v2/Users", None).unwrap();
    assert_eq!(
        status, 401,
        "a deleted connection's token fails on the other process at once"
    );
}

#[test]
fn a_token_revoked_in_one_process_fails_in_another_on_sqlite() {
    two_processes_share_connections(&sqlite_url("revoke"));
}

#[test]
fn a_token_revoked_in_one_process_fails_in_another_on_postgres() {
    if let Some(url) = fresh_postgres(
        "a_token_revoked_in_one_process_fails_in_another_on_postgres",
        "revoke",
    ) {
        two_processes_share_connections(&url);
    }
}
