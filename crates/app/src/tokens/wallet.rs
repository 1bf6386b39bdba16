//! Wallet proof with a Sign-In With Solana (SIWS) message: the server issues a message naming
//! its domain, the address, a single-use nonce and a validity window; the wallet signs exactly
//! those bytes; the server re-reads the stored message, checks every field, uses the nonce and
//! verifies the ed25519 signature (`verify_strict`). One wallet per user, one user per wallet.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use deals_store::{StoreError, now};
use ed25519_dalek::{Signature, VerifyingKey};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::state::AppState;

/// What the wallet is asked to sign.
const STATEMENT: &str = "Link this wallet to your agentic-deals account to deposit DEAL tokens.";

/// Clock skew tolerated on `Issued At`.
const SKEW_SECS: i64 = 60;

/// A challenge to sign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Challenge {
    /// The exact text to sign (UTF-8 bytes).
    pub message: String,
    /// Its single-use nonce.
    pub nonce: String,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// A linked wallet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkedWallet {
    /// The base58 address.
    pub address: String,
    /// When it was proven and linked.
    pub linked_at: DateTime<Utc>,
}

/// The fields of a SIWS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiwsMessage {
    /// Who asks.
    pub domain: String,
    /// The signing account.
    pub address: String,
    /// What signing means.
    pub statement: String,
    /// The asking site.
    pub uri: String,
    /// The chain.
    pub chain_id: String,
    /// Single-use nonce.
    pub nonce: String,
    /// When issued.
    pub issued_at: DateTime<Utc>,
    /// When it expires.
    pub expiration_time: DateTime<Utc>,
}

impl SiwsMessage {
    /// The message text in the SIWS layout.
    pub fn render(&self) -> String {
        let ts = |t: &DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        format!(
            "{} wants you to sign in with your Solana account:\n{}\n\n{}\n\nURI: {}\nVersion: 1\nChain ID: {}\nNonce: {}\nIssued At: {}\nExpiration Time: {}",
            self.domain,
            self.address,
            self.statement,
            self.uri,
            self.chain_id,
            self.nonce,
            ts(&self.issued_at),
            ts(&self.expiration_time)
        )
    }

    /// Reads a message in the SIWS layout; `None` when it does not follow it.
    pub fn parse(text: &str) -> Option<Self> {
        let mut lines = text.split('\n');
        let domain = lines
            .next()?
            .strip_suffix(" wants you to sign in with your Solana account:")?;
        let address = lines.next()?;
        let statement = match (lines.next()?, lines.next()?, lines.next()?) {
            ("", statement, "") => statement,
            _ => return None,
        };
        let mut field = |name: &str| {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(": "))
                .map(str::to_owned)
        };
        let uri = field("URI")?;
        (field("Version")? == "1").then_some(())?;
        let chain_id = field("Chain ID")?;
        let nonce = field("Nonce")?;
        let time = |t: String| {
            DateTime::parse_from_rfc3339(&t)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        };
        let issued_at = time(field("Issued At")?)?;
        let expiration_time = time(field("Expiration Time")?)?;
        lines.next().is_none().then_some(Self {
            domain: domain.to_owned(),
            address: address.to_owned(),
            statement: statement.to_owned(),
            uri,
            chain_id,
            nonce,
            issued_at,
            expiration_time,
        })
    }
}

/// A base58 Solana address: 32 bytes that are an ed25519 public key.
pub fn parse_address(raw: &str) -> Result<VerifyingKey> {
    let bytes: [u8; 32] = bs58::decode(raw.trim())
        .into_vec()
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| Error::invalid("address", "must be a base58 Solana address (32 bytes)"))?;
    VerifyingKey::from_bytes(&bytes)
        .map_err(|_| Error::invalid("address", "is not an ed25519 public key"))
}

fn parse_signature(raw: &str) -> Result<Signature> {
    let bytes: [u8; 64] = bs58::decode(raw.trim())
        .into_vec()
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| {
            Error::invalid("signature", "must be a base58 ed25519 signature (64 bytes)")
        })?;
    Ok(Signature::from_bytes(&bytes))
}

/// Issues a challenge for `address` to the user.
pub async fn challenge(state: &AppState, user_id: Uuid, address: &str) -> Result<Challenge> {
    parse_address(address)?;
    let solana = &state.settings.tokens.solana;
    let issued_at = now();
    let ttl = i64::try_from(solana.challenge_ttl_secs).unwrap_or(300);
    let message = SiwsMessage {
        domain: solana.domain.clone(),
        address: address.trim().to_owned(),
        statement: STATEMENT.into(),
        uri: solana.uri.clone(),
        chain_id: solana.chain_id.clone(),
        nonce: Uuid::new_v4().simple().to_string(),
        issued_at,
        expiration_time: issued_at + Duration::seconds(ttl),
    };
    let text = message.render();
    state
        .store
        .create_wallet_challenge(
            user_id,
            &message.address,
            &message.nonce,
            &text,
            message.expiration_time,
        )
        .await?;
    Ok(Challenge {
        message: text,
        nonce: message.nonce,
        expires_at: message.expiration_time,
    })
}

/// Checks a signed challenge and links the wallet.
pub async fn verify(
    state: &AppState,
    user_id: Uuid,
    address: &str,
    signature: &str,
) -> Result<LinkedWallet> {
    let key = parse_address(address)?;
    let signature = parse_signature(signature)?;
    let address = address.trim();
    let issued = state
        .store
        .latest_wallet_challenge(user_id, address)
        .await?
        .ok_or_else(|| Error::Conflict("no challenge was issued for this address".into()))?;
    let message = SiwsMessage::parse(&issued.message)
        .ok_or_else(|| Error::invalid("message", "the stored challenge is not a SIWS message"))?;
    let solana = &state.settings.tokens.solana;
    if message.domain != solana.domain {
        return Err(Error::invalid(
            "message",
            format!("names domain {}, not {}", message.domain, solana.domain),
        ));
    }
    if message.address != address || message.nonce != issued.nonce {
        return Err(Error::invalid("message", "names another address or nonce"));
    }
    let at = now();
    if message.issued_at > at + Duration::seconds(SKEW_SECS) {
        return Err(Error::invalid("message", "is issued in the future"));
    }
    if message.expiration_time <= at || issued.expires_at <= at {
        return Err(Error::Conflict(
            "the challenge expired; ask for a new one".into(),
        ));
    }
    if !state.store.use_wallet_nonce(&issued.nonce).await? {
        return Err(Error::Conflict(
            "the challenge was used already; ask for a new one".into(),
        ));
    }
    key.verify_strict(issued.message.as_bytes(), &signature)
        .map_err(|_| {
            Error::invalid(
                "signature",
                "does not verify: not this wallet's signature of the issued message",
            )
        })?;
    if let Some(linked) = state.store.wallet_of(user_id).await? {
        return Err(Error::Conflict(format!(
            "this account already has wallet {}",
            linked.address
        )));
    }
    match state.store.link_wallet(user_id, address).await {
        Ok(w) => Ok(LinkedWallet {
            address: w.address,
            linked_at: w.linked_at,
        }),
        Err(StoreError::Conflict(_)) => Err(Error::Conflict(
            "this wallet is linked to another account".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The user's linked wallet.
pub async fn linked(state: &AppState, user_id: Uuid) -> Result<LinkedWallet> {
    let w = state
        .store
        .wallet_of(user_id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(LinkedWallet {
        address: w.address,
        linked_at: w.linked_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rendered_message_parses_back_to_its_fields() {
        let at = DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let message = SiwsMessage {
            domain: "deals.example".into(),
            address: "11111111111111111111111111111111".into(),
            statement: STATEMENT.into(),
            uri: "https://deals.example".into(),
            chain_id: "mainnet".into(),
            nonce: "abc12345".into(),
            issued_at: at,
            expiration_time: at + Duration::minutes(5),
        };
        let text = message.render();
        assert!(
            text.starts_with("deals.example wants you to sign in with your Solana account:\n111")
        );
        assert!(text.contains("\nVersion: 1\nChain ID: mainnet\nNonce: abc12345\n"));
        assert_eq!(SiwsMessage::parse(&text), Some(message));
        assert_eq!(
            SiwsMessage::parse(&text.replace("Version: 1", "Version: 2")),
            None
        );
        assert_eq!(SiwsMessage::parse(&format!("{text}\nextra")), None);
    }
}
