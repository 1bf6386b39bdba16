//! Deposits against a local fake Solana JSON-RPC node that answers `getTransaction` in the real
//! `jsonParsed` shape (legacy, v0 and v1 messages) and, like a real node, refuses a versioned
//! transaction asked for with a lower `maxSupportedTransactionVersion` (-32015).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::{Json, Router, routing::post};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser, assert_problem};

const MINT: &str = "DEALmint1111111111111111111111111111111111";
const OTHER_MINT: &str = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
const TREASURY: &str = "TreasuryTokenAcct11111111111111111111111111";
const TOKEN_PROGRAM: &str = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";

type Chain = Arc<Mutex<HashMap<String, Value>>>;

async fn rpc(State(chain): State<Chain>, Json(req): Json<Value>) -> Json<Value> {
    let params = &req["params"];
    assert_eq!(req["method"], "getTransaction");
    assert_eq!(params[1]["encoding"], "jsonParsed");
    assert_eq!(params[1]["commitment"], "finalized");
    let max = params[1]["maxSupportedTransactionVersion"].as_u64();
    let tx = chain
        .lock()
        .unwrap()
        .get(params[0].as_str().unwrap())
        .cloned();
    let version = tx.as_ref().and_then(|t| t["version"].as_u64());
    if let (Some(v), Some(max)) = (version, max)
        && v > max
    {
        return Json(
            json!({"jsonrpc": "2.0", "id": req["id"], "error": {"code": -32015,
            "message": format!("Transaction version ({v}) is not supported by the requesting client.")}}),
        );
    }
    Json(json!({"jsonrpc": "2.0", "id": req["id"], "result": tx}))
}

async fn fake_node() -> (String, Chain) {
    let chain: Chain = Arc::default();
    let app = Router::new()
        .route("/", post(rpc))
        .with_state(chain.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/"), chain)
}

fn b58(bytes: &[u8]) -> String {
    bs58::encode(bytes).into_string()
}

fn signature(n: u8) -> String {
    b58(&[n; 64])
}

fn balance(index: u64, mint: &str, owner: &str, amount: u64) -> Value {
    json!({"accountIndex": index, "mint": mint, "owner": owner, "programId": TOKEN_PROGRAM,
        "uiTokenAmount": {"amount": amount.to_string(), "decimals": 6,
            "uiAmount": amount as f64 / 1e6, "uiAmountString": (amount as f64 / 1e6).to_string()}})
}

/// A `getTransaction` result: `from` (owned by `owner`) pays `amount` of `mint` to `to`.
fn transfer(sig: &str, version: Value, owner: &str, to: &str, mint: &str, amount: u64) -> Value {
    let source = b58(&[42; 32]);
    let versioned = !version.is_string();
    let key = |k: &str, signer: bool, source: &str| json!({"pubkey": k, "signer": signer, "source": source, "writable": true});
    let to_source = if versioned {
        "lookupTable"
    } else {
        "transaction"
    };
    let mut message = json!({
        "accountKeys": [key(owner, true, "transaction"), key(&source, false, "transaction"),
            key(TOKEN_PROGRAM, false, "transaction"), key(to, false, to_source)],
        "instructions": [{"program": "spl-token", "programId": TOKEN_PROGRAM, "stackHeight": null,
            "parsed": {"type": "transferChecked", "info": {"authority": owner, "destination": to,
                "mint": mint, "source": source,
                "tokenAmount": {"amount": amount.to_string(), "decimals": 6}}}}],
        "recentBlockhash": "9sHcv6xwn9YkB8nxTUGKDwPwNnmqVp5oAXxU8Fdkm4J6"
    });
    let mut meta = json!({
        "err": null, "status": {"Ok": null}, "fee": 5000, "computeUnitsConsumed": 6200,
        "preBalances": [1_000_000_000u64, 2_039_280, 1, 2_039_280],
        "postBalances": [999_995_000u64, 2_039_280, 1, 2_039_280],
        "preTokenBalances": [balance(1, mint, owner, 50_000_000), balance(3, mint, "TreasuryOwner1111111111111111111111111111111", 7_000_000)],
        "postTokenBalances": [balance(1, mint, owner, 50_000_000 - amount), balance(3, mint, "TreasuryOwner1111111111111111111111111111111", 7_000_000 + amount)],
        "innerInstructions": [], "logMessages": [], "rewards": []
    });
    if versioned {
        message["addressTableLookups"] = json!([{"accountKey": b58(&[7; 32]),
            "readonlyIndexes": [], "writableIndexes": [0]}]);
        meta["loadedAddresses"] = json!({"readonly": [], "writable": [to]});
    }
    json!({"slot": 331_234_567u64, "blockTime": 1_796_600_000u64, "version": version,
        "meta": meta, "transaction": {"signatures": [sig], "message": message}})
}

struct Setup {
    app: TestApp,
    user: TestUser,
    wallet: String,
    chain: Chain,
}

async fn setup() -> Setup {
    let (url, chain) = fake_node().await;
    let app = TestApp::spawn_with(|s| {
        s.tokens.solana.rpc_url = url;
        s.tokens.solana.mint = MINT.into();
        s.tokens.solana.treasury = TREASURY.into();
        s.tokens.solana.recheck_secs = 0;
    })
    .await;
    let user = app.register_user().await;
    let wallet = b58(&[5; 32]);
    let id = Uuid::parse_str(&user.id).unwrap();
    app.state.store.link_wallet(id, &wallet).await.unwrap();
    Setup {
        app,
        user,
        wallet,
        chain,
    }
}

impl Setup {
    fn publish(&self, sig: &str, tx: Value) {
        self.chain.lock().unwrap().insert(sig.to_owned(), tx);
    }

    async fn deposit(&self, sig: &str) -> (u16, Value) {
        let res = self
            .app
            .post(
                "/api/v1/tokens/deposits",
                Some(&self.user.access),
                json!({"signature": sig}),
            )
            .await;
        (res.status().as_u16(), res.json().await.unwrap())
    }

    async fn balance(&self) -> String {
        let b = self
            .app
            .get_json("/api/v1/tokens/balance", &self.user.access)
            .await;
        b["balance"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn a_deposit_is_credited_once_for_every_message_version() {
    let s = setup().await;
    for (n, version) in [(1, json!("legacy")), (2, json!(0)), (3, json!(1))] {
        let sig = signature(n);
        s.publish(
            &sig,
            transfer(&sig, version, &s.wallet, TREASURY, MINT, 2_500_000),
        );
        let (status, body) = s.deposit(&sig).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("credited")),
            "{body}"
        );
        assert_eq!(body["amount"], "2.500000");
        let (again, body) = s.deposit(&sig).await;
        assert_eq!((again, body["status"].as_str()), (200, Some("credited")));
    }
    assert_eq!(
        s.balance().await,
        "27.500000",
        "20 bonus + 3 × 2.5, each once"
    );

    let sig = signature(4);
    s.publish(
        &sig,
        transfer(&sig, json!(0), &s.wallet, TREASURY, MINT, 1_000_000),
    );
    let (a, b) = tokio::join!(s.deposit(&sig), s.deposit(&sig));
    assert_eq!((a.0, b.0), (200, 200));
    assert_eq!(
        s.balance().await,
        "28.500000",
        "two submissions at once credit once"
    );
    let deposits = s
        .app
        .get_json("/api/v1/tokens/transactions?kind=deposit", &s.user.access)
        .await;
    assert_eq!(deposits["total"], 4);
    assert_eq!(deposits["items"][0]["reference"], sig.as_str());
}

#[tokio::test]
async fn invalid_payments_are_refused_with_a_reason() {
    let s = setup().await;
    let stranger = b58(&[6; 32]);
    let elsewhere = b58(&[8; 32]);
    let mut failed = transfer(
        &signature(13),
        json!(0),
        &s.wallet,
        TREASURY,
        MINT,
        1_000_000,
    );
    failed["meta"]["err"] = json!({"InstructionError": [0, {"Custom": 1}]});
    failed["meta"]["status"] = json!({"Err": {"InstructionError": [0, {"Custom": 1}]}});
    let cases = [
        (
            11,
            transfer(
                &signature(11),
                json!("legacy"),
                &s.wallet,
                TREASURY,
                OTHER_MINT,
                1_000_000,
            ),
            "not DEAL",
        ),
        (
            12,
            transfer(
                &signature(12),
                json!("legacy"),
                &s.wallet,
                &elsewhere,
                MINT,
                1_000_000,
            ),
            "does not pay the treasury",
        ),
        (13, failed, "failed on chain"),
        (
            14,
            transfer(
                &signature(14),
                json!(1),
                &stranger,
                TREASURY,
                MINT,
                1_000_000,
            ),
            "linked wallet",
        ),
    ];
    for (n, tx, reason) in cases {
        let sig = signature(n);
        s.publish(&sig, tx);
        let (status, body) = s.deposit(&sig).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("refused")),
            "{body}"
        );
        assert!(body["reason"].as_str().unwrap().contains(reason), "{body}");
    }
    assert_eq!(s.balance().await, "20.000000", "nothing credited");
    let (status, _) = s.deposit("not-a-signature").await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn a_transaction_not_yet_finalized_stays_pending_until_the_job_finds_it() {
    let s = setup().await;
    let sig = signature(21);
    let (status, body) = s.deposit(&sig).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("pending")));
    assert_eq!(s.balance().await, "20.000000");
    s.publish(
        &sig,
        transfer(&sig, json!(1), &s.wallet, TREASURY, MINT, 3_000_000),
    );
    s.app.drain_jobs().await;
    assert_eq!(s.balance().await, "23.000000");
    let (status, body) = s.deposit(&sig).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("credited")));
}

#[tokio::test]
async fn a_deposit_needs_a_linked_wallet_and_belongs_to_its_submitter() {
    let s = setup().await;
    let sig = signature(31);
    s.publish(
        &sig,
        transfer(&sig, json!("legacy"), &s.wallet, TREASURY, MINT, 1_000_000),
    );
    let other = s.app.register_user().await;
    let res = s
        .app
        .post(
            "/api/v1/tokens/deposits",
            Some(&other.access),
            json!({"signature": sig}),
        )
        .await;
    let problem = assert_problem(res, 409).await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("link a wallet")
    );
    assert_eq!(s.deposit(&sig).await.0, 200);
}
