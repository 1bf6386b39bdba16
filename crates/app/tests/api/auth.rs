//! Register, login, refresh rotation and reuse detection, logout, `/users/me`, RBAC.

use deals_core::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, assert_problem, error_fields};

#[tokio::test]
async fn register_returns_the_user_and_a_token_pair() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "Ada@Example.com", "password": "correct horse", "name": "Ada"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert_eq!(body["user"]["name"], "Ada");
    assert_eq!(body["user"]["role"], "user");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 1800);
    assert!(body["user"].get("password_hash").is_none());
    let me: Value = app
        .get("/api/v1/users/me", body["access_token"].as_str())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], body["user"]["id"]);
    assert_eq!(me["email"], "ada@example.com");
    assert!(me["created_at"].is_string());
}

#[tokio::test]
async fn duplicate_email_is_409_whatever_its_case() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": user.email.to_uppercase(), "password": "another-password"}),
        )
        .await;
    assert_problem(res, 409).await;
}

#[tokio::test]
async fn register_validation_names_every_bad_field() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "not-an-email", "password": "short"}),
        )
        .await;
    let p = assert_problem(res, 422).await;
    assert_eq!(error_fields(&p), ["email", "password"]);
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "a@example.com"}),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["password"]);
    let res = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "a@example.com", "password": 12345678}),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["password"]);
}

#[tokio::test]
async fn login_succeeds_with_the_right_password_only() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let ok = app.login(&user.email, &user.password).await;
    assert_eq!(ok.id, user.id);
    let wrong = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": user.email, "password": "wrong-password"}),
        )
        .await;
    let wrong = assert_problem(wrong, 401).await;
    let unknown = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "nobody@example.com", "password": "wrong-password"}),
        )
        .await;
    let unknown = assert_problem(unknown, 401).await;
    assert_eq!(
        wrong, unknown,
        "same answer whether or not the account exists"
    );
}

#[tokio::test]
async fn imported_bcrypt_passwords_log_in_and_are_upgraded_to_argon2id() {
    let app = TestApp::spawn().await;
    let hash = bcrypt::hash("legacy-password", 4).unwrap();
    let email = deals_core::Email::parse("legacy@example.com").unwrap();
    app.state
        .store
        .create_user(deals_store::repo::users::NewUser {
            email: email.clone(),
            name: None,
            password_hash: hash,
            role: Role::User,
        })
        .await
        .unwrap();
    app.login("legacy@example.com", "legacy-password").await;
    let stored = app
        .state
        .store
        .find_user_by_email(&email)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.password_hash.starts_with("$argon2id$"));
    app.login("legacy@example.com", "legacy-password").await;
}

#[tokio::test]
async fn refresh_rotates_the_pair_and_kills_the_used_token() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let pair: Value = res.json().await.unwrap();
    let new_refresh = pair["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, user.refresh);
    assert_eq!(
        app.get("/api/v1/users/me", pair["access_token"].as_str())
            .await
            .status(),
        200
    );
    let again = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": new_refresh}),
        )
        .await;
    assert_eq!(again.status(), 200, "the new token works once");
    let replay = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_problem(replay, 401).await;
}

#[tokio::test]
async fn refresh_token_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let first: Value = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await
        .json()
        .await
        .unwrap();
    // An attacker replays the old token: refused, and the whole session dies.
    assert_problem(
        app.post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await,
        401,
    )
    .await;
    let legit = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": first["refresh_token"]}),
        )
        .await;
    assert_problem(legit, 401).await;
    assert_problem(
        app.get("/api/v1/users/me", first["access_token"].as_str())
            .await,
        401,
    )
    .await;
    // Other sessions of the same user are untouched.
    let other = app.login(&user.email, &user.password).await;
    assert_eq!(
        app.get("/api/v1/users/me", Some(&other.access))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn unknown_refresh_tokens_are_401() {
    let app = TestApp::spawn().await;
    assert_problem(
        app.post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": "rt_nope"}),
        )
        .await,
        401,
    )
    .await;
    let p = assert_problem(app.post("/api/v1/auth/refresh", None, json!({})).await, 422).await;
    assert_eq!(error_fields(&p), ["refresh_token"]);
}

#[tokio::test]
async fn logout_ends_the_session_for_both_tokens() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let res = app
        .post("/api/v1/auth/logout", Some(&user.access), json!({}))
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(app.get("/api/v1/users/me", Some(&user.access)).await, 401).await;
    assert_problem(
        app.post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await,
        401,
    )
    .await;
}

#[tokio::test]
async fn missing_expired_and_tampered_tokens_are_401() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let res = app.get("/api/v1/users/me", None).await;
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_problem(res, 401).await;
    let id = Uuid::parse_str(&user.id).unwrap();
    let claims = app.state.jwt.verify(&user.access).unwrap();
    let expired = app
        .state
        .jwt
        .issue_with_ttl(id, Role::User, claims.fid, -10)
        .unwrap();
    assert_problem(app.get("/api/v1/users/me", Some(&expired)).await, 401).await;
    // Same signature, payload edited to claim the admin role.
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = user.access.split('.').collect();
    let mut payload: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    payload["role"] = json!("admin");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(payload.to_string()),
        parts[2]
    );
    assert_problem(app.get("/api/v1/users/me", Some(&tampered)).await, 401).await;
    let forged = deals_app::auth::JwtKeys::new(
        "some-other-secret-that-is-long-enough!",
        std::time::Duration::from_secs(60),
    )
    .issue(id, Role::Admin, claims.fid)
    .unwrap();
    assert_problem(app.get("/api/v1/users/me", Some(&forged)).await, 401).await;
    assert_problem(app.get("/api/v1/users/me", Some("garbage")).await, 401).await;
}

#[tokio::test]
async fn admin_routes_are_403_for_users_and_open_to_admins() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    assert_problem(
        app.get("/api/v1/admin/users", Some(&user.access)).await,
        403,
    )
    .await;
    assert_problem(app.get("/api/v1/admin/users", None).await, 401).await;
    let admin = app.register_admin().await;
    let res = app
        .get("/api/v1/admin/users?per_page=1", Some(&admin.access))
        .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["total"], 2);
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        (body["page"].as_u64(), body["per_page"].as_u64()),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn preferences_default_then_validate_and_persist() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let prefs: Value = app
        .get("/api/v1/users/me/preferences", Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(prefs["timezone"], "UTC");
    assert_eq!(prefs["channels"]["in_app"], true);
    let bad = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/users/me/preferences",
            Some(&user.access),
            Some(json!({"timezone": "Nowhere/City", "digest": "daily"})),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(bad, 422).await), ["timezone"]);
    let body = json!({"timezone": "Europe/Berlin", "min_priority": "high", "quiet_hours": {"start": "22:00", "end": "07:00"}, "digest": "daily"});
    let res = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/users/me/preferences",
            Some(&user.access),
            Some(body),
        )
        .await;
    assert_eq!(res.status(), 200);
    let prefs: Value = app
        .get("/api/v1/users/me/preferences", Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(prefs["timezone"], "Europe/Berlin");
    assert_eq!(prefs["min_priority"], "high");
    assert_eq!(prefs["quiet_hours"]["start"], "22:00");
}

#[tokio::test]
async fn service_accounts_may_read_and_create_but_not_change_or_delete() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let id = Uuid::parse_str(&user.id).unwrap();
    let hash = app.state.store.get_user(id).await.unwrap().password_hash;
    app.state
        .store
        .update_user_credentials(id, Role::Service, hash)
        .await
        .unwrap();
    let svc = app.login(&user.email, &user.password).await;
    let goal = app.create_goal(&svc, "mechanical keyboard").await;
    let path = format!("/api/v1/goals/{}", goal["id"].as_str().unwrap());
    assert_eq!(app.get(&path, Some(&svc.access)).await.status(), 200);
    assert_problem(
        app.patch(&path, Some(&svc.access), json!({"title": "x"}))
            .await,
        403,
    )
    .await;
    assert_problem(app.delete(&path, Some(&svc.access)).await, 403).await;
}

#[tokio::test]
async fn a_demoted_admin_loses_admin_rights_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.register_admin().await;
    assert_eq!(
        app.get("/api/v1/admin/users", Some(&admin.access))
            .await
            .status(),
        200
    );
    let id = Uuid::parse_str(&admin.id).unwrap();
    let hash = app.state.store.get_user(id).await.unwrap().password_hash;
    app.state
        .store
        .update_user_credentials(id, Role::User, hash)
        .await
        .unwrap();
    assert_problem(
        app.get("/api/v1/admin/users", Some(&admin.access)).await,
        403,
    )
    .await;
}
