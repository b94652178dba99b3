// A TLS peer built on Java's JSSE, for ferrotls' interop tests
// (ferrotls/tests/interop_java.rs compiles it with `javac`; JDK only).
//
//   JavaPeer server CHAIN.pem KEY.pem [options]
//
// listens on a free loopback port and prints "listening ADDR"; for every
// connection it prints a "conn ..." line once the handshake is done (or
// "failed ERROR"), echoes what it reads until the peer closes, then
// prints "closed EOF" (after the peer's close_notify) or "closed ERROR".
//
//   JavaPeer client ADDR CA.pem [options]
//
// makes the connections one after another with one SSLContext (so later
// ones may resume); each sends "hello I\n", reads the echo, prints its
// "conn ..." line and closes with close_notify.
//
// Options: -max 1.2|1.3, -alpn a,b (most preferred first), -n N (client:
// connections), -request-cert (server: ask for a client certificate),
// -key-update (client: after the echo, start a KeyUpdate and echo again).
// Groups are JSSE's system property: -Djdk.tls.namedGroups=...
//
// A "conn" line: version=TLSv1.3 suite=TLS_AES_128_GCM_SHA256 alpn=h2
// sni=localhost certs=2 (alpn and sni "-" when absent; certs: how many
// certificates the peer sent).

import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.*;
import javax.net.ssl.*;

public class JavaPeer {
    static final char[] PASSWORD = "peer".toCharArray();

    static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    static void fail(String what) {
        System.err.println("java-peer: " + what);
        System.exit(1);
    }

    static Map<String, String> options(String[] args, int from) {
        Map<String, String> opts = new HashMap<>();
        for (int i = from; i < args.length; i++) {
            String name = args[i];
            boolean flag = name.equals("-request-cert") || name.equals("-key-update");
            opts.put(name, flag ? "yes" : args[++i]);
        }
        return opts;
    }

    static List<X509Certificate> certificates(String pem) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<X509Certificate> out = new ArrayList<>();
        try (InputStream in = new FileInputStream(pem)) {
            for (java.security.cert.Certificate c : cf.generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
        }
        return out;
    }

    static PrivateKey privateKey(String pem) throws Exception {
        String text = Files.readString(Path.of(pem), StandardCharsets.US_ASCII);
        if (!text.contains("BEGIN PRIVATE KEY")) {
            fail("the key must be PKCS#8 (BEGIN PRIVATE KEY)");
        }
        String b64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64));
        for (String alg : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(spec);
            } catch (Exception notThisOne) {
            }
        }
        fail("cannot read the key in " + pem);
        return null;
    }

    static void apply(SSLParameters p, Map<String, String> opts) {
        p.setProtocols("1.2".equals(opts.get("-max"))
                ? new String[] {"TLSv1.2"}
                : new String[] {"TLSv1.3", "TLSv1.2"});
        if (opts.containsKey("-alpn")) {
            p.setApplicationProtocols(opts.get("-alpn").split(","));
        }
    }

    static String describe(SSLSocket s) {
        SSLSession session = s.getSession();
        String alpn = s.getApplicationProtocol();
        String sni = "-";
        if (session instanceof ExtendedSSLSession) {
            for (SNIServerName n : ((ExtendedSSLSession) session).getRequestedServerNames()) {
                if (n instanceof SNIHostName) {
                    sni = ((SNIHostName) n).getAsciiName();
                }
            }
        }
        int certs;
        try {
            certs = session.getPeerCertificates().length;
        } catch (SSLPeerUnverifiedException none) {
            certs = 0;
        }
        return "version=" + session.getProtocol() + " suite=" + session.getCipherSuite()
                + " alpn=" + (alpn == null || alpn.isEmpty() ? "-" : alpn)
                + " sni=" + sni + " certs=" + certs;
    }

    static void server(String[] args) throws Exception {
        Map<String, String> opts = options(args, 3);
        List<X509Certificate> chain = certificates(args[1]);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("peer", privateKey(args[2]), PASSWORD, chain.toArray(new X509Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        SSLServerSocket listener = (SSLServerSocket) ctx.getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        SSLParameters p = listener.getSSLParameters();
        apply(p, opts);
        if (opts.containsKey("-request-cert")) {
            p.setWantClientAuth(true);
        }
        listener.setSSLParameters(p);
        say("listening 127.0.0.1:" + listener.getLocalPort());
        while (true) {
            SSLSocket s = (SSLSocket) listener.accept();
            new Thread(() -> echo(s)).start();
        }
    }

    static void echo(SSLSocket s) {
        try (s) {
            try {
                s.startHandshake();
            } catch (IOException e) {
                say("failed " + e);
                return;
            }
            say("conn " + describe(s));
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[16384];
            String end = "EOF";
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                end = e.toString();
            }
            say("closed " + end);
        } catch (IOException e) {
            say("closed " + e);
        }
    }

    static void client(String[] args) throws Exception {
        Map<String, String> opts = options(args, 3);
        String[] hostPort = args[1].split(":");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", certificates(args[2]).get(0));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        int connections = Integer.parseInt(opts.getOrDefault("-n", "1"));
        for (int i = 0; i < connections; i++) {
            Socket tcp = new Socket(hostPort[0], Integer.parseInt(hostPort[1]));
            tcp.setSoTimeout(15000);
            SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(tcp, "localhost", tcp.getPort(), true);
            SSLParameters p = s.getSSLParameters();
            apply(p, opts);
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(List.of(new SNIHostName("localhost")));
            s.setSSLParameters(p);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            String line = "hello " + i;
            out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            if (!line.equals(in.readLine())) {
                fail("connection " + i + ": no echo");
            }
            if (opts.containsKey("-key-update")) {
                // JSSE: a handshake asked for after a TLS 1.3 one is a KeyUpdate.
                s.startHandshake();
                out.write("after update\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                if (!"after update".equals(in.readLine())) {
                    fail("connection " + i + ": no echo after the key update");
                }
            }
            say("conn " + describe(s));
            s.close();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            fail("usage: JavaPeer server CHAIN KEY [options] | client ADDR CA [options]");
        }
        try {
            if (args[0].equals("server")) {
                server(args);
            } else {
                client(args);
            }
        } catch (Exception e) {
            fail(e.toString());
        }
    }
}
