//! The sans-I/O connection engine shared by client and server: bytes in
//! (`read_tls`), records out (`write_tls`), plaintext in and out
//! (`reader`, `writer`), and `process_new_packets` to move the handshake
//! state machine along.

use std::collections::VecDeque;
use std::io;
use std::ops::Range;
use std::sync::Arc;

use rustls_pki_types::{CertificateDer, DnsName};

use crate::codec::Codec;
use crate::crypto::Secret;
use crate::error::{Error, InvalidMessage, PeerMisbehaved};
use crate::msgs::alert::Alert;
use crate::msgs::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, HandshakeType, KeyUpdateRequest,
    NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};
use crate::observe::{Direction, Event, KeyLog, Observer, SecretKind};
use crate::record::deframer::Deframer;
use crate::record::joiner::Joiner;
use crate::record::protect::{RecordDecrypter, RecordEncrypter};
use crate::record::{
    header, read_header, write_header, Header, Record, HEADER_LEN, MAX_FRAGMENT_LEN,
    MAX_TLS12_CIPHERTEXT_LEN, MAX_TLS13_CIPHERTEXT_LEN,
};
use crate::session::CertificateChain;
use crate::suites::tls13_suite;

/// Unread plaintext we buffer before `read_tls` stops reading.
pub const MAX_RECEIVED_PLAINTEXT: usize = 64 * 1024;
/// Plaintext written before the handshake completes that we buffer.
pub const MAX_PENDING_PLAINTEXT: usize = 64 * 1024;
/// Consecutive empty application data records we accept.
const MAX_EMPTY_RECORDS: u32 = 32;
/// Warning alerts we accept in one connection.
const MAX_WARNING_ALERTS: u32 = 4;
/// RFC 8446 §5: compatibility CCS records are dropped until the peer's
/// Finished. Appendix D.4 has a peer send one, but after a
/// HelloRetryRequest some send one after each hello (JSSE's server follows
/// both the HelloRetryRequest and the ServerHello with one); more than two
/// is a flood.
const MAX_CHANGE_CIPHER_SPECS: u32 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// A message handed to the handshake state machine.
#[allow(clippy::large_enum_variant)]
pub enum Message {
    Handshake(HandshakeMessage),
    /// A TLS 1.2 ChangeCipherSpec (TLS 1.3's is dropped by the engine).
    ChangeCipherSpec,
}

impl Message {
    /// The handshake message inside, or unexpected_message.
    pub fn into_handshake(self, expected: &'static str) -> Result<HandshakeMessage, Error> {
        match self {
            Self::Handshake(m) => Ok(m),
            Self::ChangeCipherSpec => Err(Error::InappropriateMessage {
                expected,
                got: ContentType::ChangeCipherSpec,
            }),
        }
    }
}

/// unexpected_message for a handshake message of the wrong type.
pub fn inappropriate(msg: &HandshakeMessage, expected: &'static str) -> Error {
    Error::InappropriateHandshakeMessage {
        expected,
        got: msg.typ(),
    }
}

/// The peer's Finished (RFC 8446 §4.4.4, RFC 5246 §7.4.9): its
/// verify_data must equal `expected`, compared in constant time. Returns
/// the message, for the transcript.
pub fn expect_finished(
    common: &CommonState,
    msg: Message,
    sender: Side,
    expected: &[u8],
) -> Result<HandshakeMessage, Error> {
    let msg = msg.into_handshake("Finished")?;
    let HandshakePayload::Finished(verify_data) = &msg.payload else {
        return Err(inappropriate(&msg, "Finished"));
    };
    // RFC 8446 §4.4.4 (Hash.length), RFC 5246 §7.4.9 (12 bytes): a
    // verify_data of another length does not decode (decode_error, RFC 8446
    // §6.2); only a well-formed but wrong value is a decrypt_error. The
    // length is public, so checking it first leaks nothing.
    if verify_data.len() != expected.len() {
        return Err(InvalidMessage::InvalidLength("Finished verify_data").into());
    }
    if !crate::crypto::ct_eq(expected, verify_data) {
        return Err(PeerMisbehaved::BadFinished.into());
    }
    common.observe(|| Event::FinishedVerified { sender });
    Ok(msg)
}

/// One state of a handshake: it consumes a message and becomes the next
/// state (DESIGN.md: states are types).
pub trait State: Send + Sync {
    fn handle(self: Box<Self>, cx: &mut CommonState, msg: Message)
        -> Result<Box<dyn State>, Error>;

    /// RFC 8446 §4.6.3: sends a KeyUpdate and switches our sending key.
    /// Only the TLS 1.3 traffic state can.
    fn update_write_key(
        &mut self,
        _cx: &mut CommonState,
        _request: KeyUpdateRequest,
    ) -> Result<(), Error> {
        Err(Error::HandshakeNotComplete)
    }
}

/// Which versions a client offered.
#[derive(Clone, Copy, Debug, Default)]
pub struct OfferedVersions {
    pub tls13: bool,
    pub tls12: bool,
}

/// A FIFO of byte chunks.
#[derive(Default)]
pub struct ChunkQueue {
    chunks: VecDeque<Vec<u8>>,
    /// Bytes of the front chunk already consumed: partial reads and writes
    /// move an offset, never the bytes.
    front_used: usize,
    len: usize,
}

impl ChunkQueue {
    pub fn push(&mut self, chunk: Vec<u8>) {
        if !chunk.is_empty() {
            self.len += chunk.len();
            self.chunks.push_back(chunk);
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Marks `n` bytes from the front as consumed.
    fn consume(&mut self, mut n: usize) {
        self.len -= n;
        while n > 0 {
            let Some(front) = self.chunks.front() else {
                break;
            };
            let left = front.len() - self.front_used;
            if n < left {
                self.front_used += n;
                return;
            }
            n -= left;
            self.chunks.pop_front();
            self.front_used = 0;
        }
    }

    /// The unconsumed chunks, in order.
    fn slices(&self) -> impl Iterator<Item = &[u8]> {
        let used = self.front_used;
        self.chunks
            .iter()
            .enumerate()
            .map(move |(i, c)| if i == 0 { &c[used..] } else { &c[..] })
    }

    /// Copies out as much as fits in `buf`.
    pub fn read(&mut self, buf: &mut [u8]) -> usize {
        let mut done = 0;
        for chunk in self.slices() {
            let n = chunk.len().min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&chunk[..n]);
            done += n;
            if done == buf.len() {
                break;
            }
        }
        self.consume(done);
        done
    }

    /// Writes the chunks to `wr` with one vectored write.
    pub fn write_to(&mut self, wr: &mut dyn io::Write) -> io::Result<usize> {
        let mut bufs = [io::IoSlice::new(&[]); 64];
        let mut n = 0;
        for (buf, chunk) in bufs.iter_mut().zip(self.slices()) {
            *buf = io::IoSlice::new(chunk);
            n += 1;
        }
        let written = wr.write_vectored(&bufs[..n])?;
        self.consume(written);
        Ok(written)
    }

    fn take_all(&mut self) -> Vec<Vec<u8>> {
        let mut chunks: Vec<Vec<u8>> = self.chunks.drain(..).collect();
        if let Some(first) = chunks.first_mut() {
            first.drain(..self.front_used);
        }
        self.front_used = 0;
        self.len = 0;
        chunks
    }
}

/// Received application data waiting for `reader()`: each record's
/// plaintext stays in the buffer it was decrypted into. A buffer read to
/// its end becomes a spare for the next record while more records are
/// already on the way, so a stream of records reuses a couple of buffers
/// instead of allocating (and zeroing) one per record; an idle connection
/// keeps none.
#[derive(Default)]
pub struct PlaintextQueue {
    chunks: VecDeque<(Vec<u8>, Range<usize>)>,
    len: usize,
    spares: Vec<Vec<u8>>,
}

impl PlaintextQueue {
    const MAX_SPARES: usize = 2;

    /// Queues `buf[range]`.
    fn push(&mut self, buf: Vec<u8>, range: Range<usize>) {
        if range.is_empty() {
            self.recycle(buf);
        } else {
            self.len += range.len();
            self.chunks.push_back((buf, range));
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A buffer of at least `len` bytes for a record's plaintext.
    fn take_buffer(&mut self, len: usize) -> Vec<u8> {
        match self.spares.pop() {
            Some(buf) if buf.len() >= len => buf,
            _ => vec![0u8; len],
        }
    }

    /// Keeps `buf` as a spare, if there is room for one more.
    fn recycle(&mut self, buf: Vec<u8>) {
        if self.spares.len() < Self::MAX_SPARES {
            self.spares.push(buf);
        }
    }

    fn release_spares(&mut self) {
        self.spares = Vec::new();
    }

    /// The unread plaintext of the oldest buffer (empty if none).
    fn front(&self) -> &[u8] {
        self.chunks
            .front()
            .map_or(&[], |(buf, range)| &buf[range.clone()])
    }

    /// Marks `n` bytes of `front()` as read (no more than it holds). With
    /// `more_coming`, a buffer read to its end is kept as a spare; without,
    /// it and any spares are let go.
    fn consume(&mut self, n: usize, more_coming: bool) {
        if let Some((_, range)) = self.chunks.front_mut() {
            let n = n.min(range.len());
            range.start += n;
            self.len -= n;
            if range.start == range.end {
                if let (Some((buf, _)), true) = (self.chunks.pop_front(), more_coming) {
                    self.recycle(buf);
                }
            }
        }
        if !more_coming {
            self.release_spares();
        }
    }

    /// Copies out as much as fits in `out`.
    fn read(&mut self, out: &mut [u8], more_coming: bool) -> usize {
        let mut done = 0;
        while done < out.len() {
            let front = self.front();
            if front.is_empty() {
                break;
            }
            let n = front.len().min(out.len() - done);
            out[done..done + n].copy_from_slice(&front[..n]);
            done += n;
            self.consume(n, more_coming);
        }
        done
    }
}

/// Record protection state for both directions.
#[derive(Default)]
pub struct RecordLayer {
    encrypter: Option<Box<dyn RecordEncrypter>>,
    decrypter: Option<Box<dyn RecordDecrypter>>,
    write_seq: u64,
    read_seq: u64,
    /// Bumped on every change of read keys.
    read_epoch: u32,
    /// Bytes of records failing authentication still silently dropped
    /// (rejected 0-RTT data, RFC 8446 §4.2.10).
    trial_decrypt_budget: usize,
}

impl RecordLayer {
    /// The length of the record (header included) that carries
    /// `plain_len` bytes.
    fn record_len(&self, plain_len: usize) -> usize {
        match &self.encrypter {
            None => HEADER_LEN + plain_len,
            Some(enc) => enc.record_len(plain_len),
        }
    }

    /// Writes one record carrying `plain` into `out`, which is exactly
    /// `record_len(plain.len())` bytes.
    fn encrypt_into(
        &mut self,
        typ: ContentType,
        plain: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        match &self.encrypter {
            None => {
                let (head, body) = out.split_at_mut(HEADER_LEN);
                head.copy_from_slice(&header(typ, ProtocolVersion::TLSv1_2, plain.len()));
                body.copy_from_slice(plain);
                Ok(())
            }
            Some(enc) => {
                // RFC 8446 §5.3: the sequence number must not wrap.
                if self.write_seq == u64::MAX {
                    return Err(PeerMisbehaved::SequenceNumberExhausted.into());
                }
                enc.encrypt_into(typ, plain, self.write_seq, out)?;
                self.write_seq += 1;
                Ok(())
            }
        }
    }

    /// Removes protection from a record whose fragment is `payload`, in
    /// place. Returns the real content type and where the plaintext lies
    /// in `payload`; `None` means the record was dropped.
    fn open_in_place(
        &mut self,
        typ: ContentType,
        version: ProtocolVersion,
        payload: &mut [u8],
    ) -> Result<Option<(ContentType, Range<usize>)>, Error> {
        if self.decrypter.is_none() {
            // RFC 8446 §4.2.10: after a HelloRetryRequest the client's
            // 0-RTT records (application_data on the wire) are skipped
            // before any key exists.
            if typ == ContentType::ApplicationData && self.skip_early_data(payload.len()) {
                return Ok(None);
            }
            // RFC 8446 §5.1: plaintext records carry at most 2^14 bytes.
            if payload.len() > MAX_FRAGMENT_LEN {
                return Err(Error::RecordOverflow);
            }
            return Ok(Some((typ, 0..payload.len())));
        }
        self.open_with(payload.len(), |dec, seq| {
            dec.decrypt_in_place(typ, version, payload, seq)
        })
    }

    /// As `open_in_place` for a protected record, with the plaintext
    /// decrypted into `out` (the range is within `out`).
    fn open_into(
        &mut self,
        typ: ContentType,
        version: ProtocolVersion,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<Option<(ContentType, Range<usize>)>, Error> {
        self.open_with(payload.len(), |dec, seq| {
            dec.decrypt_into(typ, version, payload, seq, out)
        })
    }

    /// Runs `open` with the read key and the next sequence number; counts
    /// the record, or drops it while rejected 0-RTT data is being skipped.
    fn open_with(
        &mut self,
        len: usize,
        open: impl FnOnce(&dyn RecordDecrypter, u64) -> Result<(ContentType, Range<usize>), Error>,
    ) -> Result<Option<(ContentType, Range<usize>)>, Error> {
        let Some(dec) = &self.decrypter else {
            return Err(Error::Internal("no read key"));
        };
        if self.read_seq == u64::MAX {
            return Err(PeerMisbehaved::SequenceNumberExhausted.into());
        }
        match open(dec.as_ref(), self.read_seq) {
            Ok(opened) => {
                self.read_seq += 1;
                self.trial_decrypt_budget = 0;
                Ok(Some(opened))
            }
            Err(Error::DecryptError) if self.skip_early_data(len) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// RFC 8446 §4.2.10: whether a record of `len` bytes is dropped as
    /// rejected 0-RTT data, counting it against what may still be skipped
    /// (a zero budget must not let zero-length records through).
    fn skip_early_data(&mut self, len: usize) -> bool {
        let skip = self.trial_decrypt_budget > 0 && self.trial_decrypt_budget >= len;
        if skip {
            self.trial_decrypt_budget -= len;
        }
        skip
    }

    /// Removes protection from `rec`; `None` means the record was dropped.
    fn decrypt(&mut self, mut rec: Record) -> Result<Option<Record>, Error> {
        let Some((typ, plain)) = self.open_in_place(rec.typ, rec.version, &mut rec.payload)? else {
            return Ok(None);
        };
        rec.payload.truncate(plain.end);
        rec.payload.drain(..plain.start);
        rec.typ = typ;
        Ok(Some(rec))
    }
}

/// What the handshake agreed, for the application to read.
#[derive(Clone, Debug, Default)]
pub struct Negotiated {
    pub version: Option<ProtocolVersion>,
    pub suite: Option<CipherSuite>,
    pub group: Option<NamedGroup>,
    pub signature_scheme: Option<SignatureScheme>,
    pub alpn: Option<Vec<u8>>,
    pub server_name: Option<DnsName<'static>>,
    pub peer_certificates: Option<CertificateChain>,
    /// The handshake resumed an earlier session (with fresh keys).
    pub resumed: bool,
    /// TLS 1.2: the master secret covers the handshake's hash (RFC 7627's
    /// extended master secret), not only the randoms.
    pub extended_master_secret: bool,
}

/// The part of a connection the handshake states may touch.
#[derive(Default)]
pub struct CommonState {
    pub record_layer: RecordLayer,
    pub negotiated: Negotiated,
    sendable_tls: ChunkQueue,
    received_plaintext: PlaintextQueue,
    sendable_plaintext: ChunkQueue,
    pending_handshake: Vec<u8>,
    pub handshake_complete: bool,
    pub received_close_notify: bool,
    pub sent_close_notify: bool,
    /// The first ClientHello was sent (client) or received (server).
    pub seen_client_hello: bool,
    /// Client: the versions its ClientHello offered (until the server
    /// chooses, a message is judged by the rules of those).
    pub offered: OfferedVersions,
    /// KeyUpdates received since the last application data.
    pub key_updates_in_a_row: u32,
    /// TLS 1.2: renegotiation requests refused since the last application
    /// data.
    pub renegotiation_requests_in_a_row: u32,
    empty_records_in_a_row: u32,
    warning_alerts: u32,
    change_cipher_specs: u32,
    observer: Option<Arc<dyn Observer>>,
    key_log: Option<Arc<dyn KeyLog>>,
    /// For key log lines: the ClientHello.random of this connection.
    pub client_random: [u8; 32],
    /// TLS 1.3: records per sending key before we rotate it (the AEAD's
    /// limit when `None`).
    pub records_per_key: Option<u64>,
    /// This end is the client.
    pub is_client: bool,
    /// What to undo if the connection fails: forgetting the sessions it
    /// stored or resumed (RFC 5246 §7.2.2, RFC 8446 §6.2).
    forget_on_failure: Vec<Box<dyn FnOnce() + Send + Sync>>,
}

impl CommonState {
    pub fn new(observer: Option<Arc<dyn Observer>>, key_log: Option<Arc<dyn KeyLog>>) -> Self {
        Self {
            observer,
            key_log,
            ..Self::default()
        }
    }

    /// Tells the observer, if there is one; `event` is only built then.
    pub fn observe<'a>(&self, event: impl FnOnce() -> Event<'a>) {
        if let Some(o) = &self.observer {
            o.event(&event());
        }
    }

    /// Whether anyone takes secrets: a key log, or an observer that asked.
    /// Secrets only they would see need not be derived otherwise.
    pub fn secrets_wanted(&self) -> bool {
        self.key_log.is_some() || self.observing_secrets()
    }

    /// Whether an observer asked to see secrets.
    pub fn observing_secrets(&self) -> bool {
        self.observer.as_ref().is_some_and(|o| o.wants_secrets())
    }

    /// A secret was derived: write it to the key log (if the application
    /// installed one) and show it to an observer that wants secrets.
    pub fn secret(&self, kind: SecretKind, value: &Secret) {
        if let Some(log) = &self.key_log {
            if let Some(label) = kind.nss_label() {
                log.log(&label, &self.client_random, value.expose());
            }
        }
        if self.observing_secrets() {
            self.observe(|| Event::Secret { kind, value });
        }
    }
    pub fn is_tls13(&self) -> bool {
        self.negotiated.version == Some(ProtocolVersion::TLSv1_3)
    }

    /// Queues a handshake message; consecutive messages share records.
    pub fn send_handshake(&mut self, msg: &HandshakeMessage) {
        self.observe(|| Event::Message {
            direction: Direction::Sent,
            typ: msg.typ(),
            len: msg.encoding.len(),
            encrypted: self.record_layer.encrypter.is_some(),
        });
        self.pending_handshake.extend_from_slice(&msg.encoding);
    }

    /// Turns queued handshake messages into records.
    pub fn flush_handshake(&mut self) -> Result<(), Error> {
        if self.pending_handshake.is_empty() {
            return Ok(());
        }
        let pending = core::mem::take(&mut self.pending_handshake);
        self.send_records(ContentType::Handshake, &pending)
    }

    /// A ChangeCipherSpec record: TLS 1.2's key switch, and TLS 1.3's
    /// middlebox-compatibility message (RFC 8446 Appendix D.4).
    pub fn send_change_cipher_spec(&mut self) -> Result<(), Error> {
        self.flush_handshake()?;
        if self.sent_close_notify {
            return Ok(());
        }
        let mut out = Vec::with_capacity(6);
        write_header(
            &mut out,
            ContentType::ChangeCipherSpec,
            ProtocolVersion::TLSv1_2,
            1,
        );
        out.push(1);
        self.sendable_tls.push(out);
        self.observe(|| Event::ChangeCipherSpec {
            direction: Direction::Sent,
        });
        Ok(())
    }

    pub fn set_encrypter(&mut self, enc: Box<dyn RecordEncrypter>) -> Result<(), Error> {
        self.flush_handshake()?;
        self.record_layer.encrypter = Some(enc);
        self.record_layer.write_seq = 0;
        Ok(())
    }

    pub fn set_decrypter(&mut self, dec: Box<dyn RecordDecrypter>) {
        self.record_layer.decrypter = Some(dec);
        self.record_layer.read_seq = 0;
        self.record_layer.read_epoch += 1;
    }

    /// RFC 5246 §7.2.2: the sessions of a failed connection "MUST NOT be
    /// resumed"; RFC 8446 §6.2: its tickets' PSKs "SHOULD be discarded".
    /// `forget` runs if this connection fails (never otherwise).
    pub fn forget_on_failure(&mut self, forget: impl FnOnce() + Send + Sync + 'static) {
        self.forget_on_failure.push(Box::new(forget));
    }

    /// No record has been protected with the current write key yet.
    pub fn nothing_sent_under_write_key(&self) -> bool {
        self.record_layer.write_seq == 0
    }

    /// Drop records that fail to decrypt, up to `bytes` (RFC 8446 §4.2.10).
    pub fn skip_undecryptable(&mut self, bytes: usize) {
        self.record_layer.trial_decrypt_budget = bytes;
    }

    /// Cuts `data` into records of at most 2^14 bytes and protects them;
    /// nothing after our close_notify (RFC 8446 §6.1).
    fn send_records(&mut self, typ: ContentType, data: &[u8]) -> Result<(), Error> {
        if self.sent_close_notify {
            return Ok(());
        }
        for chunk in data.chunks(MAX_FRAGMENT_LEN) {
            let mut out = vec![0u8; self.record_layer.record_len(chunk.len())];
            self.record_layer.encrypt_into(typ, chunk, &mut out)?;
            self.sendable_tls.push(out);
        }
        Ok(())
    }

    /// A warning alert, for the conditions TLS 1.2 lets a connection survive.
    pub fn send_warning_alert(&mut self, description: AlertDescription) {
        self.send_alert(Alert {
            level: AlertLevel::Warning,
            description,
        });
    }

    pub fn send_alert(&mut self, alert: Alert) {
        self.observe(|| Event::Alert {
            direction: Direction::Sent,
            alert,
        });
        // An alert that cannot be encrypted (sequence space exhausted) is
        // not sent; the connection is failing anyway.
        let _ = self.send_records(ContentType::Alert, &alert.to_bytes());
    }

    /// The handshake is done: application data may flow both ways.
    pub fn start_traffic(&mut self) -> Result<(), Error> {
        self.handshake_complete = true;
        self.observe(|| Event::HandshakeComplete(&self.negotiated));
        self.flush_handshake()?;
        for chunk in self.sendable_plaintext.take_all() {
            self.send_records(ContentType::ApplicationData, &chunk)?;
        }
        Ok(())
    }

    fn send_application_data(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.sent_close_notify {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "close_notify was already sent",
            ));
        }
        if !self.handshake_complete {
            let room = MAX_PENDING_PLAINTEXT.saturating_sub(self.sendable_plaintext.len());
            let take = data.len().min(room);
            self.sendable_plaintext.push(data[..take].to_vec());
            return Ok(take);
        }
        let room = usize::try_from(self.records_left_under_key()).unwrap_or(usize::MAX);
        let take = data.len().min(room.saturating_mul(MAX_FRAGMENT_LEN));
        self.send_records(ContentType::ApplicationData, &data[..take])?;
        Ok(take)
    }

    /// RFC 8446 §5.5: records the current TLS 1.3 sending key may still
    /// protect before the KeyUpdate that retires it (which is one more
    /// under the same key); a configured interval never goes past the
    /// AEAD's limit. TLS 1.2 has no KeyUpdate: unlimited here.
    fn records_left_under_key(&self) -> u64 {
        let aead_limit = self
            .negotiated
            .suite
            .and_then(tls13_suite)
            .map(|s| s.aead.confidentiality_limit() - 1);
        match (self.is_tls13(), aead_limit) {
            (true, Some(limit)) => self
                .records_per_key
                .map_or(limit, |n| n.min(limit))
                .max(1)
                .saturating_sub(self.record_layer.write_seq),
            _ => u64::MAX,
        }
    }

    /// Whether our sending key must be rotated before the next record.
    fn key_update_due(&self) -> bool {
        self.handshake_complete
            && !self.sent_close_notify
            && self.is_tls13()
            && self.records_left_under_key() == 0
    }
}

/// What `process_new_packets` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoState {
    pub tls_bytes_to_write: usize,
    pub plaintext_bytes_to_read: usize,
    pub peer_has_closed: bool,
}

/// What `open_in_place` found at the front of the caller's buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Opened {
    /// Bytes at the front of the buffer that made up the record just
    /// opened; 0 while the buffer does not yet hold a whole record (or the
    /// peer has closed).
    pub consumed: usize,
    /// Where the record's application data now lies in the buffer. Empty
    /// for a record that carried anything else: handshake messages and
    /// alerts are processed as `process_new_packets` would, and any answer
    /// is queued for `write_tls` / `seal_into`.
    pub plaintext: Range<usize>,
    /// The peer sent close_notify: nothing after it is read.
    pub peer_has_closed: bool,
}

/// What `seal_into` wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sealed {
    /// Bytes of the caller's plaintext now protected in records.
    pub taken: usize,
    /// Bytes of records written to the front of the output buffer.
    pub written: usize,
}

/// The connection engine behind `ClientConnection` and `ServerConnection`.
pub struct ConnectionCommon {
    pub(crate) common: CommonState,
    state: Result<Box<dyn State>, Error>,
    deframer: Deframer,
    joiner: Joiner,
    peer_eof: bool,
}

impl ConnectionCommon {
    pub(crate) fn new(
        common: CommonState,
        state: Box<dyn State>,
        max_handshake_message: usize,
    ) -> Self {
        Self {
            common,
            state: Ok(state),
            deframer: Deframer::default(),
            joiner: Joiner::new(max_handshake_message),
            peer_eof: false,
        }
    }

    /// Reads TLS bytes from `rd` (once). Returns 0 at EOF, and without
    /// reading once the peer's close_notify has been processed: what it
    /// might send after that is ignored anyway (RFC 8446 §6.1).
    pub fn read_tls(&mut self, rd: &mut dyn io::Read) -> io::Result<usize> {
        if self.common.received_close_notify {
            return Ok(0);
        }
        if self.common.received_plaintext.len() > MAX_RECEIVED_PLAINTEXT {
            return Err(io::Error::other(
                "received plaintext buffer full: read it with reader() first",
            ));
        }
        let n = self.deframer.read(rd)?;
        if n == 0 {
            self.peer_eof = true;
        }
        Ok(n)
    }

    /// Writes queued TLS bytes to `wr`.
    pub fn write_tls(&mut self, wr: &mut dyn io::Write) -> io::Result<usize> {
        self.common.sendable_tls.write_to(wr)
    }

    /// Processes every complete record received so far. After an error the
    /// connection is dead: the alert is queued for `write_tls` and every
    /// later call returns the same error.
    pub fn process_new_packets(&mut self) -> Result<IoState, Error> {
        if let Err(e) = &self.state {
            return Err(e.clone());
        }
        loop {
            if self.common.received_close_notify {
                break;
            }
            self.deframer.set_max_record_len(self.max_record_len());
            let processed = match self.deframer.peek() {
                Ok(Some((header, _))) if self.decrypts_into_plaintext_buffer(&header) => {
                    self.process_protected_in_buffer()
                }
                Ok(Some(_)) => match self.deframer.pop() {
                    Ok(Some(rec)) => self.process_record(rec),
                    Ok(None) => break,
                    Err(e) => Err(e),
                },
                Ok(None) => break,
                Err(e) => Err(e),
            };
            if let Err(e) = processed {
                return self.fail(e);
            }
        }
        if self.deframer.pending() == 0 && self.common.received_plaintext.is_empty() {
            self.common.received_plaintext.release_spares();
        }
        if let Err(e) = self.common.flush_handshake() {
            return self.fail(e);
        }
        // While handshaking the next flight is coming: keep the buffer.
        self.deframer
            .set_keep_buffer(!self.common.handshake_complete);
        Ok(self.io_state())
    }

    /// Opens the record at the front of `buf` in place, after the
    /// handshake: application data is decrypted where it lies and never
    /// copied (the in-place API; `read_tls` and `reader()` copy twice).
    /// Call it again with `&mut buf[consumed..]` for the next record. Bytes
    /// already given to `read_tls` come first: they must be processed and
    /// read before this is used.
    pub fn open_in_place(&mut self, buf: &mut [u8]) -> Result<Opened, Error> {
        if let Err(e) = &self.state {
            return Err(e.clone());
        }
        if !self.common.handshake_complete {
            return Err(Error::HandshakeNotComplete);
        }
        // RFC 8446 §6.1: after close_notify the data has ended, whatever
        // bytes came after it (they stay unread, as in the buffered API).
        if self.common.received_close_notify && self.common.received_plaintext.is_empty() {
            return Ok(Opened {
                peer_has_closed: true,
                ..Opened::default()
            });
        }
        if self.deframer.pending() > 0 || !self.common.received_plaintext.is_empty() {
            return Err(Error::ApiMisuse(
                "bytes given to read_tls come first: process and read them before open_in_place",
            ));
        }
        // Any answer (a KeyUpdate of ours) becomes records, as after
        // process_new_packets.
        match self
            .open_record_in_place(buf)
            .and_then(|opened| self.common.flush_handshake().map(|()| opened))
        {
            Ok(opened) => Ok(opened),
            Err(e) => self.fail(e),
        }
    }

    fn open_record_in_place(&mut self, buf: &mut [u8]) -> Result<Opened, Error> {
        let Some(header) = read_header(buf, self.max_record_len())? else {
            return Ok(Opened::default());
        };
        let consumed = HEADER_LEN + header.len;
        let Some(payload) = buf.get_mut(HEADER_LEN..consumed) else {
            return Ok(Opened::default());
        };
        let mut opened = Opened {
            consumed,
            ..Opened::default()
        };
        // Anything but (outer) application data takes the buffered path.
        if header.typ != ContentType::ApplicationData {
            self.process_record(Record {
                typ: header.typ,
                version: header.version,
                payload: payload.to_vec(),
            })?;
        } else if let Some((typ, plain)) =
            self.common
                .record_layer
                .open_in_place(header.typ, header.version, payload)?
        {
            if self.take_decrypted(typ, header.version, &payload[plain.clone()])? {
                opened.plaintext = HEADER_LEN + plain.start..HEADER_LEN + plain.end;
            }
        }
        opened.peer_has_closed = self.common.received_close_notify;
        Ok(opened)
    }

    /// Protects `plain` as application data records written straight into
    /// `out` (the in-place API: no copy before encryption). Records already
    /// queued for `write_tls` (answers to the peer, tickets, a KeyUpdate)
    /// are written first: they hold earlier sequence numbers. Writes as many
    /// whole records as fit; `taken < plain.len()` means `out` was full.
    pub fn seal_into(&mut self, plain: &[u8], out: &mut [u8]) -> Result<Sealed, Error> {
        if let Err(e) = &self.state {
            return Err(e.clone());
        }
        if !self.common.handshake_complete {
            return Err(Error::HandshakeNotComplete);
        }
        if self.common.sent_close_notify {
            return Err(Error::ApiMisuse("close_notify was already sent"));
        }
        let mut sealed = Sealed::default();
        loop {
            sealed.written += self.common.sendable_tls.read(&mut out[sealed.written..]);
            if !self.common.sendable_tls.is_empty() || sealed.taken == plain.len() {
                return Ok(sealed);
            }
            // RFC 8446 §5.5: rotate the key before it protects too much.
            if self.common.key_update_due() {
                self.send_key_update(false)?;
                continue;
            }
            let room = out.len() - sealed.written;
            let overhead = self.common.record_layer.record_len(0);
            if room <= overhead {
                return Ok(sealed);
            }
            let n = (plain.len() - sealed.taken)
                .min(MAX_FRAGMENT_LEN)
                .min(room - overhead);
            let len = self.common.record_layer.record_len(n);
            self.common.record_layer.encrypt_into(
                ContentType::ApplicationData,
                &plain[sealed.taken..sealed.taken + n],
                &mut out[sealed.written..sealed.written + len],
            )?;
            sealed.taken += n;
            sealed.written += len;
        }
    }

    /// RFC 8446 §5.2 / RFC 5246 §6.2.3: the longest record the peer may send.
    fn max_record_len(&self) -> usize {
        match self.common.is_tls13() {
            true => MAX_TLS13_CIPHERTEXT_LEN,
            false => MAX_TLS12_CIPHERTEXT_LEN,
        }
    }

    fn io_state(&self) -> IoState {
        IoState {
            tls_bytes_to_write: self.common.sendable_tls.len(),
            plaintext_bytes_to_read: self.common.received_plaintext.len(),
            peer_has_closed: self.common.received_close_notify,
        }
    }

    /// Detects, queues the alert and returns the error, in one place.
    fn fail<T>(&mut self, err: Error) -> Result<T, Error> {
        self.common.pending_handshake.clear();
        for forget in core::mem::take(&mut self.common.forget_on_failure) {
            forget();
        }
        // RFC 8446 §6.1: after our close_notify we send nothing more, not
        // even the alert.
        if let (Some(desc), false) = (err.alert(), self.common.sent_close_notify) {
            self.common.send_alert(Alert::fatal(desc));
        }
        self.state = Err(err.clone());
        Err(err)
    }

    /// After the handshake, protected application_data records (all of
    /// TLS 1.3's, and TLS 1.2's data) are decrypted from the receive buffer
    /// straight into a plaintext buffer; the rest are copied out as a
    /// `Record` first.
    fn decrypts_into_plaintext_buffer(&self, header: &Header) -> bool {
        header.typ == ContentType::ApplicationData
            && self.common.handshake_complete
            && self.common.record_layer.decrypter.is_some()
    }

    /// Decrypts the record at the front of the receive buffer into a
    /// plaintext buffer, where application data then waits for `reader()`.
    fn process_protected_in_buffer(&mut self) -> Result<(), Error> {
        let Some((header, payload)) = self.deframer.peek()? else {
            return Ok(());
        };
        let mut buf = self.common.received_plaintext.take_buffer(payload.len());
        let opened =
            self.common
                .record_layer
                .open_into(header.typ, header.version, payload, &mut buf);
        self.deframer.consume(&header);
        let Some((typ, plain)) = opened? else {
            return Ok(());
        };
        if self.take_decrypted(typ, header.version, &buf[plain.clone()])? {
            self.common.received_plaintext.push(buf, plain);
        } else {
            self.common.received_plaintext.recycle(buf);
        }
        Ok(())
    }

    /// A record just decrypted, of real type `typ`: application data is
    /// checked and counted, and stays where it is (true if there is any);
    /// anything else (TLS 1.3 handshake messages and alerts, rare after
    /// the handshake) is copied out and processed here.
    fn take_decrypted(
        &mut self,
        typ: ContentType,
        version: ProtocolVersion,
        plain: &[u8],
    ) -> Result<bool, Error> {
        self.check_protected_type(typ)?;
        if typ != ContentType::ApplicationData {
            self.process_plaintext(Record {
                typ,
                version,
                payload: plain.to_vec(),
            })?;
            return Ok(false);
        }
        self.check_not_interleaved(typ)?;
        self.admit_application_data(plain.len())
    }

    fn process_record(&mut self, rec: Record) -> Result<(), Error> {
        let rec = match rec.typ {
            // RFC 8446 §5: the compatibility CCS is never protected (and,
            // like any plaintext record, at most 2^14 bytes: §5.1).
            ContentType::ChangeCipherSpec if !self.tls12_negotiated() => {
                if rec.payload.len() > MAX_FRAGMENT_LEN {
                    return Err(Error::RecordOverflow);
                }
                rec
            }
            ContentType::Alert if self.plaintext_alert_allowed(&rec) => rec,
            _ => match self.common.record_layer.decrypt(rec)? {
                Some(rec) => {
                    self.check_protected_type(rec.typ)?;
                    rec
                }
                None => return Ok(()),
            },
        };
        self.process_plaintext(rec)
    }

    /// RFC 8446 §5: a protected change_cipher_spec record → unexpected_message.
    fn check_protected_type(&self, typ: ContentType) -> Result<(), Error> {
        match typ == ContentType::ChangeCipherSpec && !self.tls12_negotiated() {
            true => Err(PeerMisbehaved::IllegalChangeCipherSpec.into()),
            false => Ok(()),
        }
    }

    /// RFC 8446 §5.1: handshake messages must not be interleaved with
    /// other record types.
    fn check_not_interleaved(&self, typ: ContentType) -> Result<(), Error> {
        match typ != ContentType::Handshake && !self.joiner.is_empty() {
            true => Err(Error::InappropriateMessage {
                expected: "the rest of a handshake message",
                got: typ,
            }),
            false => Ok(()),
        }
    }

    /// A record with its protection removed.
    fn process_plaintext(&mut self, rec: Record) -> Result<(), Error> {
        self.check_not_interleaved(rec.typ)?;
        match rec.typ {
            ContentType::Alert => self.process_alert(&rec.payload),
            ContentType::ChangeCipherSpec => self.process_change_cipher_spec(&rec.payload),
            ContentType::Handshake => self.process_handshake(&rec.payload),
            ContentType::ApplicationData => self.process_application_data(rec.payload),
            // RFC 8446 §5.4: an unknown inner content type.
            other => Err(InvalidMessage::UnknownContentType(other.to_wire()).into()),
        }
    }

    /// A peer that could not read our flight may answer with a plaintext
    /// alert while we handshake; but once a TLS 1.2 peer has sent its
    /// ChangeCipherSpec, all it sends is protected (RFC 5246 §6.1, §7.1).
    fn plaintext_alert_allowed(&self, rec: &Record) -> bool {
        let peer_protects = self.tls12_negotiated() && self.common.record_layer.decrypter.is_some();
        !self.common.handshake_complete && rec.payload.len() == 2 && !peer_protects
    }

    fn tls12_negotiated(&self) -> bool {
        self.common.negotiated.version == Some(ProtocolVersion::TLSv1_2)
    }

    fn process_alert(&mut self, payload: &[u8]) -> Result<(), Error> {
        // RFC 8446 §5.1: no zero-length alert records.
        if payload.is_empty() {
            return Err(InvalidMessage::EmptyRecord(ContentType::Alert).into());
        }
        // RFC 8446 §5.1: alerts are never fragmented or coalesced.
        let alert = Alert::read_exact(payload, "alert")?;
        self.common.observe(|| Event::Alert {
            direction: Direction::Received,
            alert,
        });
        if !alert.level.is_known() {
            return Err(PeerMisbehaved::UnknownAlertLevel.into());
        }
        if alert.description == AlertDescription::CloseNotify {
            // RFC 8446 §6.1: close_notify before the handshake ends is an abort.
            if !self.common.handshake_complete {
                return Err(Error::AlertReceived(AlertDescription::CloseNotify));
            }
            self.common.received_close_notify = true;
            return Ok(());
        }
        // RFC 8446 §6: in TLS 1.3 every alert but close_notify and
        // user_canceled is fatal, whatever its level says.
        let tolerated = alert.level == AlertLevel::Warning
            && (alert.description == AlertDescription::UserCanceled || !self.common.is_tls13());
        if !tolerated {
            return Err(Error::AlertReceived(alert.description));
        }
        self.common.warning_alerts += 1;
        if self.common.warning_alerts > MAX_WARNING_ALERTS {
            return Err(PeerMisbehaved::TooManyWarningAlerts.into());
        }
        Ok(())
    }

    fn process_change_cipher_spec(&mut self, payload: &[u8]) -> Result<(), Error> {
        // RFC 5246 §7.1 / RFC 8446 §5: the only value is 1.
        if payload != [1] {
            return Err(PeerMisbehaved::IllegalChangeCipherSpec.into());
        }
        self.common.observe(|| Event::ChangeCipherSpec {
            direction: Direction::Received,
        });
        if self.tls12_negotiated() {
            return self.dispatch(Message::ChangeCipherSpec);
        }
        // RFC 8446 §5: dropped between the first ClientHello and the peer's
        // Finished; anywhere else it is unexpected, and so is one before
        // the ServerHello of a client that offered only TLS 1.2 (RFC 5246
        // §7.1).
        let tls12_only_client = self.common.is_client && !self.common.offered.tls13;
        if !self.common.seen_client_hello || self.common.handshake_complete || tls12_only_client {
            return Err(PeerMisbehaved::IllegalChangeCipherSpec.into());
        }
        self.common.change_cipher_specs += 1;
        if self.common.change_cipher_specs > MAX_CHANGE_CIPHER_SPECS {
            return Err(PeerMisbehaved::TooManyChangeCipherSpecs.into());
        }
        Ok(())
    }

    fn process_handshake(&mut self, payload: &[u8]) -> Result<(), Error> {
        // RFC 8446 §5.1: no zero-length handshake fragments.
        if payload.is_empty() {
            return Err(InvalidMessage::EmptyRecord(ContentType::Handshake).into());
        }
        self.joiner.push(payload);
        while let Some(bytes) = self.joiner.pop()? {
            let epoch = self.common.record_layer.read_epoch;
            let msg = HandshakeMessage::read(bytes, self.tls12_negotiated())?;
            self.common.observe(|| Event::Message {
                direction: Direction::Received,
                typ: msg.typ(),
                len: msg.encoding.len(),
                encrypted: self.common.record_layer.decrypter.is_some(),
            });
            // RFC 5246 §7.4.1.1: a client ignores HelloRequest while it is
            // negotiating (and it is never part of the transcript).
            // Before the ServerHello that holds if we offered TLS 1.2.
            let negotiating = self.common.is_client && !self.common.handshake_complete;
            let may_be_tls12 = self.tls12_negotiated()
                || (self.common.negotiated.version.is_none() && self.common.offered.tls12);
            if negotiating && may_be_tls12 && msg.typ() == HandshakeType::HelloRequest {
                continue;
            }
            self.dispatch(Message::Handshake(msg))?;
            // RFC 8446 §5.1: a message before a key change must end its record.
            if self.common.record_layer.read_epoch != epoch && !self.joiner.is_empty() {
                return Err(PeerMisbehaved::HandshakeDataAcrossKeyChange.into());
            }
        }
        Ok(())
    }

    fn process_application_data(&mut self, payload: Vec<u8>) -> Result<(), Error> {
        if self.admit_application_data(payload.len())? {
            let len = payload.len();
            self.common.received_plaintext.push(payload, 0..len);
        }
        Ok(())
    }

    /// Application data of `len` bytes arrived; false if it was empty.
    fn admit_application_data(&mut self, len: usize) -> Result<bool, Error> {
        if !self.common.handshake_complete {
            return Err(PeerMisbehaved::ApplicationDataBeforeHandshake.into());
        }
        if len == 0 {
            self.common.empty_records_in_a_row += 1;
            if self.common.empty_records_in_a_row > MAX_EMPTY_RECORDS {
                return Err(PeerMisbehaved::TooManyEmptyRecords.into());
            }
            return Ok(false);
        }
        self.common.empty_records_in_a_row = 0;
        self.common.key_updates_in_a_row = 0;
        self.common.renegotiation_requests_in_a_row = 0;
        Ok(true)
    }

    fn dispatch(&mut self, msg: Message) -> Result<(), Error> {
        let state = core::mem::replace(
            &mut self.state,
            Err(Error::Internal("handshake state in use")),
        )?;
        self.state = Ok(state.handle(&mut self.common, msg)?);
        Ok(())
    }

    /// TLS 1.3: sends a KeyUpdate and switches to fresh sending keys
    /// (RFC 8446 §4.6.3); with `request_peer`, asks the peer to do the same.
    /// Fails before the handshake completes and for TLS 1.2.
    pub fn send_key_update(&mut self, request_peer: bool) -> Result<(), Error> {
        let request = match request_peer {
            true => KeyUpdateRequest::UpdateRequested,
            false => KeyUpdateRequest::UpdateNotRequested,
        };
        if !self.common.is_tls13() || self.common.sent_close_notify {
            return Err(Error::HandshakeNotComplete);
        }
        let state = self.state.as_mut().map_err(|e| e.clone())?;
        state.update_write_key(&mut self.common, request)?;
        self.common.flush_handshake()
    }

    /// Plaintext received from the peer.
    pub fn reader(&mut self) -> Reader<'_> {
        Reader {
            common: &mut self.common,
            peer_eof: self.peer_eof,
            more_coming: self.deframer.pending() > 0,
            failed: self.state.as_ref().err(),
        }
    }

    /// Plaintext to send to the peer (buffered until the handshake ends).
    pub fn writer(&mut self) -> Writer<'_> {
        Writer { conn: self }
    }

    /// Queues a close_notify alert (RFC 8446 §6.1); nothing is sent after it.
    pub fn send_close_notify(&mut self) {
        // RFC 8446 §6.2: a failed connection ended with its fatal alert.
        if !self.common.sent_close_notify && self.state.is_ok() {
            let _ = self.common.flush_handshake();
            self.common.send_alert(Alert::close_notify());
            // RFC 8446 §6.1: from here on nothing is sent, not even the
            // rest of a handshake still in progress (send_records).
            self.common.sent_close_notify = true;
        }
    }

    pub fn is_handshaking(&self) -> bool {
        !self.common.handshake_complete
    }

    pub fn wants_write(&self) -> bool {
        !self.common.sendable_tls.is_empty()
    }

    pub fn wants_read(&self) -> bool {
        self.state.is_ok()
            && !self.common.received_close_notify
            && self.common.received_plaintext.is_empty()
            && (self.common.handshake_complete || self.common.sendable_tls.is_empty())
    }

    /// The error that stopped this connection, if any.
    pub fn error(&self) -> Option<&Error> {
        self.state.as_ref().err()
    }

    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.common.negotiated.version
    }

    pub fn negotiated_cipher_suite(&self) -> Option<CipherSuite> {
        self.common.negotiated.suite
    }

    pub fn negotiated_group(&self) -> Option<NamedGroup> {
        self.common.negotiated.group
    }

    pub fn negotiated_signature_scheme(&self) -> Option<SignatureScheme> {
        self.common.negotiated.signature_scheme
    }

    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.common.negotiated.alpn.as_deref()
    }

    /// Whether this connection resumed an earlier session.
    pub fn is_resumed(&self) -> bool {
        self.common.negotiated.resumed
    }

    pub fn peer_certificates(&self) -> Option<&[CertificateDer<'static>]> {
        self.common.negotiated.peer_certificates.as_deref()
    }

    /// Drives a blocking transport: writes everything queued and, while
    /// the handshake is in progress, reads and processes until it is done.
    pub fn complete_io<T: io::Read + io::Write>(
        &mut self,
        io: &mut T,
    ) -> io::Result<(usize, usize)> {
        let (mut rdlen, mut wrlen) = (0, 0);
        loop {
            wrlen += self.write_all_tls(io)?;
            if !self.is_handshaking() {
                return Ok((rdlen, wrlen));
            }
            match self.read_tls(io)? {
                0 => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "peer closed the connection during the handshake",
                    ))
                }
                n => rdlen += n,
            }
            self.process_new_packets_io(io)?;
        }
    }

    /// Writes every queued TLS byte and flushes.
    pub(crate) fn write_all_tls(&mut self, io: &mut dyn io::Write) -> io::Result<usize> {
        let mut wrlen = 0;
        while self.wants_write() {
            // A transport that takes nothing will never take the rest.
            match self.write_tls(io)? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => wrlen += n,
            }
        }
        io.flush()?;
        Ok(wrlen)
    }

    /// `process_new_packets` for blocking callers: on error, sends the
    /// alert before returning the error.
    pub(crate) fn process_new_packets_io(&mut self, io: &mut dyn io::Write) -> io::Result<IoState> {
        match self.process_new_packets() {
            Ok(state) => Ok(state),
            Err(e) => {
                let _ = self.write_all_tls(io);
                Err(io::Error::new(io::ErrorKind::InvalidData, e))
            }
        }
    }
}

/// Reads plaintext from the connection.
pub struct Reader<'a> {
    common: &'a mut CommonState,
    peer_eof: bool,
    /// Received bytes wait to be processed: plaintext buffers are reused.
    more_coming: bool,
    /// The connection's error, once it has failed.
    failed: Option<&'a Error>,
}

impl<'a> Reader<'a> {
    /// As `fill_buf`, but the bytes stay borrowed for as long as the
    /// connection is (what `Stream`'s `fill_buf` returns).
    pub fn into_first_chunk(self) -> io::Result<&'a [u8]> {
        if self.common.received_plaintext.is_empty() {
            self.nothing_to_read()?;
        }
        Ok(self.common.received_plaintext.front())
    }

    /// Why there is no plaintext: Ok means the peer sent close_notify (the
    /// end of the data). A failed connection gives its error for good
    /// (`InvalidData`: no more is coming); a transport closed without
    /// close_notify is `UnexpectedEof` (a truncation attack or a broken
    /// peer); else `WouldBlock`.
    fn nothing_to_read(&self) -> io::Result<()> {
        if self.common.received_close_notify {
            return Ok(());
        }
        if let Some(e) = self.failed {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        if self.peer_eof {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "peer closed the connection without sending TLS close_notify",
            ));
        }
        Err(io::ErrorKind::WouldBlock.into())
    }
}

impl io::Read for Reader<'_> {
    /// Ok(0) means the peer sent close_notify. A transport closed without
    /// it is `UnexpectedEof`; a failed connection, `InvalidData` with its
    /// error; nothing available yet is `WouldBlock`.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.common.received_plaintext.is_empty() {
            return Ok(self.common.received_plaintext.read(buf, self.more_coming));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        self.nothing_to_read().map(|()| 0)
    }
}

/// Received plaintext without a copy: `fill_buf` gives the bytes where they
/// were decrypted, a record's worth at most; `consume` says how many were
/// used. The ends are those of `read`: an empty slice after close_notify,
/// `UnexpectedEof`, `InvalidData` or `WouldBlock` otherwise.
impl io::BufRead for Reader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Reader {
            common: self.common,
            ..*self
        }
        .into_first_chunk()
    }

    fn consume(&mut self, amt: usize) {
        self.common
            .received_plaintext
            .consume(amt, self.more_coming);
    }
}

/// Writes plaintext to the connection.
pub struct Writer<'a> {
    conn: &'a mut ConnectionCommon,
}

impl io::Write for Writer<'_> {
    /// May write less than `buf` when the sending key is about to reach its
    /// record limit; the next write rotates it first (RFC 8446 §5.5).
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // RFC 8446 §6.2: after a fatal alert, sent or received, nothing
        // more is sent.
        if let Err(e) = &self.conn.state {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        if self.conn.common.key_update_due() {
            self.conn.send_key_update(false)?;
        }
        self.conn.common.send_application_data(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_key_update_interval_stays_under_the_aead_limit() {
        let mut common = CommonState::default();
        common.negotiated.version = Some(ProtocolVersion::TLSv1_3);
        common.negotiated.suite = Some(CipherSuite::TLS_AES_128_GCM_SHA256);
        // RFC 8446 §5.5: 2^24 records under one AES-GCM key, the
        // KeyUpdate included.
        for (configured, left) in [
            (None, (1 << 24) - 1),
            (Some(1 << 40), (1 << 24) - 1),
            (Some(100), 100),
            (Some(0), 1),
        ] {
            common.records_per_key = configured;
            assert_eq!(common.records_left_under_key(), left, "{configured:?}");
        }
        common.negotiated.suite = Some(CipherSuite::TLS_CHACHA20_POLY1305_SHA256);
        common.records_per_key = Some(1 << 40);
        assert_eq!(common.records_left_under_key(), 1 << 40);
    }

    #[test]
    fn plaintext_queue_front_and_consume_stay_within_one_buffer() {
        let mut q = PlaintextQueue::default();
        assert_eq!(q.front(), b"");
        q.consume(5, true);
        q.push(b"xxab".to_vec(), 2..4);
        q.push(b"cde".to_vec(), 0..3);
        assert_eq!(q.front(), b"ab");
        q.consume(1, true);
        assert_eq!((q.front(), q.len()), (&b"b"[..], 4));
        // More than the front holds: only the front is used up.
        q.consume(10, true);
        assert_eq!((q.front(), q.len()), (&b"cde"[..], 3));
        assert_eq!(q.spares.len(), 1);
        // The last bytes read with nothing more coming: no spares kept.
        q.consume(3, false);
        assert!(q.is_empty() && q.spares.is_empty());
    }

    #[test]
    fn plaintext_queue_reads_ranges_in_order_and_reuses_buffers_only_while_busy() {
        let mut q = PlaintextQueue::default();
        q.push(b"xxhello".to_vec(), 2..7);
        q.push(b" world!!".to_vec(), 0..6);
        q.push(b"ignored".to_vec(), 3..3);
        assert_eq!(q.len(), 11);
        let mut out = [0u8; 4];
        assert_eq!(q.read(&mut out, true), 4);
        assert_eq!(&out, b"hell");
        let mut out = [0u8; 16];
        assert_eq!(q.read(&mut out, true), 7);
        assert_eq!(&out[..7], b"o world");
        assert!(q.is_empty());
        // Two drained buffers (the empty push's first) are spares now, at
        // most two: the last one was let go. A long enough one is reused.
        assert_eq!(q.spares.len(), 2);
        let reused = q.take_buffer(7);
        assert_eq!(reused, b"xxhello");
        assert_eq!(q.take_buffer(100).len(), 100);
        // Reading with nothing more coming lets every spare go.
        q.push(reused, 0..1);
        assert_eq!(q.read(&mut out, false), 1);
        assert!(q.spares.is_empty());
    }

    #[test]
    fn chunk_queue_partial_reads_and_writes_keep_order() {
        let mut q = ChunkQueue::default();
        q.push(b"hello ".to_vec());
        q.push(Vec::new());
        q.push(b"world".to_vec());
        assert_eq!(q.len(), 11);
        let mut buf = [0u8; 4];
        assert_eq!(q.read(&mut buf), 4);
        assert_eq!(&buf, b"hell");
        // A writer that takes three bytes at a time.
        struct Three(Vec<u8>);
        impl io::Write for Three {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                let n = b.len().min(3);
                self.0.extend_from_slice(&b[..n]);
                Ok(n)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        // The default write_vectored writes from the first slice only.
        let mut w = Three(Vec::new());
        assert_eq!(q.write_to(&mut w).unwrap(), 2);
        assert_eq!(w.0, b"o ");
        assert_eq!(q.read(&mut buf[..1]), 1);
        assert_eq!(q.take_all(), vec![b"orld".to_vec()]);
        assert!(q.is_empty());
    }
}
