//! A whole client fed arbitrary bytes as the server's (first byte picks
//! TLS 1.3, 1.2 or both).
#![no_main]
use std::sync::Arc;

use ferrotls::ClientConnection;
use ferrotls_fuzz::{client_config, feed_raw, localhost, versions_from};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&v, rest)) = data.split_first() else {
        return;
    };
    let (tls13, tls12) = versions_from(v);
    let mut c = ClientConnection::new(Arc::new(client_config(tls13, tls12)), localhost()).unwrap();
    feed_raw(&mut c, rest);
});
