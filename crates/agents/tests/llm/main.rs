//! Provider, chain and agent tests against local fake servers speaking the OpenAI
//! chat-completions and Anthropic Messages wire formats.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agents;
mod anthropic;
mod chain;
mod fake;
mod openai;
mod relevance;
mod search;
