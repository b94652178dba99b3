//! `HandshakeMessage::read` in both shapes (first byte: TLS 1.2 if odd),
//! and the encoders on whatever it decoded.
#![no_main]
use ferrotls::msgs::handshake::HandshakeMessage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flag, rest)) = data.split_first() else {
        return;
    };
    let tls12 = flag & 1 == 1;
    if let Ok(msg) = HandshakeMessage::read(rest.to_vec(), tls12) {
        assert_eq!(msg.encoding, rest);
        let again = HandshakeMessage::build(msg.payload.clone());
        let _ = HandshakeMessage::read(again.encoding, tls12);
    }
});
