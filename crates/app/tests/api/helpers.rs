//! `TestApp`: the real application on port 0 with a fresh database, and helpers that read as
//! sentences. No worker or scheduler runs in the background: a test runs the due jobs itself
//! with [`TestApp::drain_jobs`], so what they did is in place when it returns.

use deals_app::config::Settings;
use deals_app::startup::Application;
use deals_app::state::AppState;
use deals_store::testing::{Backend, TestDb, redis_url};
use reqwest::{Client, Method, Response};
use serde_json::{Value, json};
use uuid::Uuid;

/// A running application.
pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub state: AppState,
    _db: TestDb,
}

/// A registered user and their tokens.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub access: String,
    pub refresh: String,
}

impl TestUser {
    /// The user of a register or login answer.
    fn from_answer(body: Value, email: &str, password: &str) -> Self {
        Self {
            id: body["user"]["id"].as_str().unwrap().to_owned(),
            email: email.to_owned(),
            password: password.to_owned(),
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }
}

/// Settings for tests: port 0, no demo data, generous limits.
pub fn test_settings() -> Settings {
    let mut s = Settings::default();
    s.server.listen = "127.0.0.1:0".parse().unwrap();
    s.seed.demo_on_empty = false;
    s.rate_limit.anonymous_per_minute = 10_000;
    s.rate_limit.user_per_minute = 10_000;
    s.rate_limit.auth_per_minute = 10_000;
    // The simulated marketplace only where a test asks for it (`spawn_with_markets`); its
    // stores never go slow on their own.
    s.sim.enabled = false;
    s.sim.chaos = false;
    s
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with the simulated five-store marketplace running (chaos off).
    pub async fn spawn_with_markets() -> Self {
        Self::spawn_with(|s| s.sim.enabled = true).await
    }

    /// Spawns with adjusted settings on the backend chosen by `DEALS_TEST_BACKEND`.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        let db = TestDb::from_env().await;
        let mut settings = test_settings();
        if Backend::from_env() == Backend::Postgres {
            let url = redis_url().expect("DEALS_TEST_BACKEND=postgres needs DEALS_TEST_REDIS_URL");
            settings.redis.url = deals_app::config::Secret::new(url);
            settings.redis.key_prefix = format!("test:{}:", Uuid::new_v4().simple());
        }
        adjust(&mut settings);
        Self::spawn_on(db, settings).await
    }

    /// Spawns on a given database with given settings: the API only, jobs run by
    /// [`TestApp::drain_jobs`].
    pub async fn spawn_on(db: TestDb, settings: Settings) -> Self {
        let app = Application::build_with_store(settings, db.store.clone())
            .await
            .expect("app builds")
            .api_only();
        let address = format!("http://{}", app.local_addr().unwrap());
        let state = app.state().clone();
        tokio::spawn(app.run_until(std::future::pending()));
        Self {
            address,
            client: Client::new(),
            state,
            _db: db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::DELETE, path, token, None).await
    }

    /// Registers a fresh user and returns their tokens.
    pub async fn register_user(&self) -> TestUser {
        let email = format!("user-{}@example.com", Uuid::new_v4().simple());
        let password = "s3cure-passw0rd".to_owned();
        let res = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(res.status(), 201, "register");
        TestUser::from_answer(res.json().await.unwrap(), &email, &password)
    }

    /// Registers a user and makes them an administrator (as `deals admin create-admin` does).
    pub async fn register_admin(&self) -> TestUser {
        let user = self.register_user().await;
        let id = Uuid::parse_str(&user.id).unwrap();
        let stored = self.state.store.get_user(id).await.unwrap();
        self.state
            .store
            .update_user_credentials(id, deals_core::Role::Admin, stored.password_hash)
            .await
            .unwrap();
        self.login(&user.email, &user.password).await
    }

    /// Logs in and returns fresh tokens.
    pub async fn login(&self, email: &str, password: &str) -> TestUser {
        let res = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(res.status(), 200, "login");
        TestUser::from_answer(res.json().await.unwrap(), email, password)
    }

    /// Creates a goal from plain language and returns it.
    pub async fn create_goal(&self, user: &TestUser, query: &str) -> Value {
        let res = self
            .post("/api/v1/goals", Some(&user.access), json!({"query": query}))
            .await;
        assert_eq!(res.status(), 201, "create goal");
        res.json().await.unwrap()
    }

    /// Attaches a deal to a goal and returns the match.
    pub async fn attach_deal(&self, user: &TestUser, goal_id: &str, deal: Value) -> Value {
        let res = self
            .post(
                &format!("/api/v1/goals/{goal_id}/deals"),
                Some(&user.access),
                deal,
            )
            .await;
        assert_eq!(res.status(), 201, "attach deal");
        res.json().await.unwrap()
    }
}

/// Asserts a problem document with `status`, returning it.
pub async fn assert_problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct}"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());
    body
}

/// The `field` names of a 422 problem.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

impl TestApp {
    /// Runs every due job to completion in this process, including the jobs those jobs enqueue,
    /// and returns how many ran. Delayed jobs (a retry's backoff) stay queued.
    pub async fn drain_jobs(&self) -> usize {
        deals_app::jobs::runner::run_due(&self.state)
            .await
            .expect("due jobs run")
    }

    /// `GET path` as `token`, expecting 200, as JSON.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let res = self.get(path, Some(token)).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.unwrap()
    }

    /// One job, as its owner (or an administrator) reads it.
    pub async fn job(&self, token: &str, job_id: &str) -> Value {
        self.get_json(&format!("/api/v1/jobs/{job_id}"), token)
            .await
    }
}
