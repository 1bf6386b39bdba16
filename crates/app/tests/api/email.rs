//! E-mail alerts through a local SMTP sink: a multipart text + HTML message with RFC 8058
//! one-click unsubscribe headers, whose signed link turns e-mail alerts off.

use std::sync::{Arc, Mutex};

use deals_app::notify::{Alert, notify};
use deals_core::{NotificationKind, Priority};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use uuid::Uuid;

use crate::helpers::TestApp;

/// A minimal SMTP server that accepts every message and keeps its DATA.
async fn smtp_sink() -> (Arc<Mutex<Vec<String>>>, u16) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mail: Arc<Mutex<Vec<String>>> = Arc::default();
    let kept = mail.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.split(' ').next().unwrap_or("").to_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "DATA" => {
                            write.write_all(b"354 go on\r\n").await.unwrap();
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            kept.lock().unwrap().push(data);
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(answer).await.unwrap();
                }
            });
        }
    });
    (mail, port)
}

#[tokio::test]
async fn an_alert_e_mail_is_multipart_with_a_one_click_unsubscribe_that_works() {
    let (mail, port) = smtp_sink().await;
    let app = TestApp::spawn_with(|s| {
        s.email.smtp_url = deals_app::config::Secret::new(format!("smtp://127.0.0.1:{port}"));
        s.email.base_url = "http://deals.test".into();
    })
    .await;
    let user = app.register_user().await;
    let res = app
        .request(
            reqwest::Method::PUT,
            "/api/v1/users/me/preferences",
            Some(&user.access),
            Some(json!({"channels": {"email": true}})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let stored = notify(
        &app.state,
        Uuid::parse_str(&user.id).unwrap(),
        Alert {
            kind: NotificationKind::BelowTarget,
            priority: Priority::High,
            title: "Below target: Sony A80L".into(),
            body: "$1,199 at Best Buy".into(),
            data: json!({"url": "https://shop.example/p/9", "deal_url": "/deals/9"}),
            dedup_key: "email-test".into(),
        },
    )
    .await
    .unwrap();
    assert!(stored);
    app.drain_jobs().await;

    let sent = mail.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    // Unfold folded header lines.
    let message = sent[0].replace("\n ", " ").replace("\n\t", " ");
    assert!(
        message.contains(&format!("To: {}", user.email)),
        "{message}"
    );
    assert!(
        message.contains("Subject: Below target: Sony A80L"),
        "{message}"
    );
    assert!(message.contains("multipart/alternative"));
    assert!(message.contains("text/plain") && message.contains("text/html"));
    assert!(message.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    let link = message
        .lines()
        .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
        .unwrap()
        .trim_end_matches('>')
        .to_owned();
    assert!(
        link.starts_with("http://deals.test/api/v1/unsubscribe?"),
        "{link}"
    );

    let list = app.get_json("/api/v1/notifications", &user.access).await;
    assert_eq!(list["items"][0]["deliveries"][0]["channel"], "email");
    assert_eq!(list["items"][0]["deliveries"][0]["status"], "sent");

    // A forged link does nothing; the real one turns e-mail alerts off with one POST.
    let path = link.trim_start_matches("http://deals.test");
    let forged = path.replace("sig=", "sig=00");
    let res = app
        .client
        .post(app.url(&forged))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .client
        .post(app.url(path))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let prefs = app
        .get_json("/api/v1/users/me/preferences", &user.access)
        .await;
    assert_eq!(prefs["channels"]["email"], false);
}
