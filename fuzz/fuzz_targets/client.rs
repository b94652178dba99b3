//! A whole client fed arbitrary bytes as the server's (first byte picks
//! TLS 1.3, 1.2 or both).
#![no_main]
use std::io::Read;
use std::sync::Arc;

use ferrotls::ClientConnection;
use ferrotls_fuzz::{client_config, localhost, take_output};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&v, mut rest)) = data.split_first() else {
        return;
    };
    let (tls13, tls12) = [(true, true), (true, false), (false, true)][usize::from(v % 3)];
    let mut c = ClientConnection::new(Arc::new(client_config(tls13, tls12)), localhost()).unwrap();
    let _ = take_output(&mut c);
    while !rest.is_empty() {
        match c.read_tls(&mut rest) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if c.process_new_packets().is_err() {
            break;
        }
    }
    let _ = take_output(&mut c);
    let mut buf = [0u8; 1024];
    let _ = c.reader().read(&mut buf);
});
