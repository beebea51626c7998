//! The Engine API client.
