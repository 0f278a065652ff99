// Issue 17, hostile input over real HTTP: the example server as a
// process, spoken to with raw bytes on a TcpStream. Each refusal is an
// RFC 7644 error body; a connection is kept after a refusal the service
// makes, and kept or closed cleanly (never left hanging) after one the
// HTTP layer makes; nothing changes.
//
// Included by both example servers' `tests/hostile_http.rs`, which
// define `BIN`, the binary it starts.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "hostile-http-token";

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

fn start() -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new(BIN)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--token", TOKEN])
        .args(["--admin-token", "hostile-admin", "--memory"])
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the example server");
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(mut c) = Conn::open(port)
            && let Ok(r) = c.send(&get("/scim/v2/ServiceProviderConfig"))
            && r.status == 200
        {
            return server;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the example server did not start on port {port}");
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// An RFC 7644 error body with this status.
    fn assert_scim_error(&self, case: &str, status: u16) {
        assert_eq!(
            self.status,
            status,
            "{case}: {} {}",
            self.status,
            String::from_utf8_lossy(&self.body)
        );
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("application/scim+json")),
            "{case}: content-type {:?}",
            self.header("content-type")
        );
        let json = self.json();
        assert_eq!(
            json["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
            "{case}: {json}"
        );
        assert_eq!(json["status"], status.to_string(), "{case}: {json}");
        assert!(
            json["detail"].as_str().is_some_and(|d| d.len() > 10),
            "{case}: {json}"
        );
    }
}

/// One keep-alive connection.
struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(port: u16) -> std::io::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(20)))?;
        Ok(Self {
            reader: BufReader::new(stream),
        })
    }

    fn send(&mut self, request: &[u8]) -> std::io::Result<Response> {
        self.reader.get_mut().write_all(request)?;
        self.read(request.starts_with(b"HEAD "))
    }

    /// Reads one response, by its Content-Length (or chunks).
    fn read(&mut self, head: bool) -> std::io::Result<Response> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed",
            ));
        }
        let status = line.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((n, v)) = l.split_once(':') {
                headers.push((n.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let mut response = Response {
            status,
            headers,
            body: Vec::new(),
        };
        if head {
            return Ok(response);
        }
        if let Some(len) = response
            .header("content-length")
            .and_then(|l| l.parse::<usize>().ok())
        {
            response.body = vec![0; len];
            self.reader.read_exact(&mut response.body)?;
        } else if response
            .header("transfer-encoding")
            .is_some_and(|t| t.contains("chunked"))
        {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk)?;
                if size == 0 {
                    break;
                }
                response.body.extend_from_slice(&chunk[..size]);
            }
        } else if response
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"))
        {
            self.reader.read_to_end(&mut response.body)?;
        }
        Ok(response)
    }

    /// Whether the server closed the connection (EOF within the timeout).
    fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        self.reader.read_to_end(&mut rest).is_ok()
    }
}

fn req(method: &str, path: &str, extra: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n{extra}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn json_req(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    req(
        method,
        path,
        "Content-Type: application/scim+json\r\n",
        body,
    )
}

fn get(path: &str) -> Vec<u8> {
    req("GET", path, "", b"")
}

/// The users and groups, with their versions, read on a new connection.
fn snapshot(port: u16) -> (serde_json::Value, serde_json::Value) {
    let mut c = Conn::open(port).expect("connect");
    let users = c
        .send(&get("/scim/v2/Users?count=1000"))
        .expect("list users")
        .json();
    let groups = c
        .send(&get("/scim/v2/Groups?count=1000"))
        .expect("list groups")
        .json();
    (users, groups)
}

/// Refusals the service makes, one after another on one connection, which
/// stays open and serves the next request.
#[test]
fn refusals_keep_the_connection() {
    let server = start();
    let port = server.port;
    let mut c = Conn::open(port).expect("connect");
    let created = c
        .send(&json_req(
            "POST",
            "/scim/v2/Users",
            br#"{"userName":"alice","emails":[{"value":"a@x"}]}"#,
        ))
        .expect("create");
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let id = created.json()["id"].as_str().expect("id").to_owned();
    let before = snapshot(port);
    let user = format!("/scim/v2/Users/{id}");
    let deep = format!(
        "{{\"userName\":\"d\",\"x\":{}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("malformed JSON", json_req("POST", "/scim/v2/Users", br#"{"userName": }"#), 400),
        ("invalid UTF-8", json_req("POST", "/scim/v2/Users", b"{\"userName\": \"\xff\"}"), 400),
        ("a NUL", json_req("PUT", &user, br#"{"userName": "a\u0000"}"#), 400),
        ("duplicate members", json_req("POST", "/scim/v2/Users", br#"{"userName":"a","userName":"b"}"#), 400),
        ("10 000-deep nesting", json_req("POST", "/scim/v2/Users", deep.as_bytes()), 400),
        ("an empty body", json_req("POST", "/scim/v2/Users", b""), 400),
        ("text/plain", req("POST", "/scim/v2/Users", "Content-Type: text/plain\r\n", br#"{"userName":"t"}"#), 415),
        ("gzip", req("POST", "/scim/v2/Users", "Content-Type: application/scim+json\r\nContent-Encoding: gzip\r\n", br#"{"userName":"g"}"#), 415),
        ("a bad PATCH op", json_req("PATCH", &user, br#"{"Operations":[{"op":"explode","path":"active"}]}"#), 400),
        ("a filter bomb", get(&format!("/scim/v2/Users?filter={}", "%28".repeat(3000))), 400),
        ("bad percent-encoding", get("/scim/v2/Users?filter=userName%20eq%20%22%ff%22"), 400),
        ("an unknown sortBy", get("/scim/v2/Users?sortBy=nope"), 400),
        ("a dot segment", get(&format!("/scim/v2/Users/../Groups/{id}")), 404),
        ("an encoded slash", get(&format!("/scim/v2/Users%2F{id}")), 404),
        ("a 30 KB id", get(&format!("/scim/v2/Users/{}", "a".repeat(30_000))), 404),
        ("an unknown method", req("FOO", &user, "", b""), 405),
        ("a stale ETag", req("DELETE", &user, "If-Match: W/\"0\"\r\n", b""), 412),
        ("If-None-Match: *", req("DELETE", &user, "If-None-Match: *\r\n", b""), 412),
        ("no token", format!("GET {user} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes(), 401),
        ("a wrong scheme", format!("GET {user} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic eDp5\r\n\r\n").into_bytes(), 401),
        ("a 6 KB token", format!("GET {user} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n", "t".repeat(6000)).into_bytes(), 401),
        ("circular Bulk", json_req("POST", "/scim/v2/Bulk", br#"{"Operations":[{"method":"POST","path":"/Groups","bulkId":"a","data":{"displayName":"a","members":[{"value":"bulkId:a"}]}}]}"#), 200),
    ];
    for (case, request, status) in &cases {
        let r = c.send(request).unwrap_or_else(|e| panic!("{case}: {e}"));
        if *status == 200 {
            assert_eq!(r.status, 200, "{case}");
            assert_eq!(r.json()["Operations"][0]["status"], "409", "{case}");
        } else {
            r.assert_scim_error(case, *status);
        }
        if *status == 405 {
            assert_eq!(r.header("allow"), Some("GET, PUT, PATCH, DELETE"), "{case}");
        }
        if *status == 401 {
            assert!(
                r.header("www-authenticate")
                    .is_some_and(|w| w.starts_with("Bearer")),
                "{case}"
            );
        }
    }
    let r = c
        .send(&get("/scim/v2/ServiceProviderConfig"))
        .expect("the connection still serves");
    assert_eq!(r.status, 200);
    assert_eq!(
        before,
        snapshot(port),
        "a refused request changed something"
    );
}

/// A body over the limit: 413 with a SCIM body naming the limit, whether
/// it is announced by Content-Length or comes in chunks; the connection is
/// closed cleanly or kept, and nothing is created.
#[test]
fn an_oversized_body_is_413() {
    let server = start();
    let port = server.port;
    let before = snapshot(port);
    let big = format!(
        "{{\"userName\":\"big\",\"displayName\":\"{}\"}}",
        "x".repeat(2 << 20)
    );
    let mut c = Conn::open(port).expect("connect");
    let request = json_req("POST", "/scim/v2/Users", big.as_bytes());
    // The server may answer before it has read the body and close: write
    // what it takes, then read.
    let _ = c.reader.get_mut().write_all(&request);
    let r = c.read(false).expect("a 413");
    r.assert_scim_error("Content-Length over the limit", 413);
    assert!(
        String::from_utf8_lossy(&r.body).contains("1048576"),
        "{}",
        String::from_utf8_lossy(&r.body)
    );

    let mut c = Conn::open(port).expect("connect");
    let mut chunked = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/scim+json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for chunk in big.as_bytes().chunks(64 * 1024) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let _ = c.reader.get_mut().write_all(&chunked);
    let r = c.read(false).expect("a 413");
    r.assert_scim_error("chunked over the limit", 413);
    assert_eq!(before, snapshot(port));
}

/// What the HTTP layer refuses before the service (ADAPTERS.md, "Requests
/// refused before the service"): a 100 KB URL, a NUL or bare CR in a
/// header, a request line that is not HTTP. The answer is the
/// framework's (414, 431, 400, or a closed connection), never a hang,
/// and the server goes on serving.
#[test]
fn the_http_layer_refuses_cleanly() {
    let server = start();
    let port = server.port;
    let before = snapshot(port);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("a 100 KB URL", get(&format!("/scim/v2/Users/{}", "a".repeat(100_000)))),
        ("a NUL in a header", b"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n".to_vec()),
        ("a bare CR in a header", b"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n".to_vec()),
        ("not HTTP", b"HELLO\r\n\r\n".to_vec()),
        ("a 100 KB header", format!("GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nX-A: {}\r\n\r\n", "a".repeat(100_000)).into_bytes()),
        ("Content-Length and chunked", b"POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec()),
        ("two Content-Lengths", b"POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n{}{}{}".to_vec()),
    ];
    for (case, request) in &cases {
        let mut c = Conn::open(port).expect("connect");
        let _ = c.reader.get_mut().write_all(request);
        match c.read(false) {
            Ok(r) => {
                assert!(
                    (400..500).contains(&r.status),
                    "{case}: {} {}",
                    r.status,
                    String::from_utf8_lossy(&r.body)
                );
            }
            Err(e) => assert!(
                matches!(
                    e.kind(),
                    std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
                ),
                "{case}: {e}"
            ),
        }
    }
    // A body shorter than its Content-Length, then the client gives up:
    // nothing is created.
    let mut c = Conn::open(port).expect("connect");
    let _ = c.reader.get_mut().write_all(
        format!("POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{{\"userName\":\"cut\"").as_bytes(),
    );
    let _ = c.reader.get_mut().shutdown(std::net::Shutdown::Write);
    let _ = c.closed();
    assert_eq!(
        before,
        snapshot(port),
        "a refused request changed something"
    );
    let mut c = Conn::open(port).expect("connect");
    assert_eq!(
        c.send(&get("/scim/v2/ServiceProviderConfig"))
            .expect("serves")
            .status,
        200
    );
}

/// HEAD tells the GET's length (or none, never 0 for a body that has
/// bytes); `/scim/v2/` with a trailing slash is the service root.
#[test]
fn head_and_trailing_slash() {
    let server = start();
    let mut c = Conn::open(server.port).expect("connect");
    let got = c.send(&get("/scim/v2/ServiceProviderConfig")).expect("GET");
    let head = c
        .send(&req("HEAD", "/scim/v2/ServiceProviderConfig", "", b""))
        .expect("HEAD");
    assert_eq!(head.status, 200);
    if let Some(len) = head.header("content-length") {
        assert_eq!(len, got.body.len().to_string());
    }
    let root = c.send(&get("/scim/v2/")).expect("GET /scim/v2/");
    assert_eq!(root.status, 200, "{}", String::from_utf8_lossy(&root.body));
    let anon = c
        .send(b"GET /scim/v2/ HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("GET /scim/v2/");
    anon.assert_scim_error("the root without a token", 401);
}
