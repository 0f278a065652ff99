//! The admin page in a real browser (Debian's chromium, driven through
//! its chromedriver): sign in, pick an organization, create a connection,
//! use the token it shows for SCIM requests, and see them, the failure
//! with its detail, on the page.
//!
//! Each step waits for the element the next page must have (a click
//! that submits a form may return before the next page is loaded).
//!
//! Skipped (with a message) when `chromedriver` or `chromium` is not
//! installed, unless `SCIM_REQUIRE_BROWSER=1` (CI sets it), which fails
//! instead.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

const ADMIN_TOKEN: &str = "browser-test-admin-token";

/// A child process, killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not listen on port {port}");
}

/// One HTTP/1.1 request: the status and the body.
fn scim(port: u16, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        stream,
        "{method} /scim/v2{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn find_program(name: &str) -> Option<String> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .map(|p| p.display().to_string())
}

#[tokio::test]
async fn an_admin_creates_a_connection_and_sees_its_requests_on_the_page() {
    let required = std::env::var("SCIM_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let (Some(driver), Some(chromium)) = (
        find_program("chromedriver"),
        find_program("chromium").or_else(|| find_program("chromium-browser")),
    ) else {
        assert!(
            !required,
            "SCIM_REQUIRE_BROWSER=1 but chromedriver or chromium is not installed \
             (Debian: apt-get install chromium chromium-driver)"
        );
        eprintln!("SKIP: chromedriver or chromium is not installed");
        return;
    };

    // The example server as a user starts it, on a fresh SQLite file.
    let dir = std::env::temp_dir().join(format!("scim-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let db = dir.join("scim.db");
    let _ = std::fs::remove_file(&db);
    let port = free_port();
    let _server = Killed(
        Command::new(env!("CARGO_BIN_EXE_scim-example-axum"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--admin-token", ADMIN_TOKEN])
            .args(["--database", &format!("sqlite://{}", db.display())])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the example server"),
    );
    wait_for_port(port, "the example server");
    let driver_port = free_port();
    let _driver = Killed(
        Command::new(&driver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    wait_for_port(driver_port, "chromedriver");

    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--no-first-run",
                     format!("--user-data-dir={}", dir.join("profile").display())],
        }),
    );
    let browser = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("a browser session");
    let outcome = run(&browser, port).await;
    let _ = browser.close().await;
    let _ = std::fs::remove_dir_all(Path::new(&dir));
    outcome.unwrap_or_else(|e| panic!("{e}"));
}

async fn run(b: &Client, port: u16) -> Result<(), String> {
    let err = |what: &str| {
        let what = what.to_owned();
        move |e: fantoccini::error::CmdError| format!("{what}: {e}")
    };
    let base = format!("http://127.0.0.1:{port}");

    // Without the admin's credential: the sign-in form.
    b.goto(&format!("{base}/admin"))
        .await
        .map_err(err("open /admin"))?;
    b.find(Locator::Css("#admin-token"))
        .await
        .map_err(err("the sign-in form's labelled token field"))?
        .send_keys(ADMIN_TOKEN)
        .await
        .map_err(err("type the admin token"))?;
    b.find(Locator::XPath("//button[normalize-space()='Sign in']"))
        .await
        .map_err(err("the Sign in button"))?
        .click()
        .await
        .map_err(err("sign in"))?;

    // Pick an organization by name.
    b.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#other"))
        .await
        .map_err(err("the organization field"))?
        .send_keys("acme")
        .await
        .map_err(err("type the organization"))?;
    b.find(Locator::XPath(
        "//input[@id='other']/ancestor::form//button[@type='submit']",
    ))
    .await
    .map_err(err("the organization form's button"))?
    .click()
    .await
    .map_err(err("show the organization"))?;

    // Create a connection: its Secret Token is shown once.
    b.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#new-name"))
        .await
        .map_err(err("the new connection's name field"))?
        .send_keys("entra-browser")
        .await
        .map_err(err("type the connection name"))?;
    b.find(Locator::XPath(
        "//button[normalize-space()='Create connection']",
    ))
    .await
    .map_err(err("the Create connection button"))?
    .click()
    .await
    .map_err(err("create the connection"))?;
    let token = b
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#new-token"))
        .await
        .map_err(err("the new token's field"))?
        .prop("value")
        .await
        .map_err(err("the new token"))?
        .ok_or("the token field has no value")?;
    if !token.starts_with("scim_") {
        return Err(format!("not a token: {token:?}"));
    }
    let page = b.source().await.map_err(err("the page"))?;
    if !page.contains("will not be shown again") {
        return Err(format!("no warning that the token is shown once:\n{page}"));
    }

    // The identity provider uses it: one create, one refused PATCH.
    let user = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann@contoso.com"}"#;
    let (status, body) = scim(port, "POST", "/Users", &token, user);
    if status != 201 {
        return Err(format!(
            "the shown token did not create a user: {status} {body}"
        ));
    }
    let id = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_owned))
        .ok_or("no id")?;
    let bad = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":"maybe"}]}"#;
    let (status, _) = scim(port, "PATCH", &format!("/Users/{id}"), &token, bad);
    if status != 400 {
        return Err(format!("the bad PATCH answered {status}"));
    }

    // The page shows them: the connection was used, the create, and the
    // failure highlighted with its detail. The token is not shown again.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        b.goto(&format!("{base}/admin/?tenant=acme"))
            .await
            .map_err(err("reload the page"))?;
        let page = b.source().await.map_err(err("the page"))?;
        let failed_rows = b
            .find_all(Locator::Css("tr.failed"))
            .await
            .map_err(err("the failed rows"))?;
        let mut failed_text = String::new();
        for row in &failed_rows {
            failed_text.push_str(&row.text().await.map_err(err("a failed row"))?);
        }
        let shown = page.contains("entra-browser")
            && !page.contains("never — press Test Connection")
            && page.contains("POST")
            && failed_text.contains("Failed")
            && failed_text.contains("PATCH")
            && failed_text.contains("invalidValue");
        if shown {
            if page.contains(&token) {
                return Err("the Secret Token is shown again".to_owned());
            }
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the page does not show the requests (failed rows: {failed_text:?}):\n{page}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
