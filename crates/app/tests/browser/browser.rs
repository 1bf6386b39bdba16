//! The app and the browser for one test: `Harness::start` spawns the app, chromedriver and a
//! headless Chromium session; dropping it ends chromedriver (its own child process only).

use std::path::PathBuf;
use std::process::Stdio;

use deals_app::config::Settings;
use deals_app::startup::Application;
use deals_app::state::AppState;
use deals_store::testing::{Backend, TestDb, redis_url};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use uuid::Uuid;

/// A running app with a browser pointed at it.
pub struct Harness {
    pub base: String,
    pub state: AppState,
    pub browser: Client,
    _driver: Child,
    _db: TestDb,
}

fn settings() -> Settings {
    let mut s = Settings::default();
    s.server.listen = "127.0.0.1:0".parse().unwrap();
    s.seed.demo_on_empty = false;
    s.rate_limit.anonymous_per_minute = 100_000;
    s.rate_limit.user_per_minute = 100_000;
    s.rate_limit.auth_per_minute = 100_000;
    s.sim.enabled = true;
    s.sim.chaos = false;
    if Backend::from_env() == Backend::Postgres {
        let url = redis_url().expect("DEALS_TEST_BACKEND=postgres needs DEALS_TEST_REDIS_URL");
        s.redis.url = deals_app::config::Secret::new(url);
        s.redis.key_prefix = format!("test:{}:", Uuid::new_v4().simple());
    }
    s
}

/// Whether chromium and chromedriver are installed; under CI their absence is a failure.
pub fn browser_available() -> bool {
    let found = ["chromium", "chromedriver"].iter().all(|b| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(b).is_file()))
    });
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromium and chromedriver are required under CI (apt-get install chromium chromium-driver)"
        );
        eprintln!("chromium/chromedriver not installed: browser test not run");
    }
    found
}

/// Starts chromedriver on a free port and returns it once it says it is ready.
async fn chromedriver() -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.contains("started successfully") {
            break;
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, port)
}

impl Harness {
    /// The app and a browser session (`javascript: false` disables scripts in the browser).
    pub async fn start(javascript: bool) -> Self {
        let db = TestDb::from_env().await;
        let app = Application::build_with_store(settings(), db.store.clone())
            .await
            .expect("app builds")
            .api_only();
        let base = format!("http://{}", app.local_addr().unwrap());
        let state = app.state().clone();
        tokio::spawn(app.run_until(std::future::pending()));
        let (driver, port) = chromedriver().await;
        let mut options = json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"],
        });
        if !javascript {
            options["prefs"] = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let browser = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("browser session");
        Self {
            base,
            state,
            browser,
            _driver: driver,
            _db: db,
        }
    }

    pub async fn goto(&self, path: &str) {
        self.browser
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// Waits for an element matching `css` (WebDriver's own wait, no sleeps).
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.browser
            .wait()
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.wait_for(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.wait_for(css).await.click().await.unwrap();
    }

    /// The text of the element matching `css`. A live page may swap the element between finding
    /// and reading it (a socket frame re-fetching a fragment): it is then found again.
    pub async fn text(&self, css: &str) -> String {
        let mut tries = 0;
        loop {
            match self.wait_for(css).await.text().await {
                Ok(text) => return text,
                Err(e) if tries < 5 && is_stale(&e) => tries += 1,
                Err(e) => panic!("text of {css}: {e}"),
            }
        }
    }

    pub async fn path(&self) -> String {
        self.browser.current_url().await.unwrap().path().to_owned()
    }

    /// Saves a screenshot as `target/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.browser.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Runs every due job (analysis, search, ingest, alerts) in this process.
    pub async fn drain_jobs(&self) {
        deals_app::jobs::runner::run_due(&self.state).await.unwrap();
    }

    pub async fn close(self) {
        self.browser.close().await.unwrap();
    }
}

/// Whether a WebDriver error says the element left the page.
fn is_stale(e: &fantoccini::error::CmdError) -> bool {
    matches!(
        e,
        fantoccini::error::CmdError::Standard(w)
            if w.error == fantoccini::error::ErrorStatus::StaleElementReference
    )
}
