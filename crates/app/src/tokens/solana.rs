//! Reading deposits from Solana: one plain JSON-RPC call (`getTransaction`, `jsonParsed`,
//! `finalized`, `maxSupportedTransactionVersion: 1`) over reqwest, and the rules that decide what
//! a transaction pays.
//!
//! The amount credited is the increase of the treasury's token account for the configured mint,
//! read from `meta.preTokenBalances` / `meta.postTokenBalances`: this counts transfers made by
//! inner instructions and what arrives after Token-2022 transfer fees, whatever the transaction's
//! version. The tokens must come from a token account owned by the user's linked wallet.

use std::time::Duration;

use serde_json::{Value, json};

/// What a transaction means for a deposit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Pays the treasury this many ledger minor units (6 decimals).
    Credit(i64),
    /// Not finalized yet (the node does not return it at `finalized`).
    Pending,
    /// Not a valid deposit, and why.
    Refuse(String),
}

/// Which transfer counts as a deposit.
#[derive(Debug, Clone)]
pub struct DepositRules<'a> {
    /// The DEAL mint.
    pub mint: &'a str,
    /// The treasury's token account.
    pub treasury: &'a str,
    /// Decimals of the mint on chain.
    pub decimals: u32,
    /// The user's linked wallet (owner of the source token account).
    pub wallet: &'a str,
}

/// A JSON-RPC client of one Solana endpoint.
#[derive(Debug, Clone)]
pub struct RpcClient {
    http: reqwest::Client,
    url: String,
}

impl RpcClient {
    /// A client of `url`, with a 10 s timeout per call.
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            http,
            url: url.to_owned(),
        })
    }

    /// The finalized transaction with this signature, or `None` when the node has none (yet).
    pub async fn get_transaction(&self, signature: &str) -> anyhow::Result<Option<Value>> {
        let body = json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": "getTransaction",
            "params": [signature, {
                "encoding": "jsonParsed",
                "commitment": "finalized",
                "maxSupportedTransactionVersion": 1
            }]
        });
        let answer: Value = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if let Some(err) = answer.get("error") {
            anyhow::bail!("getTransaction failed: {err}");
        }
        Ok(answer.get("result").filter(|r| !r.is_null()).cloned())
    }
}

/// One token balance of `meta.pre/postTokenBalances`.
fn balances<'v>(
    meta: &'v Value,
    which: &str,
) -> impl Iterator<Item = (u64, &'v str, &'v str, i128)> {
    meta.get(which)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|b| {
            let index = b.get("accountIndex")?.as_u64()?;
            let mint = b.get("mint")?.as_str()?;
            let owner = b.get("owner").and_then(Value::as_str).unwrap_or("");
            let amount = b.pointer("/uiTokenAmount/amount")?.as_str()?.parse().ok()?;
            Some((index, mint, owner, amount))
        })
}

/// The base58 keys of the transaction's accounts, in index order (static keys, then the
/// addresses loaded from lookup tables for versioned transactions).
fn account_keys(tx: &Value) -> Vec<String> {
    let key = |k: &Value| {
        k.get("pubkey")
            .or(Some(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let mut keys: Vec<String> = tx
        .pointer("/transaction/message/accountKeys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(key)
        .collect();
    let listed = keys.len();
    for part in ["writable", "readonly"] {
        let loaded = tx
            .pointer(&format!("/meta/loadedAddresses/{part}"))
            .and_then(Value::as_array);
        for k in loaded.into_iter().flatten().filter_map(key) {
            if !keys[..listed].contains(&k) {
                keys.push(k);
            }
        }
    }
    keys
}

/// Decides what a finalized transaction pays.
pub fn evaluate(tx: &Value, rules: &DepositRules<'_>) -> Verdict {
    let Some(meta) = tx.get("meta") else {
        return Verdict::Refuse("the transaction has no status".into());
    };
    if !meta.get("err").is_none_or(Value::is_null) {
        return Verdict::Refuse("the transaction failed on chain".into());
    }
    let keys = account_keys(tx);
    let Some(treasury) = keys.iter().position(|k| k == rules.treasury) else {
        return Verdict::Refuse("the transaction does not pay the treasury".into());
    };
    let treasury = treasury as u64;
    let mut post = balances(meta, "postTokenBalances").filter(|b| b.0 == treasury);
    let Some((_, mint, _, after)) = post.next() else {
        return Verdict::Refuse("the transaction does not pay the treasury".into());
    };
    if mint != rules.mint {
        return Verdict::Refuse(format!("the tokens paid are of mint {mint}, not DEAL"));
    }
    let before = balances(meta, "preTokenBalances")
        .find(|b| b.0 == treasury && b.1 == rules.mint)
        .map_or(0, |b| b.3);
    let increase = after - before;
    if increase <= 0 {
        return Verdict::Refuse("the treasury received nothing".into());
    }
    let from_wallet = balances(meta, "preTokenBalances")
        .filter(|b| b.1 == rules.mint && b.2 == rules.wallet)
        .any(|(index, ..)| {
            let pre = balances(meta, "preTokenBalances")
                .find(|b| b.0 == index)
                .map_or(0, |b| b.3);
            let post = balances(meta, "postTokenBalances")
                .find(|b| b.0 == index)
                .map_or(0, |b| b.3);
            post < pre
        });
    if !from_wallet {
        return Verdict::Refuse("the tokens did not come from your linked wallet".into());
    }
    match to_ledger_units(increase, rules.decimals) {
        Some(minor) if minor > 0 => Verdict::Credit(minor),
        _ => Verdict::Refuse("the amount is too small or too large".into()),
    }
}

/// On-chain base units of a mint with `decimals` → ledger minor units (6 decimals), rounding
/// down.
fn to_ledger_units(amount: i128, decimals: u32) -> Option<i64> {
    let ledger = deals_core::tokens::DECIMALS;
    let converted = if decimals >= ledger {
        amount / 10_i128.checked_pow(decimals - ledger)?
    } else {
        amount.checked_mul(10_i128.checked_pow(ledger - decimals)?)?
    };
    i64::try_from(converted).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_convert_from_the_mint_decimals_rounding_down() {
        assert_eq!(to_ledger_units(1_500_000, 6), Some(1_500_000));
        assert_eq!(to_ledger_units(1_500_000_999, 9), Some(1_500_000));
        assert_eq!(to_ledger_units(15, 1), Some(1_500_000));
    }
}
