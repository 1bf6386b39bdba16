//! Provider and agent tests against local fake servers.
