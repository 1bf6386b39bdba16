//! Wallet proof: a signed Sign-In With Solana challenge links the wallet; every other answer is
//! a clear 4xx naming what is wrong.

use chrono::Duration;
use deals_app::tokens::wallet::SiwsMessage;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser, assert_problem, error_fields};

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn address(key: &SigningKey) -> String {
    bs58::encode(key.verifying_key().as_bytes()).into_string()
}

fn sign(key: &SigningKey, message: &str) -> String {
    bs58::encode(key.sign(message.as_bytes()).to_bytes()).into_string()
}

async fn challenge(app: &TestApp, user: &TestUser, address: &str) -> Value {
    let res = app
        .post(
            "/api/v1/wallet/challenge",
            Some(&user.access),
            json!({ "address": address }),
        )
        .await;
    assert_eq!(res.status(), 200, "challenge");
    res.json().await.unwrap()
}

async fn verify(
    app: &TestApp,
    user: &TestUser,
    address: &str,
    signature: &str,
) -> reqwest::Response {
    app.post(
        "/api/v1/wallet/verify",
        Some(&user.access),
        json!({ "address": address, "signature": signature }),
    )
    .await
}

#[tokio::test]
async fn a_valid_signature_links_the_wallet_once() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let wallet = key(7);
    let addr = address(&wallet);
    let issued = challenge(&app, &user, &addr).await;
    let message = issued["message"].as_str().unwrap();
    assert!(message.starts_with("localhost:8000 wants you to sign in with your Solana account:\n"));
    assert!(message.contains(&format!("\nNonce: {}\n", issued["nonce"].as_str().unwrap())));

    let res = verify(&app, &user, &addr, &sign(&wallet, message)).await;
    assert_eq!(res.status(), 200);
    let linked = app.get_json("/api/v1/wallet", &user.access).await;
    assert_eq!(linked["address"], addr.as_str());

    let again = verify(&app, &user, &addr, &sign(&wallet, message)).await;
    let problem = assert_problem(again, 409).await;
    assert!(problem["detail"].as_str().unwrap().contains("used already"));

    let other = app.register_user().await;
    let theirs = challenge(&app, &other, &addr).await;
    let taken = verify(
        &app,
        &other,
        &addr,
        &sign(&wallet, theirs["message"].as_str().unwrap()),
    )
    .await;
    let problem = assert_problem(taken, 409).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("another account")
    );
}

#[tokio::test]
async fn a_changed_message_or_another_key_does_not_verify() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let wallet = key(8);
    let addr = address(&wallet);
    let issued = challenge(&app, &user, &addr).await;
    let message = issued["message"].as_str().unwrap();
    let changed = message.replace("Link this wallet", "Send all tokens");
    let res = verify(&app, &user, &addr, &sign(&wallet, &changed)).await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["signature"]);

    let issued = challenge(&app, &user, &addr).await;
    let intruder = key(9);
    let res = verify(
        &app,
        &user,
        &addr,
        &sign(&intruder, issued["message"].as_str().unwrap()),
    )
    .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["signature"]);
    assert_eq!(
        app.get("/api/v1/wallet", Some(&user.access)).await.status(),
        404
    );
}

#[tokio::test]
async fn an_expired_challenge_is_refused() {
    let app = TestApp::spawn_with(|s| s.tokens.solana.challenge_ttl_secs = 0).await;
    let user = app.register_user().await;
    let wallet = key(10);
    let addr = address(&wallet);
    let issued = challenge(&app, &user, &addr).await;
    let res = verify(
        &app,
        &user,
        &addr,
        &sign(&wallet, issued["message"].as_str().unwrap()),
    )
    .await;
    let problem = assert_problem(res, 409).await;
    assert!(problem["detail"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn a_challenge_naming_another_domain_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let wallet = key(11);
    let addr = address(&wallet);
    let at = deals_store::now();
    let foreign = SiwsMessage {
        domain: "evil.example".into(),
        address: addr.clone(),
        statement: "Sign in".into(),
        uri: "https://evil.example".into(),
        chain_id: "mainnet".into(),
        nonce: "evilnonce1".into(),
        issued_at: at,
        expiration_time: at + Duration::minutes(5),
    };
    let text = foreign.render();
    let user_id = Uuid::parse_str(&user.id).unwrap();
    app.state
        .store
        .create_wallet_challenge(
            user_id,
            &addr,
            &foreign.nonce,
            &text,
            foreign.expiration_time,
        )
        .await
        .unwrap();
    let res = verify(&app, &user, &addr, &sign(&wallet, &text)).await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(error_fields(&problem), ["message"]);
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("evil.example")
    );
}

#[tokio::test]
async fn malformed_base58_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let res = app
        .post(
            "/api/v1/wallet/challenge",
            Some(&user.access),
            json!({"address": "0OIl-not-base58"}),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["address"]);
    let short = bs58::encode([1_u8; 31]).into_string();
    let res = app
        .post(
            "/api/v1/wallet/challenge",
            Some(&user.access),
            json!({"address": short}),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["address"]);

    let wallet = key(12);
    let addr = address(&wallet);
    challenge(&app, &user, &addr).await;
    let res = verify(&app, &user, &addr, "not+base58").await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["signature"]);
    let res = verify(&app, &user, &addr, &bs58::encode([3_u8; 63]).into_string()).await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["signature"]);
}
