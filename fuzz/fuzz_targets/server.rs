//! A whole server fed arbitrary bytes as the client's (first byte picks
//! TLS 1.3, 1.2 or both).
#![no_main]
use std::sync::Arc;

use ferrotls::ServerConnection;
use ferrotls_fuzz::{feed_raw, server_config, versions_from};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&v, rest)) = data.split_first() else {
        return;
    };
    let (tls13, tls12) = versions_from(v);
    let mut c = ServerConnection::new(Arc::new(server_config(tls13, tls12))).unwrap();
    feed_raw(&mut c, rest);
});
