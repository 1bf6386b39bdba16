//! `deals backup --to FILE`: an online, consistent copy of a SQLite database, through the binary.
//! (PostgreSQL is backed up with `pg_dump`; `scripts/pg-backup-test.sh` restores a dump and serves
//! it.) These tests use SQLite on both test backends: the subcommand is SQLite's.

use std::process::Stdio;

use deals_core::{Email, Role};
use deals_store::repo::users::NewUser;
use deals_store::{DbSettings, Store};
use tokio::process::Command;

fn deals(url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_deals"));
    cmd.args(args)
        .env("DEALS_DATABASE__URL", url)
        .env("DEALS_SIM__ENABLED", "false")
        .env("DEALS_LOG__LEVEL", "warn")
        .env_remove("DEALS_REDIS__URL")
        .env_remove("DEALS_CONFIG_FILE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

#[tokio::test]
async fn backup_copies_a_sqlite_database_while_it_is_written_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("deals.db").display());
    let seeded = deals(&url, &["seed"]).output().await.unwrap();
    assert!(seeded.status.success(), "deals seed: {seeded:?}");

    let store = Store::connect(&DbSettings::new(url.clone())).await.unwrap();
    let users_before = store.count_users().await.unwrap();
    let listings = store.count_listings().await.unwrap();
    assert!(users_before >= 1 && listings > 0, "the demo data is there");

    // A writer keeps adding accounts while the copy is taken: the copy holds some prefix of them,
    // whole (a point in time), and the source is not blocked.
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 0..40 {
                store
                    .create_user(NewUser {
                        email: Email::parse(&format!("during-{i}@example.com")).unwrap(),
                        name: None,
                        password_hash: "not-a-hash".into(),
                        role: Role::User,
                    })
                    .await
                    .unwrap();
            }
        })
    };
    let copy = dir.path().join("backups/deals-copy.db");
    let out = deals(&url, &["backup", "--to", copy.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "deals backup: {out:?}");
    writer.await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), users_before + 40);

    let restored = Store::connect(&DbSettings::new(format!("sqlite://{}", copy.display())))
        .await
        .unwrap();
    let copied_users = restored.count_users().await.unwrap();
    assert!(
        (users_before..=users_before + 40).contains(&copied_users),
        "copy has {copied_users} users, source had {users_before} before and +40 after"
    );
    assert_eq!(restored.count_listings().await.unwrap(), listings);
    let demo = Email::parse("demo@agentic-deals.local").unwrap();
    assert!(restored.find_user_by_email(&demo).await.unwrap().is_some());

    // An existing file is never overwritten.
    let len = std::fs::metadata(&copy).unwrap().len();
    let again = deals(&url, &["backup", "--to", copy.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(std::fs::metadata(&copy).unwrap().len(), len);
}

#[tokio::test]
async fn backup_of_postgresql_points_to_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("pg.db");
    let out = deals(
        "postgres://nobody@127.0.0.1:1/none",
        &["backup", "--to", copy.to_str().unwrap()],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
    assert!(!copy.exists());
}
