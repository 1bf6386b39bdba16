//! The address a `deals serve` started on port 0 is serving on, read from its log (shared by
//! the test binaries that start the process).

/// The base URL in the "serving on http://…" start-up line, once it is logged.
pub fn served_address(log: &str) -> Option<String> {
    let at = log.find("serving on http://")? + "serving on http://".len();
    let addr: String = log[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
        .collect();
    addr.contains(':').then(|| format!("http://{addr}"))
}

#[test]
fn the_address_is_read_from_the_start_up_line() {
    let line = "2026-12-08T01:00:00Z  INFO agentic-deals is serving on http://127.0.0.1:40407 (API docs at /docs) addr=127.0.0.1:40407";
    assert_eq!(
        served_address(line).as_deref(),
        Some("http://127.0.0.1:40407")
    );
    assert_eq!(served_address("starting"), None);
}
