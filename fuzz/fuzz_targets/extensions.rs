//! Extension blocks: a ClientHello's, and a ServerHello's, a
//! HelloRetryRequest's or EncryptedExtensions' (first byte picks).
#![no_main]
use ferrotls::codec::Reader;
use ferrotls::msgs::extensions::{ClientExtensions, ServerExtensions, ServerMessage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let mut r = Reader::new(rest);
    match which % 4 {
        0 => {
            if let Ok(x) = ClientExtensions::read(&mut r) {
                let mut out = Vec::new();
                x.encode(&mut out);
                let _ = ClientExtensions::read(&mut Reader::new(&out));
            }
        }
        n => {
            let kind = [
                ServerMessage::ServerHello,
                ServerMessage::HelloRetryRequest,
                ServerMessage::EncryptedExtensions,
            ][usize::from(n) - 1];
            if let Ok(x) = ServerExtensions::read(&mut r, kind) {
                let mut out = Vec::new();
                x.encode(&mut out);
                let _ = ServerExtensions::read(&mut Reader::new(&out), kind);
            }
        }
    }
});
