//! As `client_session` after the handshake, but the client takes the
//! fuzzer's records (sealed with the real keys) through the in-place API,
//! `open_in_place`, instead of `read_tls`. First byte: bit 0 TLS 1.3; then
//! records as `typ, protect, len (u16), data`, where type 0xff stands for
//! one of the server's genuine messages (data[0] picks).
#![no_main]
use ferrotls_fuzz::{drive, parts_from, session, Stage};
use libfuzzer_sys::fuzz_target;

const VICTIM_IS_CLIENT: bool = true;

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    if let Some((mut m, genuine)) = session(ctl & 1 == 1, Stage::Traffic, VICTIM_IS_CLIENT) {
        m.in_place = true;
        drive(&mut m, VICTIM_IS_CLIENT, &parts_from(rest), genuine);
    }
});
