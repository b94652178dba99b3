//! The measurements: one thread, a client and a server joined by an
//! in-memory buffer, each side's calls timed into its own meter.

use std::io;

use crate::alloc;
use crate::measure::{Clock, Meter};
use crate::tls::{check_kind, Conn, Kind, Shape, TlsImpl};

/// The buffer between the two sides (as rustls-bench: 256 KiB).
pub const TRANSFER_BUF: usize = 256 * 1024;

/// How a receiver takes its plaintext.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Take {
    /// `reader().read()`, this many bytes at a time (rustls-bench: 16 KiB).
    Read(usize),
    /// `reader().fill_buf()` and `consume()`: seen where it lies, no copy.
    FillBuf,
}

/// Where received plaintext goes in bulk and memory runs.
pub struct Sink {
    take: Take,
    /// What `Take::Read` copies into.
    buf: Vec<u8>,
    pub received: u64,
}

impl Sink {
    pub fn new(take: Take) -> Self {
        let buf = match take {
            Take::Read(size) => vec![0; size.max(1)],
            Take::FillBuf => Vec::new(),
        };
        Self {
            take,
            buf,
            received: 0,
        }
    }
}

impl Default for Sink {
    /// 16 KiB reads, as rustls-bench.
    fn default() -> Self {
        Self::new(Take::Read(16 * 1024))
    }
}

/// Moves everything `from` has queued into `to`, until `from` has nothing
/// more to say. `from`'s `write_tls` calls count against `m_from`; `to`'s
/// `read_tls`, `process_new_packets` and (with a sink) plaintext reads
/// count against `m_to`. Returns the TLS bytes moved.
#[allow(clippy::too_many_arguments)]
pub fn pump<A: Conn, B: Conn>(
    from: &mut A,
    to: &mut B,
    buf: &mut [u8],
    clock: Clock,
    m_from: &mut Meter,
    m_to: &mut Meter,
    mut sink: Option<&mut Sink>,
) -> Result<usize, String> {
    let mut moved = 0;
    loop {
        let len = m_from.measure(clock, || -> Result<usize, String> {
            let mut len = 0;
            while len < buf.len() && from.wants_write() {
                let mut out: &mut [u8] = &mut buf[len..];
                match from.write_tls(&mut out) {
                    Ok(0) => break,
                    Ok(n) => len += n,
                    Err(e) => return Err(format!("write_tls: {e}")),
                }
            }
            Ok(len)
        })?;
        if len == 0 {
            return Ok(moved);
        }
        moved += len;
        m_to.measure(clock, || -> Result<(), String> {
            let mut off = 0;
            while off < len {
                let mut input: &[u8] = &buf[off..len];
                match to.read_tls(&mut input) {
                    Ok(0) => return Err("read_tls took nothing".into()),
                    Ok(n) => off += n,
                    Err(e) => return Err(format!("read_tls: {e}")),
                }
                to.process_new_packets()?;
                if let Some(sink) = sink.as_deref_mut() {
                    drain(to, sink)?;
                }
            }
            Ok(())
        })?;
    }
}

/// Reads (and discards) all buffered plaintext.
fn drain<C: Conn>(conn: &mut C, sink: &mut Sink) -> Result<(), String> {
    loop {
        let taken = match sink.take {
            Take::Read(_) => conn.read_plaintext(&mut sink.buf),
            Take::FillBuf => conn.consume_plaintext(),
        };
        match taken {
            Ok(0) => return Ok(()),
            Ok(n) => sink.received += n as u64,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(format!("reading plaintext: {e}")),
        }
    }
}

/// Runs a handshake to completion (both sides idle).
pub fn drive_handshake<C: Conn, S: Conn>(
    client: &mut C,
    server: &mut S,
    buf: &mut [u8],
    clock: Clock,
    mc: &mut Meter,
    ms: &mut Meter,
) -> Result<(), String> {
    for _ in 0..16 {
        let a = pump(client, server, buf, clock, mc, ms, None)?;
        let b = pump(server, client, buf, clock, ms, mc, None)?;
        if a == 0 && b == 0 {
            break;
        }
    }
    if client.is_handshaking() || server.is_handshaking() {
        return Err("the handshake did not complete".into());
    }
    Ok(())
}

/// Configurations for one implementation and one scenario.
pub struct Configs<I: TlsImpl> {
    pub client: I::ClientConfig,
    pub server: I::ServerConfig,
}

/// One handshake on fresh connections: each side's meter gets the time in
/// its constructor and its calls. Returns what both sides report.
pub fn handshake_round<I: TlsImpl>(
    cfg: &Configs<I>,
    buf: &mut [u8],
    clock: Clock,
    mc: &mut Meter,
    ms: &mut Meter,
) -> Result<(Kind, Kind), String> {
    let mut client = mc.measure(clock, || I::new_client(&cfg.client))?;
    let mut server = ms.measure(clock, || I::new_server(&cfg.server))?;
    drive_handshake(&mut client, &mut server, buf, clock, mc, ms)?;
    Ok((client.kind(), server.kind()))
}

/// Totals for a batch of handshakes of the expected kind.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HandshakeTotals {
    pub rounds: u64,
    pub client: Meter,
    pub server: Meter,
}

impl HandshakeTotals {
    pub fn add(&mut self, other: &Self) {
        self.rounds += other.rounds;
        self.client.add(&other.client);
        self.server.add(&other.server);
    }
}

/// Runs handshakes until `rounds` of them had the `expected` kind on both
/// sides; the others (say, a full handshake that refills a ticket cache)
/// are not counted. Gives up — with the reason — when the expected kind
/// does not show up.
pub fn bench_handshakes<I: TlsImpl>(
    cfg: &Configs<I>,
    expected: &Kind,
    rounds: u64,
    clock: Clock,
) -> Result<HandshakeTotals, String> {
    let mut buf = vec![0u8; TRANSFER_BUF];
    let mut totals = HandshakeTotals::default();
    let mut misses = 0u64;
    while totals.rounds < rounds {
        let (mut mc, mut ms) = (Meter::default(), Meter::default());
        let (ck, sk) = handshake_round(cfg, &mut buf, clock, &mut mc, &mut ms)?;
        match check_kind(expected, &ck, &sk) {
            Ok(()) => {
                totals.rounds += 1;
                totals.client.add(&mc);
                totals.server.add(&ms);
            }
            Err(why) => {
                misses += 1;
                if (totals.rounds == 0 && misses >= 16) || misses > rounds + 16 {
                    return Err(not_achieved(expected, &ck, &sk, why));
                }
            }
        }
    }
    Ok(totals)
}

fn not_achieved(expected: &Kind, client: &Kind, server: &Kind, why: String) -> String {
    let full = |k: &Kind| k.shape != Shape::Resumed;
    if expected.shape == Shape::Resumed && full(client) && full(server) {
        "not implemented: never resumed".into()
    } else {
        why
    }
}

/// Bulk totals: the sender's and the receiver's meters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BulkTotals {
    pub bytes: u64,
    /// The sender's `writer()` calls (rustls-bench's send time).
    pub send: Meter,
    /// The sender's `write_tls` calls, which rustls-bench leaves out.
    pub send_tls: Meter,
    pub recv: Meter,
}

impl BulkTotals {
    pub fn add(&mut self, other: &Self) {
        self.bytes += other.bytes;
        self.send.add(&other.send);
        self.send_tls.add(&other.send_tls);
        self.recv.add(&other.recv);
    }
}

/// After an untimed handshake of the expected kind, the server sends
/// `writes` × `write_size` bytes to the client. Send time is the server's
/// `writer()` calls, as rustls-bench counts it; its `write_tls` calls
/// (copying the records out) are timed apart. Receive time is the
/// client's `read_tls`, `process_new_packets` and `reader()` calls.
pub fn bench_bulk<I: TlsImpl>(
    cfg: &Configs<I>,
    expected: &Kind,
    write_size: usize,
    take: Take,
    writes: u64,
    clock: Clock,
) -> Result<BulkTotals, String> {
    let mut buf = vec![0u8; TRANSFER_BUF];
    let (mut mc, mut ms) = (Meter::default(), Meter::default());
    let mut client = I::new_client(&cfg.client)?;
    let mut server = I::new_server(&cfg.server)?;
    drive_handshake(&mut client, &mut server, &mut buf, clock, &mut mc, &mut ms)?;
    check_kind(expected, &client.kind(), &server.kind())?;
    server.unlimit_buffers();

    let data = vec![0u8; write_size];
    let mut sink = Sink::new(take);
    // One untimed write first: caches, buffers and allocator warmed.
    let mut warm = BulkTotals::default();
    server
        .write_plaintext(&data)
        .map_err(|e| format!("write: {e}"))?;
    pump(
        &mut server,
        &mut client,
        &mut buf,
        clock,
        &mut warm.send,
        &mut warm.recv,
        Some(&mut sink),
    )?;
    sink.received = 0;
    let mut totals = BulkTotals::default();
    for _ in 0..writes {
        bulk_write(&mut server, &data, clock, &mut totals.send)?;
        loop {
            let len = bulk_send_tls(&mut server, &mut buf, clock, &mut totals.send_tls)?;
            if len == 0 {
                break;
            }
            bulk_recv(&mut client, &buf[..len], clock, &mut totals.recv, &mut sink)?;
        }
        totals.bytes += write_size as u64;
    }
    if sink.received != totals.bytes {
        return Err(format!(
            "sent {} bytes but {} arrived",
            totals.bytes, sink.received
        ));
    }
    Ok(totals)
}

// The three steps of a bulk round, each in its own never-inlined function
// so a profiler can tell the sender's work from the receiver's (for
// ferrotls the client's and server's trait methods compile to identical
// code, which LLVM merges under one name).

/// The sender's `writer()` call.
#[inline(never)]
fn bulk_write<S: Conn>(
    sender: &mut S,
    data: &[u8],
    clock: Clock,
    meter: &mut Meter,
) -> Result<(), String> {
    meter
        .measure(clock, || sender.write_plaintext(data))
        .map_err(|e| format!("write: {e}"))
}

/// The sender's `write_tls` calls, filling `buf`; returns the bytes written.
#[inline(never)]
fn bulk_send_tls<S: Conn>(
    sender: &mut S,
    buf: &mut [u8],
    clock: Clock,
    meter: &mut Meter,
) -> Result<usize, String> {
    meter.measure(clock, || {
        let mut len = 0;
        while len < buf.len() && sender.wants_write() {
            let mut out: &mut [u8] = &mut buf[len..];
            match sender.write_tls(&mut out) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) => return Err(format!("write_tls: {e}")),
            }
        }
        Ok(len)
    })
}

/// The receiver's `read_tls`, `process_new_packets` and `reader()` calls
/// for the bytes in `input`.
#[inline(never)]
fn bulk_recv<R: Conn>(
    receiver: &mut R,
    input: &[u8],
    clock: Clock,
    meter: &mut Meter,
    sink: &mut Sink,
) -> Result<(), String> {
    meter.measure(clock, || {
        let mut off = 0;
        while off < input.len() {
            let mut rd: &[u8] = &input[off..];
            match receiver.read_tls(&mut rd) {
                Ok(0) => return Err("read_tls took nothing".into()),
                Ok(n) => off += n,
                Err(e) => return Err(format!("read_tls: {e}")),
            }
            receiver.process_new_packets()?;
            drain(receiver, sink)?;
        }
        Ok(())
    })
}

/// Heap use of `pairs` idle connection pairs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MemoryTotals {
    pub pairs: u64,
    /// Heap bytes held by all clients / all servers once idle.
    pub client_bytes: i64,
    pub server_bytes: i64,
    /// The most heap in use (above the starting point) at any moment.
    pub peak_bytes: i64,
    /// The same idle totals as malloc sees them (glibc's `mallinfo2`):
    /// this includes what aws-lc allocates in C (AEAD contexts, for one),
    /// which the Rust global allocator never sees, and malloc's own
    /// per-block overhead. `None` where `mallinfo2` is not available.
    pub malloc_client_bytes: Option<i64>,
    pub malloc_server_bytes: Option<i64>,
}

/// Bytes in use according to malloc itself (glibc only).
pub fn malloc_in_use() -> Option<i64> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 only reads the allocator's statistics.
        let mi = unsafe { libc::mallinfo2() };
        Some((mi.uordblks + mi.hblkhd) as i64)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        None
    }
}

/// Like rustls-bench's memory test: `pairs` clients and servers, created
/// together and moved through the handshake in lock-step; each client
/// then sends 1 KiB, which its server reads. Measured with the counting
/// allocator; each connection is boxed so its own struct counts too.
pub fn bench_memory<I: TlsImpl>(
    cfg: &Configs<I>,
    expected: &Kind,
    pairs: usize,
) -> Result<MemoryTotals, String> {
    let clock = Clock::Wall;
    if alloc::stats().is_none() {
        return Err("needs the counting global allocator (run the ferrotls-bench binary)".into());
    }
    let mut buf = vec![0u8; TRANSFER_BUF];
    let mut sink = Sink::default();
    let (mut mc, mut ms) = (Meter::default(), Meter::default());
    let mut clients: Vec<Box<I::Client>> = Vec::with_capacity(pairs);
    let mut servers: Vec<Box<I::Server>> = Vec::with_capacity(pairs);
    let payload = [0u8; 1024];
    let current = || alloc::stats().map_or(0, |s| s.current);

    let base = current();
    let malloc_base = malloc_in_use();
    alloc::reset_peak();
    for _ in 0..pairs {
        clients.push(Box::new(I::new_client(&cfg.client)?));
        servers.push(Box::new(I::new_server(&cfg.server)?));
    }
    for _ in 0..16 {
        let mut busy = false;
        for (c, s) in clients.iter_mut().zip(servers.iter_mut()) {
            let a = pump(&mut **c, &mut **s, &mut buf, clock, &mut mc, &mut ms, None)?;
            let b = pump(&mut **s, &mut **c, &mut buf, clock, &mut ms, &mut mc, None)?;
            busy |= a + b > 0;
        }
        if !busy {
            break;
        }
    }
    for (c, s) in clients.iter().zip(servers.iter()) {
        if c.is_handshaking() || s.is_handshaking() {
            return Err("a handshake did not complete".into());
        }
        check_kind(expected, &c.kind(), &s.kind())?;
    }
    for c in clients.iter_mut() {
        c.write_plaintext(&payload)
            .map_err(|e| format!("write: {e}"))?;
    }
    for (c, s) in clients.iter_mut().zip(servers.iter_mut()) {
        pump(
            &mut **c,
            &mut **s,
            &mut buf,
            clock,
            &mut mc,
            &mut ms,
            Some(&mut sink),
        )?;
    }
    if sink.received != (pairs * payload.len()) as u64 {
        return Err("not every server received its 1 KiB".into());
    }
    let idle = current() - base;
    let malloc_idle = malloc_in_use();
    let peak = alloc::stats().map_or(0, |s| s.peak) - base;
    drop(servers);
    let clients_only = current() - base;
    let malloc_clients = malloc_in_use();
    drop(clients);
    let (malloc_client_bytes, malloc_server_bytes) =
        match (malloc_base, malloc_idle, malloc_clients) {
            (Some(b), Some(i), Some(c)) => (Some(c - b), Some(i - c)),
            _ => (None, None),
        };
    Ok(MemoryTotals {
        pairs: pairs as u64,
        client_bytes: clients_only,
        server_bytes: idle - clients_only,
        peak_bytes: peak,
        malloc_client_bytes,
        malloc_server_bytes,
    })
}

/// Raw AEAD speed with aws-lc-rs on 16 KiB records: the limit for bulk.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RawAeadTotals {
    pub bytes: u64,
    pub seal: Meter,
    pub open: Meter,
}

impl RawAeadTotals {
    pub fn add(&mut self, other: &Self) {
        self.bytes += other.bytes;
        self.seal.add(&other.seal);
        self.open.add(&other.open);
    }

    /// Seal and open speeds, MB/s (None before any bytes were measured).
    pub fn speeds(&self, mb: f64) -> Option<(f64, f64)> {
        let mbs = self.bytes as f64 / mb;
        (self.bytes > 0 && self.seal.secs > 0.0 && self.open.secs > 0.0)
            .then(|| (mbs / self.seal.secs, mbs / self.open.secs))
    }
}

pub const RAW_RECORD: usize = 16 * 1024;

pub fn bench_raw_aead(
    alg: &'static aws_lc_rs::aead::Algorithm,
    bytes: u64,
    clock: Clock,
) -> Result<RawAeadTotals, String> {
    use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey};
    let key = vec![0x42u8; alg.key_len()];
    let key = LessSafeKey::new(UnboundKey::new(alg, &key).map_err(|e| e.to_string())?);
    let nonce = |i: u64| {
        let mut n = [0u8; 12];
        n[4..].copy_from_slice(&i.to_be_bytes());
        Nonce::assume_unique_for_key(n)
    };
    let aad = [23u8, 3, 3, 0x40, 0x11];
    let records = bytes.div_ceil(RAW_RECORD as u64).max(1);
    let mut record = vec![0u8; RAW_RECORD];
    let mut totals = RawAeadTotals {
        bytes: records * RAW_RECORD as u64,
        ..Default::default()
    };

    let mut last_tag = None;
    totals.seal.measure(clock, || -> Result<(), String> {
        for i in 0..records {
            let tag = key
                .seal_in_place_separate_tag(nonce(i), Aad::from(aad), &mut record)
                .map_err(|e| e.to_string())?;
            last_tag = Some(tag);
        }
        Ok(())
    })?;
    let tag = last_tag.ok_or("no record sealed")?;

    // Opening the same record over and over: into a second buffer, so the
    // ciphertext stays intact without a copy per round.
    let mut out = vec![0u8; RAW_RECORD];
    totals.open.measure(clock, || -> Result<(), String> {
        for _ in 0..records {
            key.open_separate_gather(
                nonce(records - 1),
                Aad::from(aad),
                &record,
                tag.as_ref(),
                &mut out,
            )
            .map_err(|e| e.to_string())?;
        }
        Ok(())
    })?;
    Ok(totals)
}
