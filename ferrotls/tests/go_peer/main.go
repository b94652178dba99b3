// A TLS peer built on Go's crypto/tls, for ferrotls' interop tests
// (ferrotls/tests/interop_go.rs builds it with `go build`; standard
// library only).
//
//	go-peer server -chain chain.pem -key key.pem [-max 1.2|1.3] [-alpn a,b] [-curves P256,...] [-request-cert]
//
// listens on a free loopback port and prints "listening ADDR"; for every
// connection it prints a "conn ..." line once the handshake is done (or
// "failed ERROR"), echoes what it reads until the peer closes, then
// prints "closed ERROR" (ERROR is "EOF" after the peer's close_notify).
// With -request-cert it asks for a client certificate (none is required)
// and says in "certs=N" how many it got.
//
//	go-peer client -connect ADDR -ca ca.pem [-n N] [-max ...] [-alpn ...] [-curves ...]
//
// makes N connections one after another, sharing one session cache (so
// the later ones may resume); each sends "hello I\n", reads the echo,
// then (with -bytes B) sends B pseudo-random bytes while reading them
// back, prints its "conn ..." line and closes with close_notify.
//
// A "conn" line: version=TLSv1.3 suite=TLS_AES_128_GCM_SHA256
// resumed=false alpn=h2 sni=localhost certs=2 (alpn and sni "-" when
// absent; certs: how many certificates the peer sent).
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

var out sync.Mutex

func say(format string, args ...any) {
	out.Lock()
	defer out.Unlock()
	fmt.Printf(format+"\n", args...)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "go-peer: "+format+"\n", args...)
	os.Exit(1)
}

var versions = map[string]uint16{"1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

var curves = map[string]tls.CurveID{
	"X25519": tls.X25519, "P256": tls.CurveP256, "P384": tls.CurveP384, "P521": tls.CurveP521,
}

// config holds the flags both modes share.
type config struct {
	max    string
	alpn   string
	curves string
}

func (c *config) register(fs *flag.FlagSet) {
	fs.StringVar(&c.max, "max", "1.3", "highest version: 1.2 or 1.3")
	fs.StringVar(&c.alpn, "alpn", "", "ALPN protocols, most preferred first, comma-separated")
	fs.StringVar(&c.curves, "curves", "", "groups, most preferred first (X25519,P256,P384,P521); the client sends a key share for the first")
}

func (c *config) apply(t *tls.Config) {
	v, ok := versions[c.max]
	if !ok {
		fail("unknown version %q", c.max)
	}
	t.MinVersion, t.MaxVersion = tls.VersionTLS12, v
	if c.alpn != "" {
		t.NextProtos = strings.Split(c.alpn, ",")
	}
	if c.curves != "" {
		for _, name := range strings.Split(c.curves, ",") {
			id, ok := curves[name]
			if !ok {
				fail("unknown curve %q", name)
			}
			t.CurvePreferences = append(t.CurvePreferences, id)
		}
	}
}

func describe(s tls.ConnectionState) string {
	version := map[uint16]string{tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3"}[s.Version]
	orDash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	return fmt.Sprintf("version=%s suite=%s resumed=%t alpn=%s sni=%s certs=%d", version,
		tls.CipherSuiteName(s.CipherSuite), s.DidResume, orDash(s.NegotiatedProtocol), orDash(s.ServerName),
		len(s.PeerCertificates))
}

func server(args []string) {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	var c config
	c.register(fs)
	chain := fs.String("chain", "", "certificate chain (PEM, leaf first)")
	key := fs.String("key", "", "private key (PEM)")
	requestCert := fs.Bool("request-cert", false, "ask for a client certificate")
	fs.Parse(args)
	cert, err := tls.LoadX509KeyPair(*chain, *key)
	if err != nil {
		fail("loading the certificate: %v", err)
	}
	t := &tls.Config{Certificates: []tls.Certificate{cert}}
	if *requestCert {
		t.ClientAuth = tls.RequestClientCert
	}
	c.apply(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", t)
	if err != nil {
		fail("listen: %v", err)
	}
	say("listening %s", ln.Addr())
	for {
		conn, err := ln.Accept()
		if err != nil {
			fail("accept: %v", err)
		}
		go echo(conn.(*tls.Conn))
	}
}

func echo(conn *tls.Conn) {
	defer conn.Close()
	if err := conn.Handshake(); err != nil {
		say("failed %v", err)
		return
	}
	say("conn %s", describe(conn.ConnectionState()))
	_, err := io.Copy(conn, conn)
	if err == nil {
		err = io.EOF
	}
	say("closed %v", err)
}

func client(args []string) {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	var c config
	c.register(fs)
	addr := fs.String("connect", "", "server address")
	ca := fs.String("ca", "", "trusted root (PEM)")
	n := fs.Int("n", 1, "connections, sharing a session cache")
	bulk := fs.Int("bytes", 0, "bytes to send, and read back, after the first line")
	fs.Parse(args)
	pem, err := os.ReadFile(*ca)
	if err != nil {
		fail("reading the CA: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		fail("no certificate in %s", *ca)
	}
	t := &tls.Config{RootCAs: roots, ServerName: "localhost", ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	c.apply(t)
	for i := 0; i < *n; i++ {
		conn, err := tls.Dial("tcp", *addr, t)
		if err != nil {
			fail("connection %d: %v", i, err)
		}
		line := fmt.Sprintf("hello %d\n", i)
		if _, err := conn.Write([]byte(line)); err != nil {
			fail("connection %d: write: %v", i, err)
		}
		reader := bufio.NewReader(conn)
		got, err := reader.ReadString('\n')
		if err != nil || got != line {
			fail("connection %d: echo %q, %v", i, got, err)
		}
		if err := roundTrip(conn, reader, *bulk); err != nil {
			fail("connection %d: %d bytes: %v", i, *bulk, err)
		}
		say("conn %s", describe(conn.ConnectionState()))
		if err := conn.Close(); err != nil {
			fail("connection %d: close: %v", i, err)
		}
	}
}

// roundTrip writes n bytes to conn while reading them back from r.
func roundTrip(conn *tls.Conn, r io.Reader, n int) error {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*7 + i/251)
	}
	written := make(chan error, 1)
	go func() {
		_, err := conn.Write(data)
		written <- err
	}()
	back := make([]byte, n)
	if _, err := io.ReadFull(r, back); err != nil {
		return err
	}
	if err := <-written; err != nil {
		return err
	}
	if !bytes.Equal(back, data) {
		return fmt.Errorf("the echo differs")
	}
	return nil
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: go-peer server|client [flags]")
	}
	switch os.Args[1] {
	case "server":
		server(os.Args[2:])
	case "client":
		client(os.Args[2:])
	default:
		fail("unknown mode %q", os.Args[1])
	}
}
