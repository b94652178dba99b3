//! Wire types: every message's encoding and decoding lives here.

pub mod alert;
pub mod enums;
pub mod extensions;
pub mod handshake;
