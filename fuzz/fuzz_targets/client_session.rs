//! A client in a real handshake with a real server, where the fuzzer
//! writes the server's records after the hellos or after the handshake,
//! sealed with the real keys. First byte: bit 0 TLS 1.3, bit 1 after the
//! handshake; then records as `typ, protect, len (u16), data`, where type
//! 0xff stands for one of the peer's genuine messages (data[0] picks).
#![no_main]
use ferrotls_fuzz::{drive, parts_from, session, Stage};
use libfuzzer_sys::fuzz_target;

const VICTIM_IS_CLIENT: bool = true;

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let stage = match ctl & 2 {
        0 => Stage::Handshake,
        _ => Stage::Traffic,
    };
    if let Some((mut m, genuine)) = session(ctl & 1 == 1, stage, VICTIM_IS_CLIENT) {
        drive(&mut m, VICTIM_IS_CLIENT, &parts_from(rest), genuine);
    }
});
