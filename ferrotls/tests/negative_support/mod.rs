//! Tools for the hostile-input tests (issue #7): record framing, handshake
//! message surgery, record protection keyed from what a [`KeyLog`] saw, and
//! a man in the middle that opens every record one side writes, lets a
//! test change, drop, split or add messages, and seals them again for the
//! other side.
//!
//! Each endpoint gets its own key log, so when a mutation makes the two
//! transcripts differ, records are still opened with the writer's keys and
//! sealed with the keys the reader expects.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use ferrotls::crypto::aead::{AeadKey, TAG_LEN};
use ferrotls::crypto::prf::prf;
use ferrotls::crypto::rand::RandomSource;
use ferrotls::crypto::Secret;
use ferrotls::msgs::enums::{AlertLevel, ContentType, HandshakeType};
use ferrotls::observe::KeyLog;
use ferrotls::record::protect::{tls13_nonce, RecordDecrypter, RecordEncrypter, Tls13Protection};
use ferrotls::record::protect12::{protection, Protection12};
use ferrotls::record::Record;
use ferrotls::suites::{tls12_suite, tls13_suite, Bulk12, Tls13CipherSuite};
use ferrotls::tls13::key_schedule::{next_traffic_secret, TrafficKeys};
use ferrotls::InvalidMessage;
use ferrotls::{
    AlertDescription, CipherSuite, ClientConfig, ClientConnection, ConnectionCommon, Error,
    ProtocolVersion, ServerConfig, ServerConnection,
};

pub const CCS: u8 = 20;
pub const ALERT: u8 = 21;
pub const HANDSHAKE: u8 = 22;
pub const APPDATA: u8 = 23;

// Handshake message types (RFC 8446 §4, RFC 5246 §7.4).
pub const HELLO_REQUEST: u8 = 0;
pub const CLIENT_HELLO: u8 = 1;
pub const SERVER_HELLO: u8 = 2;
pub const NEW_SESSION_TICKET: u8 = 4;
pub const END_OF_EARLY_DATA: u8 = 5;
pub const ENCRYPTED_EXTENSIONS: u8 = 8;
pub const CERTIFICATE: u8 = 11;
pub const SERVER_KEY_EXCHANGE: u8 = 12;
pub const CERTIFICATE_REQUEST: u8 = 13;
pub const SERVER_HELLO_DONE: u8 = 14;
pub const CERTIFICATE_VERIFY: u8 = 15;
pub const CLIENT_KEY_EXCHANGE: u8 = 16;
pub const FINISHED: u8 = 20;
pub const KEY_UPDATE: u8 = 24;

// ------------------------------------------------------------ determinism

/// SplitMix64: a reproducible `RandomSource` for tests (and never for keys
/// anybody relies on).
#[derive(Debug)]
pub struct SeededRandom(Mutex<u64>);

impl SeededRandom {
    pub fn new(seed: u64) -> Arc<Self> {
        Arc::new(Self(Mutex::new(seed)))
    }
}

impl RandomSource for SeededRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), Error> {
        let mut s = self.0.lock().unwrap();
        for chunk in buf.chunks_mut(8) {
            *s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = *s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- key log

/// Keeps every line an endpoint logs.
#[derive(Default)]
pub struct Keys(Mutex<Vec<(String, Vec<u8>)>>);

/// Redacted, like every key log should be (configs print their key log).
impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keys({} lines)", self.0.lock().unwrap().len())
    }
}

impl KeyLog for Keys {
    fn log(&self, label: &str, _client_random: &[u8], secret: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((label.to_string(), secret.to_vec()));
    }
}

impl Keys {
    /// The latest secret logged under `label`.
    pub fn get(&self, label: &str) -> Option<Secret> {
        let lines = self.0.lock().unwrap();
        lines
            .iter()
            .rev()
            .find(|(l, _)| l == label)
            .map(|(_, s)| Secret::from_slice(s))
    }

    /// Every secret logged, for tests that look for leaks.
    pub fn all(&self) -> Vec<Vec<u8>> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(_, s)| s.clone())
            .collect()
    }
}

// ---------------------------------------------------------------- records

/// A record as it is on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rec {
    pub typ: u8,
    pub version: u16,
    pub body: Vec<u8>,
}

impl Rec {
    pub fn new(typ: u8, body: &[u8]) -> Self {
        Self {
            typ,
            version: 0x0303,
            body: body.to_vec(),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.typ];
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&(self.body.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.body);
        out
    }
}

/// A record with any header at all (length included), for framing games.
pub fn raw_record(typ: u8, version: u16, len: u16, body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ];
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Cuts bytes into whole records.
pub fn records(mut bytes: &[u8]) -> Vec<Rec> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        assert!(bytes.len() >= 5, "partial record header");
        let len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
        assert!(bytes.len() >= 5 + len, "partial record");
        out.push(Rec {
            typ: bytes[0],
            version: u16::from_be_bytes([bytes[1], bytes[2]]),
            body: bytes[5..5 + len].to_vec(),
        });
        bytes = &bytes[5 + len..];
    }
    out
}

/// A plaintext record of each `chunk` bytes of `data`.
pub fn fragmented(typ: u8, data: &[u8], chunk: usize) -> Vec<u8> {
    data.chunks(chunk)
        .flat_map(|c| Rec::new(typ, c).encode())
        .collect()
}

// ------------------------------------------------------ handshake messages

/// A handshake message: type, u24 length, body.
pub fn hs(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

/// Splits a stream of whole handshake messages.
pub fn messages(mut data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        assert!(data.len() >= 4, "partial handshake header");
        let len = u32::from_be_bytes([0, data[1], data[2], data[3]]) as usize;
        assert!(data.len() >= 4 + len, "partial handshake message");
        out.push(data[..4 + len].to_vec());
        data = &data[4 + len..];
    }
    out
}

/// Rewrites a message's u24 length to match its body.
pub fn fix_len(msg: &mut [u8]) {
    let len = (msg.len() - 4) as u32;
    msg[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
}

pub fn u16_at(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_be_bytes([b[at], b[at + 1]]))
}

/// Adds `delta` to the big-endian length field of `width` bytes at `at`
/// (wrapping, so 0 - 1 becomes the largest value).
pub fn bump_len(b: &mut [u8], at: usize, width: usize, delta: i64) {
    let mut v: u64 = 0;
    for i in 0..width {
        v = (v << 8) | u64::from(b[at + i]);
    }
    let modulus = 1u64 << (8 * width);
    let v = ((v as i64 + delta).rem_euclid(modulus as i64)) as u64;
    for i in 0..width {
        b[at + i] = (v >> (8 * (width - 1 - i))) as u8;
    }
}

/// Where a hello's parts are: offsets into the message (header included).
#[derive(Clone, Debug)]
pub struct HelloLayout {
    /// Offset of legacy_session_id's length byte.
    pub session_id: usize,
    /// ClientHello: offset of the cipher_suites length; ServerHello: of the suite.
    pub cipher_suites: usize,
    /// Offset of the compression method(s).
    pub compression: usize,
    /// Offset of the extensions block length, if there is one.
    pub extensions: Option<usize>,
    /// Each extension: (type, offset of its type field, body length).
    pub each: Vec<(u16, usize, usize)>,
}

/// Finds the parts of a ClientHello (`client` true) or ServerHello.
pub fn hello_layout(msg: &[u8], client: bool) -> HelloLayout {
    let session_id = 4 + 2 + 32;
    let cipher_suites = session_id + 1 + usize::from(msg[session_id]);
    let compression = match client {
        true => cipher_suites + 2 + u16_at(msg, cipher_suites),
        false => cipher_suites + 2,
    };
    let after = match client {
        true => compression + 1 + usize::from(msg[compression]),
        false => compression + 1,
    };
    let mut each = Vec::new();
    let extensions = (after < msg.len()).then_some(after);
    if let Some(at) = extensions {
        let end = at + 2 + u16_at(msg, at);
        let mut p = at + 2;
        while p < end {
            let len = u16_at(msg, p + 2);
            each.push((u16_at(msg, p) as u16, p, len));
            p += 4 + len;
        }
    }
    HelloLayout {
        session_id,
        cipher_suites,
        compression,
        extensions,
        each,
    }
}

/// Every length field of a hello, as (offset, width, what), outermost
/// first: the handshake header, the vectors of the hello and the inner
/// vectors of the extensions ferrotls sends.
pub fn hello_length_fields(msg: &[u8], client: bool) -> Vec<(usize, usize, String)> {
    let l = hello_layout(msg, client);
    let mut out = vec![(1, 3, "handshake length".to_string())];
    out.push((l.session_id, 1, "legacy_session_id".into()));
    if client {
        out.push((l.cipher_suites, 2, "cipher_suites".into()));
        out.push((l.compression, 1, "compression_methods".into()));
    }
    if let Some(at) = l.extensions {
        out.push((at, 2, "extensions".into()));
    }
    for &(typ, at, len) in &l.each {
        out.push((at + 2, 2, format!("extension {typ} length")));
        let body = at + 4;
        let inner: &[(usize, usize)] = match (typ, client) {
            // server_name: list u16, then name_type u8 + name u16
            (0, true) => &[(0, 2), (3, 2)],
            // supported_groups, signature_algorithms(_cert): list u16
            (10, _) | (13, _) | (50, _) => &[(0, 2)],
            // ec_point_formats, psk_key_exchange_modes, supported_versions (client): u8
            (11, _) | (45, _) | (43, true) => &[(0, 1)],
            // ALPN: list u16, first name u8
            (16, _) => &[(0, 2), (2, 1)],
            // renegotiation_info: u8
            (0xff01, _) => &[(0, 1)],
            // key_share (client): list u16, then group u16 + key_exchange u16
            (51, true) => &[(0, 2), (4, 2)],
            // key_share (server hello): group u16 + key_exchange u16
            (51, false) if len > 2 => &[(2, 2)],
            // cookie
            (44, _) => &[(0, 2)],
            _ => &[],
        };
        for &(off, width) in inner {
            if off + width <= len {
                out.push((body + off, width, format!("extension {typ} inner @{off}")));
            }
        }
    }
    out
}

/// Extension bytes: type, length, body.
pub fn ext(typ: u16, body: &[u8]) -> Vec<u8> {
    let mut out = typ.to_be_bytes().to_vec();
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// A u8/u16-prefixed vector.
pub fn vec8(body: &[u8]) -> Vec<u8> {
    let mut out = vec![body.len() as u8];
    out.extend_from_slice(body);
    out
}

pub fn vec16(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

/// Appends raw extension bytes to a hello, fixing up the block and
/// message lengths (adds an empty block first if there is none).
pub fn add_extension(msg: &mut Vec<u8>, client: bool, ext_bytes: &[u8]) {
    let l = hello_layout(msg, client);
    match l.extensions {
        Some(at) => {
            let end = at + 2 + u16_at(msg, at);
            msg.splice(end..end, ext_bytes.iter().copied());
            let new = (u16_at(msg, at) + ext_bytes.len()) as u16;
            msg[at..at + 2].copy_from_slice(&new.to_be_bytes());
        }
        None => msg.extend_from_slice(&vec16(ext_bytes)),
    }
    fix_len(msg);
}

/// Inserts raw extension bytes at the front of the block.
pub fn prepend_extension(msg: &mut Vec<u8>, client: bool, ext_bytes: &[u8]) {
    let at = hello_layout(msg, client).extensions.expect("extensions");
    msg.splice(at + 2..at + 2, ext_bytes.iter().copied());
    let new = (u16_at(msg, at) + ext_bytes.len()) as u16;
    msg[at..at + 2].copy_from_slice(&new.to_be_bytes());
    fix_len(msg);
}

/// The whole extension (type, length, body) of type `typ`, if present.
pub fn find_extension(msg: &[u8], client: bool, typ: u16) -> Option<Vec<u8>> {
    let l = hello_layout(msg, client);
    l.each
        .iter()
        .find(|e| e.0 == typ)
        .map(|&(_, at, len)| msg[at..at + 4 + len].to_vec())
}

/// Removes the extension of type `typ`; returns whether it was there.
pub fn remove_extension(msg: &mut Vec<u8>, client: bool, typ: u16) -> bool {
    let l = hello_layout(msg, client);
    let Some(&(_, at, len)) = l.each.iter().find(|e| e.0 == typ) else {
        return false;
    };
    let block = l.extensions.unwrap();
    msg.drain(at..at + 4 + len);
    let new = (u16_at(msg, block) - 4 - len) as u16;
    msg[block..block + 2].copy_from_slice(&new.to_be_bytes());
    fix_len(msg);
    true
}

/// Replaces the body of extension `typ`.
pub fn set_extension(msg: &mut Vec<u8>, client: bool, typ: u16, body: &[u8]) {
    assert!(remove_extension(msg, client, typ), "no extension {typ}");
    add_extension(msg, client, &ext(typ, body));
}

/// Replaces the bytes `at..at+len` of a message and fixes its length.
pub fn splice(msg: &mut Vec<u8>, at: usize, len: usize, with: &[u8]) {
    msg.splice(at..at + len, with.iter().copied());
    fix_len(msg);
}

// ----------------------------------------------------------- protection

/// One direction's record protection, as the writer applies it (to open
/// what it wrote) or as the reader expects it (to seal what we send).
pub trait Tap {
    /// Opens one record: (content type, plaintext, was protected).
    fn open(&mut self, rec: &Rec) -> (u8, Vec<u8>, bool);
    /// Seals one record of `typ`; `protect` says whether it is encrypted.
    fn seal(&mut self, typ: u8, data: &[u8], protect: bool) -> Vec<u8>;
}

/// What both taps of a connection learn from the hellos.
#[derive(Debug, Default)]
pub struct Hellos {
    pub client_random: [u8; 32],
    pub server_random: [u8; 32],
    pub suite: Option<CipherSuite>,
}

/// Which side writes the records a tap handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer {
    Client,
    Server,
}

/// TLS 1.3: generation 0 is the handshake traffic secret, generation n+1
/// application traffic secret n (RFC 8446 §7.1, §7.2).
pub struct Tap13 {
    keys: Arc<Keys>,
    hellos: Arc<Mutex<Hellos>>,
    writer: Writer,
    secrets: Vec<Secret>,
    gen: usize,
    seq: u64,
    /// Handshake bytes sealed so far that do not yet end a message.
    joined: Vec<u8>,
}

impl Tap13 {
    pub fn new(keys: Arc<Keys>, hellos: Arc<Mutex<Hellos>>, writer: Writer) -> Self {
        Self {
            keys,
            hellos,
            writer,
            secrets: Vec::new(),
            gen: 0,
            seq: 0,
            joined: Vec::new(),
        }
    }

    /// The suite the ServerHello named, if it is a TLS 1.3 one.
    pub fn suite(&self) -> Option<&'static Tls13CipherSuite> {
        self.hellos.lock().unwrap().suite.and_then(tls13_suite)
    }

    fn secret(&mut self, gen: usize) -> Option<Secret> {
        let prefix = match self.writer {
            Writer::Client => "CLIENT",
            Writer::Server => "SERVER",
        };
        while self.secrets.len() <= gen {
            let next = match self.secrets.len() {
                0 => self
                    .keys
                    .get(&format!("{prefix}_HANDSHAKE_TRAFFIC_SECRET"))?,
                1 => self.keys.get(&format!("{prefix}_TRAFFIC_SECRET_0"))?,
                n => next_traffic_secret(self.suite()?, &self.secrets[n - 1]),
            };
            self.secrets.push(next);
        }
        Some(self.secrets[gen].clone())
    }

    fn key(&mut self, gen: usize) -> Option<(AeadKey, [u8; 12])> {
        let secret = self.secret(gen)?;
        let suite = self.suite()?;
        let keys = TrafficKeys::derive(suite, &secret);
        Some((
            AeadKey::new(suite.aead, keys.key.expose()).unwrap(),
            keys.iv,
        ))
    }

    fn protection(&mut self, gen: usize) -> Option<Tls13Protection> {
        self.key(gen).map(|(k, iv)| Tls13Protection::new(k, iv))
    }

    /// Seals an inner plaintext given whole (content ‖ type ‖ padding).
    pub fn seal_inner(&mut self, inner: &[u8]) -> Vec<u8> {
        let (key, iv) = self.key(self.gen).expect("keys for sealing");
        let mut out = Rec::new(APPDATA, &[]).encode();
        let len = (inner.len() + TAG_LEN) as u16;
        out[3..5].copy_from_slice(&len.to_be_bytes());
        let aad = out.clone();
        out.resize(5 + inner.len() + TAG_LEN, 0);
        key.seal_into(tls13_nonce(&iv, self.seq), &aad, inner, &[], &mut out[5..])
            .unwrap();
        self.seq += 1;
        out
    }

    /// Moves on to the next generation (as after Finished or KeyUpdate).
    pub fn next_generation(&mut self) {
        self.gen += 1;
        self.seq = 0;
    }

    pub fn generation(&self) -> usize {
        self.gen
    }
}

impl Tap for Tap13 {
    fn open(&mut self, rec: &Rec) -> (u8, Vec<u8>, bool) {
        if rec.typ != APPDATA || self.hellos.lock().unwrap().suite.is_none() {
            return (rec.typ, rec.body.clone(), false);
        }
        let tries = [(self.gen, self.seq), (self.gen + 1, 0), (self.gen + 2, 0)];
        for (gen, seq) in tries {
            let Some(p) = self.protection(gen) else {
                continue;
            };
            let mut r = Record {
                typ: ContentType::ApplicationData,
                version: ProtocolVersion::TLSv1_2,
                payload: rec.body.clone(),
            };
            if p.decrypt(&mut r, seq).is_ok() {
                self.gen = gen;
                self.seq = seq + 1;
                return (r.typ.to_wire(), r.payload, true);
            }
        }
        (rec.typ, rec.body.clone(), false)
    }

    fn seal(&mut self, typ: u8, data: &[u8], protect: bool) -> Vec<u8> {
        // Without keys yet (a hostile flight sent early), it goes in the clear.
        let Some(p) = self.protection(self.gen).filter(|_| protect) else {
            return Rec::new(typ, data).encode();
        };
        let mut out = Vec::new();
        p.encrypt(ContentType::from_wire(typ), data, self.seq, &mut out)
            .unwrap();
        self.seq += 1;
        // The peer changes keys after a Finished or KeyUpdate that ends a record.
        if typ == HANDSHAKE {
            self.joined.extend_from_slice(data);
            let mut last = None;
            while self.joined.len() >= 4 {
                let len = u32::from_be_bytes([0, self.joined[1], self.joined[2], self.joined[3]]);
                let total = 4 + len as usize;
                if self.joined.len() < total {
                    break;
                }
                last = Some(self.joined[0]);
                self.joined.drain(..total);
            }
            if self.joined.is_empty() && matches!(last, Some(FINISHED) | Some(KEY_UPDATE)) {
                self.next_generation();
            }
        }
        out
    }
}

/// TLS 1.2: protected from the writer's ChangeCipherSpec on, with the
/// session keys cut from the logged master secret (RFC 5246 §6.3).
pub struct Tap12 {
    keys: Arc<Keys>,
    hellos: Arc<Mutex<Hellos>>,
    writer: Writer,
    prot: Option<Box<dyn Protection12>>,
    protected: bool,
    seq: u64,
}

impl Tap12 {
    pub fn new(keys: Arc<Keys>, hellos: Arc<Mutex<Hellos>>, writer: Writer) -> Self {
        Self {
            keys,
            hellos,
            writer,
            prot: None,
            protected: false,
            seq: 0,
        }
    }

    fn protection(&mut self) -> Option<&dyn Protection12> {
        if self.prot.is_none() {
            let (bulk, mac_key, key, iv) = session_keys12(&self.keys, &self.hellos, self.writer)?;
            // A hostile transcript may leave us with keys that do not fit.
            if mac_key.len() != bulk.mac_key_len() {
                return None;
            }
            self.prot =
                Some(protection(bulk, mac_key.expose(), key.expose(), iv.expose()).unwrap());
        }
        self.prot.as_deref()
    }

    /// The next sequence number this tap seals or opens with.
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

/// One direction's TLS 1.2 session keys (MAC key, write key, IV), cut
/// from the logged master secret (RFC 5246 §6.3).
pub fn session_keys12(
    keys: &Keys,
    hellos: &Mutex<Hellos>,
    writer: Writer,
) -> Option<(Bulk12, Secret, Secret, Secret)> {
    let master = keys.get("CLIENT_RANDOM")?;
    let h = hellos.lock().unwrap();
    let suite = tls12_suite(h.suite?)?;
    let b = suite.bulk;
    let (mac, enc, iv) = (b.mac_key_len(), b.enc_key_len(), b.fixed_iv_len());
    let seed = [&h.server_random[..], &h.client_random[..]].concat();
    let block = prf(
        suite.hash,
        master.expose(),
        b"key expansion",
        &seed,
        2 * (mac + enc + iv),
    );
    let k = block.expose();
    let cut = |from: usize, n: usize| Secret::from_slice(&k[from..from + n]);
    Some(match writer {
        Writer::Client => (
            b,
            cut(0, mac),
            cut(2 * mac, enc),
            cut(2 * mac + 2 * enc, iv),
        ),
        Writer::Server => (
            b,
            cut(mac, mac),
            cut(2 * mac + enc, enc),
            cut(2 * mac + 2 * enc + iv, iv),
        ),
    })
}

impl Tap for Tap12 {
    fn open(&mut self, rec: &Rec) -> (u8, Vec<u8>, bool) {
        if !self.protected {
            if rec.typ == CCS {
                self.protected = true;
            }
            return (rec.typ, rec.body.clone(), false);
        }
        let seq = self.seq;
        let Some(p) = self.protection() else {
            return (rec.typ, rec.body.clone(), false);
        };
        let mut r = Record {
            typ: ContentType::from_wire(rec.typ),
            version: ProtocolVersion::TLSv1_2,
            payload: rec.body.clone(),
        };
        match p.decrypt(&mut r, seq) {
            Ok(()) => {
                self.seq += 1;
                (rec.typ, r.payload, true)
            }
            Err(_) => (rec.typ, rec.body.clone(), false),
        }
    }

    fn seal(&mut self, typ: u8, data: &[u8], protect: bool) -> Vec<u8> {
        let seq = self.seq;
        let Some(p) = self.protection().filter(|_| protect) else {
            return Rec::new(typ, data).encode();
        };
        let mut out = Vec::new();
        p.encrypt(ContentType::from_wire(typ), data, seq, &mut out)
            .unwrap();
        self.seq += 1;
        out
    }
}

// -------------------------------------------------------------- parts

/// A unit of what one side sends: one handshake message, or the content of
/// one record of another type, with whether it travels protected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub typ: u8,
    pub data: Vec<u8>,
    pub protected: bool,
}

impl Part {
    pub fn new(typ: u8, data: &[u8], protected: bool) -> Self {
        Self {
            typ,
            data: data.to_vec(),
            protected,
        }
    }

    /// The handshake message type, for handshake parts.
    pub fn hs_type(&self) -> Option<u8> {
        self.data.first().copied().filter(|_| self.typ == HANDSHAKE)
    }

    /// The alert (level, description), for alert parts.
    pub fn alert(&self) -> Option<(AlertLevel, AlertDescription)> {
        (self.typ == ALERT && self.data.len() == 2).then(|| {
            (
                AlertLevel::from_wire(self.data[0]),
                AlertDescription::from_wire(self.data[1]),
            )
        })
    }
}

/// A part's records: handshake messages over 2^14 bytes are cut into
/// records of at most 2^14 (other types go as they are, oversized or not).
fn record_chunks(p: &Part) -> Vec<&[u8]> {
    match p.typ == HANDSHAKE && p.data.len() > 1 << 14 {
        true => p.data.chunks(1 << 14).collect(),
        false => vec![&p.data[..]],
    }
}

/// The index of the first handshake part of type `typ`.
pub fn find(parts: &[Part], typ: u8) -> usize {
    parts
        .iter()
        .position(|p| p.hs_type() == Some(typ))
        .unwrap_or_else(|| panic!("no handshake message {typ} in {parts:?}"))
}

// ------------------------------------------------------ the middle

/// A real client and a real server with us between them.
pub struct Mitm {
    pub client: ClientConnection,
    pub server: ServerConnection,
    pub client_keys: Arc<Keys>,
    pub server_keys: Arc<Keys>,
    pub hellos: Arc<Mutex<Hellos>>,
    /// Opens what the client writes / seals what the server is to read.
    c2s: (Box<dyn Tap>, Box<dyn Tap>),
    /// Opens what the server writes / seals what the client is to read.
    s2c: (Box<dyn Tap>, Box<dyn Tap>),
    /// After the handshake, deliver through `open_in_place` instead of
    /// `read_tls`.
    pub in_place: bool,
}

impl Mitm {
    /// `tls13` chooses the record protection the taps apply.
    pub fn new(mut cc: ClientConfig, mut sc: ServerConfig, tls13: bool) -> Self {
        let client_keys = Arc::new(Keys::default());
        let server_keys = Arc::new(Keys::default());
        cc.key_log = Some(client_keys.clone());
        sc.key_log = Some(server_keys.clone());
        let hellos = Arc::new(Mutex::new(Hellos::default()));
        let tap = |keys: &Arc<Keys>, w: Writer| -> Box<dyn Tap> {
            match tls13 {
                true => Box::new(Tap13::new(keys.clone(), hellos.clone(), w)),
                false => Box::new(Tap12::new(keys.clone(), hellos.clone(), w)),
            }
        };
        let c2s = (
            tap(&client_keys, Writer::Client),
            tap(&server_keys, Writer::Client),
        );
        let s2c = (
            tap(&server_keys, Writer::Server),
            tap(&client_keys, Writer::Server),
        );
        let client =
            ClientConnection::new(Arc::new(cc), super::common::server_name("localhost")).unwrap();
        let server = ServerConnection::new(Arc::new(sc)).unwrap();
        Self {
            client,
            server,
            client_keys,
            server_keys,
            hellos,
            c2s,
            s2c,
            in_place: false,
        }
    }

    fn note_hellos(&self, part: &Part) {
        let mut h = self.hellos.lock().unwrap();
        match part.hs_type() {
            // The first hellos count (a second ClientHello keeps the random;
            // a HelloRetryRequest names the suite of the ServerHello).
            Some(CLIENT_HELLO) if part.data.len() >= 38 && h.client_random == [0; 32] => {
                h.client_random.copy_from_slice(&part.data[6..38])
            }
            Some(SERVER_HELLO) if part.data.len() >= 40 && h.suite.is_none() => {
                h.server_random.copy_from_slice(&part.data[6..38]);
                let at = 39 + usize::from(part.data[38]);
                if let Some(s) = part.data.get(at..at + 2) {
                    h.suite = Some(CipherSuite::from_wire(u16_at(s, 0) as u16));
                }
            }
            _ => {}
        }
    }

    fn open_all(&mut self, bytes: &[u8], from_client: bool) -> Vec<Part> {
        let mut parts = Vec::new();
        let mut pending: Vec<u8> = Vec::new();
        for rec in records(bytes) {
            let tap = match from_client {
                true => &mut self.c2s.0,
                false => &mut self.s2c.0,
            };
            let (typ, data, protected) = tap.open(&rec);
            if typ != HANDSHAKE {
                parts.push(Part::new(typ, &data, protected));
                continue;
            }
            pending.extend_from_slice(&data);
            // Whole messages become parts; a partial one waits.
            while pending.len() >= 4 {
                let len = u32::from_be_bytes([0, pending[1], pending[2], pending[3]]) as usize;
                if pending.len() < 4 + len {
                    break;
                }
                let msg: Vec<u8> = pending.drain(..4 + len).collect();
                let part = Part::new(HANDSHAKE, &msg, protected);
                self.note_hellos(&part);
                parts.push(part);
            }
        }
        assert!(pending.is_empty(), "a handshake message was cut short");
        parts
    }

    /// Everything the client has written, opened.
    pub fn client_wrote(&mut self) -> Vec<Part> {
        let bytes = take_output(&mut self.client);
        self.open_all(&bytes, true)
    }

    /// Everything the server has written, opened.
    pub fn server_wrote(&mut self) -> Vec<Part> {
        let bytes = take_output(&mut self.server);
        self.open_all(&bytes, false)
    }

    /// Opens bytes the client wrote (taken by the caller).
    pub fn open_client_bytes(&mut self, bytes: &[u8]) -> Vec<Part> {
        self.open_all(bytes, true)
    }

    /// Opens bytes the server wrote (taken by the caller).
    pub fn open_server_bytes(&mut self, bytes: &[u8]) -> Vec<Part> {
        self.open_all(bytes, false)
    }

    /// Seals each part as one record and delivers it to the server, one
    /// by one (so keys the server derives on the way are there in time).
    pub fn send_to_server(&mut self, parts: &[Part]) -> Result<(), Error> {
        for p in parts {
            self.note_hellos(p);
            for chunk in record_chunks(p) {
                let bytes = self.c2s.1.seal(p.typ, chunk, p.protected);
                deliver_by(&mut self.server, bytes, self.in_place)?;
            }
        }
        Ok(())
    }

    pub fn send_to_client(&mut self, parts: &[Part]) -> Result<(), Error> {
        for p in parts {
            self.note_hellos(p);
            for chunk in record_chunks(p) {
                let bytes = self.s2c.1.seal(p.typ, chunk, p.protected);
                deliver_by(&mut self.client, bytes, self.in_place)?;
            }
        }
        Ok(())
    }

    /// Seals parts for the server without delivering them.
    pub fn seal_for_server(&mut self, parts: &[Part]) -> Vec<u8> {
        parts
            .iter()
            .flat_map(|p| self.c2s.1.seal(p.typ, &p.data, p.protected))
            .collect()
    }

    pub fn seal_for_client(&mut self, parts: &[Part]) -> Vec<u8> {
        parts
            .iter()
            .flat_map(|p| self.s2c.1.seal(p.typ, &p.data, p.protected))
            .collect()
    }

    /// The tap that seals records for the server (TLS 1.3 only).
    pub fn server_sealer(&mut self) -> &mut dyn Tap {
        self.c2s.1.as_mut()
    }

    pub fn client_sealer(&mut self) -> &mut dyn Tap {
        self.s2c.1.as_mut()
    }

    /// Client to server, unchanged.
    pub fn pass_to_server(&mut self) -> Result<(), Error> {
        let parts = self.client_wrote();
        self.send_to_server(&parts)
    }

    pub fn pass_to_client(&mut self) -> Result<(), Error> {
        let parts = self.server_wrote();
        self.send_to_client(&parts)
    }

    /// The whole handshake, unchanged.
    pub fn handshake(&mut self) -> Result<(), Error> {
        for _ in 0..6 {
            self.pass_to_server()?;
            self.pass_to_client()?;
            if !self.client.is_handshaking() && !self.server.is_handshaking() {
                self.pass_to_server()?;
                return Ok(());
            }
        }
        panic!("handshake did not finish");
    }

    /// The alerts the server wrote since we last looked.
    pub fn server_alerts(&mut self) -> Vec<(AlertLevel, AlertDescription)> {
        self.server_wrote().iter().filter_map(Part::alert).collect()
    }

    pub fn client_alerts(&mut self) -> Vec<(AlertLevel, AlertDescription)> {
        self.client_wrote().iter().filter_map(Part::alert).collect()
    }

    /// The one fatal alert the server wrote.
    pub fn server_alert(&mut self) -> Option<AlertDescription> {
        one_fatal(self.server_alerts())
    }

    pub fn client_alert(&mut self) -> Option<AlertDescription> {
        one_fatal(self.client_alerts())
    }
}

fn one_fatal(alerts: Vec<(AlertLevel, AlertDescription)>) -> Option<AlertDescription> {
    match alerts.as_slice() {
        [] => None,
        [(AlertLevel::Fatal, d)] => Some(*d),
        other => panic!("expected one fatal alert, got {other:?}"),
    }
}

// --------------------------------------------------------------- I/O

/// Everything a connection has queued to send.
pub fn take_output(conn: &mut ConnectionCommon) -> Vec<u8> {
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).unwrap();
    }
    out
}

/// Feeds bytes and processes them; `read_tls` refusing more input (a
/// full buffer) is processed and retried, and reported if it persists.
pub fn deliver(conn: &mut ConnectionCommon, mut bytes: &[u8]) -> Result<(), Error> {
    while !bytes.is_empty() {
        match conn.read_tls(&mut bytes) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => panic!("read_tls refused input: {e}"),
        }
        conn.process_new_packets()?;
    }
    conn.process_new_packets().map(|_| ())
}

/// Delivers `bytes` through `read_tls`, or once the handshake is done and
/// `in_place` is set, through `open_in_place` (an incomplete record at the
/// end is dropped: that API keeps nothing between calls).
pub fn deliver_by(
    conn: &mut ConnectionCommon,
    mut bytes: Vec<u8>,
    in_place: bool,
) -> Result<(), Error> {
    if !in_place || conn.is_handshaking() {
        return deliver(conn, &bytes);
    }
    let mut at = 0;
    while at < bytes.len() {
        match conn.open_in_place(&mut bytes[at..])?.consumed {
            0 => break,
            n => at += n,
        }
    }
    Ok(())
}

/// The plaintext alert records in `bytes` (level, description).
pub fn plain_alerts(bytes: &[u8]) -> Vec<(AlertLevel, AlertDescription)> {
    records(bytes)
        .iter()
        .filter(|r| r.typ == ALERT && r.body.len() == 2)
        .map(|r| {
            (
                AlertLevel::from_wire(r.body[0]),
                AlertDescription::from_wire(r.body[1]),
            )
        })
        .collect()
}

/// The one fatal plaintext alert a connection wrote, if any.
pub fn plain_alert(conn: &mut ConnectionCommon) -> Option<AlertDescription> {
    one_fatal(plain_alerts(&take_output(conn)))
}

/// A fresh server fed `bytes` from a client: its error and the alert it
/// wrote (plaintext: the server has no keys yet).
pub fn server_verdict(sc: &Arc<ServerConfig>, bytes: &[u8]) -> (Result<(), Error>, Vec<u8>) {
    let mut server = ServerConnection::new(sc.clone()).unwrap();
    let res = deliver(&mut server, bytes);
    (res, take_output(&mut server))
}

/// Runs every case even when some fail, then reports all failures at once
/// (each failing case has printed its own message).
pub fn each_case<T>(
    cases: impl IntoIterator<Item = T>,
    name: impl Fn(&T) -> String,
    run: impl Fn(&T),
) {
    let mut failed = Vec::new();
    for case in cases {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&case)));
        if r.is_err() {
            failed.push(name(&case));
        }
    }
    assert!(
        failed.is_empty(),
        "{} failing cases: {failed:?}",
        failed.len()
    );
}

// ------------------------------------------------- expectations

/// What the side under test must do with the input.
#[derive(Clone, Debug)]
pub enum Want {
    /// Fail with this error and write this one fatal alert.
    Reject(Error, AlertDescription),
    /// Fail with unexpected_message because of a handshake message of this type.
    Unexpected(HandshakeType),
    /// Fail with this error and write nothing (the peer's own alert).
    Silent(Error),
    /// Carry on: (server) answer with a ServerHello / finish the handshake.
    Accept,
    /// (server) Answer with a HelloRetryRequest.
    Retry,
}

pub fn rej(e: impl Into<Error>, a: AlertDescription) -> Want {
    Want::Reject(e.into(), a)
}

pub fn decode(m: InvalidMessage) -> Want {
    Want::Reject(m.into(), AlertDescription::DecodeError)
}

/// Checks a failure: the error and the alerts the failing side wrote.
pub fn check_failure(
    name: &str,
    res: Result<(), Error>,
    alerts: &[(AlertLevel, AlertDescription)],
    want: &Want,
) {
    match want {
        Want::Reject(e, a) => {
            assert_eq!(res.as_ref(), Err(e), "{name}");
            assert_eq!(alerts, [(AlertLevel::Fatal, *a)], "{name}");
        }
        Want::Unexpected(t) => {
            match &res {
                Err(Error::InappropriateHandshakeMessage { got, .. }) if got == t => {}
                other => panic!("{name}: expected unexpected {t}, got {other:?}"),
            }
            assert_eq!(
                alerts,
                [(AlertLevel::Fatal, AlertDescription::UnexpectedMessage)],
                "{name}"
            );
        }
        Want::Silent(e) => {
            assert_eq!(res.as_ref(), Err(e), "{name}");
            assert_eq!(alerts, [], "{name}");
        }
        Want::Accept | Want::Retry => {
            assert_eq!(res, Ok(()), "{name}");
            assert_eq!(alerts, [], "{name}");
        }
    }
}
