//! API keys: the workspace's one [`Secret`] type (never shown in `Debug` output or logs).

pub use deals_core::secret::Secret;
