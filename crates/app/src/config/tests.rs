//! Loading and checking the configuration.

#![allow(clippy::result_large_err)] // figment's Jail closures return its large error type

use super::*;
use figment::Jail;

#[test]
fn env_overrides_file_overrides_defaults() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "deals.toml",
            "[server]\nlisten = \"0.0.0.0:9000\"\nrequest_timeout_secs = 5\n",
        )?;
        jail.set_env("DEALS_SERVER__REQUEST_TIMEOUT_SECS", "7");
        jail.set_env("DEALS_DATABASE__URL", "postgres://db/deals");
        let s = Settings::load(Some(Path::new("deals.toml"))).map_err(|e| e.to_string())?;
        assert_eq!(s.server.listen.port(), 9000);
        assert_eq!(s.server.request_timeout_secs, 7);
        assert_eq!(s.database_url(), "postgres://db/deals");
        assert_eq!(s.auth.jwt_secret.expose(), DEV_JWT_SECRET);
        Ok(())
    });
}

#[test]
fn defaults_are_the_embedded_product() {
    Jail::expect_with(|_| {
        let s = Settings::load(None).map_err(|e| e.to_string())?;
        assert_eq!(s.server.listen.to_string(), "127.0.0.1:8000");
        assert_eq!(s.database_url(), "sqlite://./data/deals.db");
        assert!(s.redis_url().is_none());
        assert_eq!((s.database.pool_size, s.database.max_overflow), (20, 10));
        Ok(())
    });
}

#[test]
fn market_and_llm_keys_come_from_the_environment_and_enable_their_adapter() {
    Jail::expect_with(|jail| {
        jail.set_env("DEALS_MARKETS__BESTBUY__API_KEY", "bb-key");
        jail.set_env("DEALS_LLM__DEEPSEEK_API_KEY", "sk-test");
        let s = Settings::load(None).map_err(|e| e.to_string())?;
        assert!(s.markets_real("bestbuy"));
        assert!(!s.markets_real("ebay"));
        assert!(
            !s.markets.bestbuy.enabled,
            "the file value is kept as given"
        );
        assert!(s.effective_markets().bestbuy.enabled);
        assert_eq!(s.llm.resolved_providers().len(), 1);
        assert!(!format!("{s:?}").contains("bb-key"), "secrets never print");
        Ok(())
    });
}

#[test]
fn the_removed_queue_settings_are_refused_by_name() {
    // The queue is the database's jobs table: `jobs.queue`, `jobs.queue_name` and
    // `jobs.sqlite_path` are gone, and a configuration that still sets them says which.
    for (var, key) in [
        ("DEALS_JOBS__QUEUE", "queue"),
        ("DEALS_JOBS__QUEUE_NAME", "queue_name"),
        ("DEALS_JOBS__SQLITE_PATH", "sqlite_path"),
    ] {
        Jail::expect_with(|jail| {
            jail.set_env(var, "redis");
            let e = Settings::load(None).unwrap_err().to_string();
            assert!(e.contains(&format!("key jobs.{key} (env {var})")), "{e}");
            assert!(e.contains("unknown field"), "{e}");
            Ok(())
        });
    }
}

#[test]
fn invalid_values_name_the_key() {
    Jail::expect_with(|jail| {
        jail.set_env("DEALS_SERVER__REQUEST_TIMEOUT_SECS", "soon");
        let e = Settings::load(None).unwrap_err().to_string();
        assert!(
            e.contains("key server.request_timeout_secs (env DEALS_SERVER__REQUEST_TIMEOUT_SECS)"),
            "{e}"
        );
        assert!(!e.contains('\n'));
        Ok(())
    });
}

#[test]
fn production_refuses_the_development_secret() {
    Jail::expect_with(|jail| {
        jail.set_env("DEALS_ENV", "production");
        let e = Settings::load(None).unwrap_err().to_string();
        assert!(e.contains("auth.jwt_secret"), "{e}");
        jail.set_env(
            "DEALS_AUTH__JWT_SECRET",
            "a-real-secret-of-at-least-thirty-two-bytes",
        );
        assert!(Settings::load(None).is_ok());
        Ok(())
    });
}

#[test]
fn secrets_are_redacted_when_printed() {
    let mut s = Settings::default();
    s.database.url = Secret::new("postgres://user:pw@db/deals");
    let shown = format!("{s:?} {}", serde_json::to_string(&s).unwrap_or_default());
    assert!(!shown.contains("pw@db") && !shown.contains(DEV_JWT_SECRET));
}

#[test]
fn unknown_keys_are_refused() {
    Jail::expect_with(|jail| {
        jail.set_env("DEALS_SERVER__LISTN", "0.0.0.0:1");
        let e = Settings::load(None).unwrap_err().to_string();
        assert!(e.contains("listn"), "{e}");
        Ok(())
    });
}

#[test]
fn token_prices_come_from_the_file_and_the_environment_exactly() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "deals.toml",
            "[tokens]\nsignup_bonus = \"50\"\n[tokens.pricing]\ngoal_analysis = \"2.5\"\n",
        )?;
        jail.set_env("DEALS_TOKENS__PRICING__DEAL_SEARCH", "0.25");
        jail.set_env("DEALS_TOKENS__REFERRAL_REWARD", "3");
        let s = Settings::load(Some(Path::new("deals.toml"))).map_err(|e| e.to_string())?;
        assert_eq!(s.tokens.signup_bonus.minor(), 50_000_000);
        assert_eq!(s.tokens.pricing.goal_analysis.minor(), 2_500_000);
        assert_eq!(s.tokens.pricing.deal_search.minor(), 250_000);
        assert_eq!(s.tokens.referral_reward.minor(), 3_000_000);
        jail.set_env("DEALS_TOKENS__SIGNUP_BONUS", "1.0000001");
        let err = Settings::load(None).unwrap_err().to_string();
        assert!(err.contains("tokens.signup_bonus"), "{err}");
        Ok(())
    });
}

#[test]
fn a_read_replica_is_refused_on_sqlite_and_read_from_the_environment_on_postgres() {
    Jail::expect_with(|jail| {
        jail.set_env("DEALS_DATABASE__REPLICA_URL", "postgres://replica/deals");
        let e = Settings::load(None).unwrap_err().to_string();
        assert!(
            e.contains("database.replica_url") && e.contains("SQLite"),
            "{e}"
        );
        jail.set_env("DEALS_DATABASE__URL", "postgres://primary/deals");
        let s = Settings::load(None).map_err(|e| e.to_string())?;
        assert_eq!(
            s.db_settings().replica_url.as_deref(),
            Some("postgres://replica/deals")
        );
        jail.set_env("DEALS_DATABASE__REPLICA_URL", "mysql://replica/deals");
        let e = Settings::load(None).unwrap_err().to_string();
        assert!(e.contains("database.replica_url"), "{e}");
        Ok(())
    });
}

#[test]
fn redis_cluster_urls_come_as_a_comma_separated_variable() {
    Jail::expect_with(|jail| {
        assert!(
            Settings::load(None)
                .map_err(|e| e.to_string())?
                .redis
                .cluster_urls
                .is_empty()
        );
        jail.set_env(
            "DEALS_REDIS__CLUSTER_URLS",
            "redis://127.0.0.1:7001, redis://127.0.0.1:7002,redis://127.0.0.1:7003",
        );
        let s = Settings::load(None).map_err(|e| e.to_string())?;
        assert_eq!(
            s.redis.cluster_urls,
            [
                "redis://127.0.0.1:7001",
                "redis://127.0.0.1:7002",
                "redis://127.0.0.1:7003"
            ]
        );
        jail.set_env("DEALS_REDIS__CLUSTER_URLS", "127.0.0.1:7001");
        let e = Settings::load(None).unwrap_err().to_string();
        assert!(e.contains("redis.cluster_urls"), "{e}");
        Ok(())
    });
}
