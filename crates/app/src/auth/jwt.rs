//! Access tokens: JWT signed with HS256, 30 minutes by default, bound to a refresh family so
//! that logout and reuse detection end them too.

use std::time::Duration;

use chrono::Utc;
use deals_core::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const ISSUER: &str = "agentic-deals";

/// Claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user.
    pub sub: Uuid,
    /// The user's role when the token was issued.
    pub role: Role,
    /// The refresh family (session) the token belongs to.
    pub fid: Uuid,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Issuer.
    pub iss: String,
}

/// Signing and verification keys with the token lifetime.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Lifetime of new access tokens.
    pub access_ttl: Duration,
}

impl JwtKeys {
    /// Keys from a shared secret.
    pub fn new(secret: &str, access_ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            access_ttl,
        }
    }

    /// Signs an access token for `user` in session `family`, valid for `ttl_secs` from now
    /// (negative values produce an already expired token, for tests).
    pub fn issue_with_ttl(
        &self,
        user: Uuid,
        role: Role,
        family: Uuid,
        ttl_secs: i64,
    ) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user,
            role,
            fid: family,
            iat: now,
            exp: now + ttl_secs,
            iss: ISSUER.into(),
        };
        Ok(encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Signs an access token with the configured lifetime.
    pub fn issue(&self, user: Uuid, role: Role, family: Uuid) -> anyhow::Result<String> {
        self.issue_with_ttl(user, role, family, self.access_ttl.as_secs() as i64)
    }

    /// Verifies signature, algorithm, issuer and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        decode::<Claims>(token, &self.decoding, &self.validation).map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(
            "0123456789abcdef0123456789abcdef",
            Duration::from_secs(1800),
        )
    }

    #[test]
    fn issued_tokens_verify_with_their_claims() {
        let (u, f) = (Uuid::new_v4(), Uuid::new_v4());
        let c = keys()
            .verify(&keys().issue(u, Role::Admin, f).unwrap())
            .unwrap();
        assert_eq!((c.sub, c.role, c.fid), (u, Role::Admin, f));
        assert_eq!(c.exp - c.iat, 1800);
    }

    #[test]
    fn expired_tampered_and_foreign_tokens_are_refused() {
        let k = keys();
        let expired = k
            .issue_with_ttl(Uuid::new_v4(), Role::User, Uuid::new_v4(), -1)
            .unwrap();
        assert!(k.verify(&expired).is_err());
        let good = k.issue(Uuid::new_v4(), Role::User, Uuid::new_v4()).unwrap();
        let mut tampered = good.clone();
        tampered.replace_range(good.len() - 3.., "AAA");
        assert!(k.verify(&tampered).is_err());
        let other = JwtKeys::new("another-secret-another-secret-123", Duration::from_secs(60));
        assert!(
            k.verify(
                &other
                    .issue(Uuid::new_v4(), Role::User, Uuid::new_v4())
                    .unwrap()
            )
            .is_err()
        );
    }
}
