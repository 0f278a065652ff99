//! The example store mounted in axum: a SCIM server whose data lives in
//! `ExampleStore` (see `lib.rs`), the way yours would live in your
//! database.
//!
//! `SCIM_TOKEN=s3cret cargo run -p scim-example-custom-store` serves
//! `http://127.0.0.1:8080/scim/v2` (`SCIM_LISTEN` to change it).

use axum::Router;
use scim_core::ScimService;
use scim_core::auth::TokenAuthenticator;
use scim_example_custom_store::ExampleStore;

#[tokio::main]
async fn main() {
    let listen = std::env::var("SCIM_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    let given = std::env::var("SCIM_TOKEN").ok().filter(|t| !t.is_empty());
    let token = given
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let base_url = format!("http://{listen}/scim/v2");

    // Your store goes where `MemoryStore` goes in the other examples.
    let service = ScimService::builder(ExampleStore::new())
        .base_url(&base_url)
        .authenticator(TokenAuthenticator::new().token("default", &token))
        .build();
    let app = Router::new().nest_service("/scim/v2", scim_axum::router(service));

    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    println!("Tenant URL: {base_url}");
    if given.is_none() {
        println!("Secret Token: {token}");
    }
    let shutdown = async {
        tokio::signal::ctrl_c().await.ok();
    };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("server error: {e}");
        std::process::exit(1);
    }
}
