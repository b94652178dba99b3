//! TLS 1.3 pieces shared by client and server.

pub mod key_schedule;
