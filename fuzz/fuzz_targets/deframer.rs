//! The deframer: input pushed in pieces (first byte sets the piece size
//! and the record size limit), records popped until it waits or fails.
#![no_main]
use ferrotls::record::deframer::Deframer;
use ferrotls::record::{MAX_TLS12_CIPHERTEXT_LEN, MAX_TLS13_CIPHERTEXT_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, mut rest)) = data.split_first() else {
        return;
    };
    let mut d = Deframer::default();
    d.set_max_record_len(match ctl & 1 {
        0 => MAX_TLS12_CIPHERTEXT_LEN,
        _ => MAX_TLS13_CIPHERTEXT_LEN,
    });
    let piece = usize::from(ctl >> 1).max(1);
    while !rest.is_empty() {
        let n = d.push(&rest[..piece.min(rest.len())]);
        rest = &rest[n..];
        loop {
            match d.pop() {
                Ok(Some(rec)) => assert!(rec.payload.len() <= MAX_TLS12_CIPHERTEXT_LEN),
                Ok(None) => break,
                Err(_) => return,
            }
        }
        if n == 0 {
            return;
        }
    }
});
