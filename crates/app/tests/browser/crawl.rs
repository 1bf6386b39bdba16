//! A crawler over every page reachable by links from the landing page and the dashboard: each
//! answers below 400, has one `<h1>`, a `<title>`, and a label for every form control.

use std::collections::{BTreeSet, HashMap, VecDeque};

use uuid::Uuid;

use crate::browser::{Harness, browser_available};

/// At most this many pages per route shape (ids replaced), so a long deal list stays quick.
const PER_SHAPE: usize = 2;

fn shape(path: &str) -> String {
    path.split('?')
        .next()
        .unwrap_or("")
        .split('/')
        .map(|seg| {
            if Uuid::parse_str(seg).is_ok() {
                ":id"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

const CHECK: &str = r#"
const unlabelled = Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
  .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label'))
  .map(e => e.name || e.id);
const links = Array.from(document.querySelectorAll('a[href^="/"]')).map(a => a.getAttribute('href'));
return { h1: document.querySelectorAll('h1').length, title: document.title, unlabelled, links };
"#;

async fn crawl(h: &Harness, start: &str, cookie: Option<&str>, seen: &mut BTreeSet<String>) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut shapes: HashMap<String, usize> = HashMap::new();
    let mut queue = VecDeque::from([start.to_owned()]);
    while let Some(path) = queue.pop_front() {
        let n = shapes.entry(shape(&path)).or_default();
        if *n >= PER_SHAPE || !seen.insert(path.clone()) {
            continue;
        }
        *n += 1;
        let mut req = http.get(format!("{}{path}", h.base));
        if let Some(c) = cookie {
            req = req.header("cookie", format!("deals_session={c}"));
        }
        let status = req.send().await.unwrap().status();
        assert!(status.as_u16() < 400, "{path} answered {status}");
        h.goto(&path).await;
        let found = h.browser.execute(CHECK, vec![]).await.unwrap();
        assert_eq!(found["h1"], 1, "{path} has one h1");
        assert!(
            !found["title"].as_str().unwrap().is_empty(),
            "{path} has a title"
        );
        assert_eq!(
            found["unlabelled"],
            serde_json::json!([]),
            "{path}: controls without a label"
        );
        for link in found["links"].as_array().unwrap() {
            let link = link.as_str().unwrap();
            let skip = ["/docs", "/api/", "/static/", "/openapi"]
                .iter()
                .any(|p| link.starts_with(p));
            if !skip {
                queue.push_back(link.to_owned());
            }
        }
    }
}

#[tokio::test]
async fn every_page_linked_from_landing_and_dashboard_has_one_h1_a_title_and_labelled_controls() {
    if !browser_available() {
        return;
    }
    let h = Harness::start(true).await;
    let mut seen = BTreeSet::new();
    crawl(&h, "/", None, &mut seen).await;
    assert!(seen.contains("/login") && seen.contains("/register") && seen.contains("/deals"));

    h.goto("/register").await;
    h.fill(
        "#email",
        &format!("crawl-{}@example.com", Uuid::new_v4().simple()),
    )
    .await;
    h.fill("#password", "s3cure-passw0rd").await;
    h.click("form[action='/register'] button[type=submit]")
        .await;
    h.wait_for("#unread-badge").await;
    h.goto("/goals/new").await;
    h.fill("#query", "oled tv under $1500").await;
    h.click("button[value=create]").await;
    h.wait_for("#goal-deals").await;
    h.drain_jobs().await;
    let cookie = h.browser.get_named_cookie("deals_session").await.unwrap();
    let mut seen = BTreeSet::new();
    crawl(&h, "/dashboard", Some(cookie.value()), &mut seen).await;
    for page in [
        "/dashboard",
        "/goals",
        "/goals/new",
        "/tracked",
        "/notifications",
        "/settings",
    ] {
        assert!(seen.contains(page), "{page} is linked from the dashboard");
    }
    assert!(
        seen.iter().any(|p| p.starts_with("/deals/")),
        "deal pages are reached"
    );
    h.close().await;
}
