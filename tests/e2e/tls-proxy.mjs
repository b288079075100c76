// A TLS-terminating proxy in front of the test PostgreSQL, with a certificate of the test's
// choosing: what the app sees when a server's certificate changes (renewed, or someone in
// the middle). It answers PostgreSQL's SSLRequest itself and forwards the decrypted bytes
// to the server over plain TCP.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";

const SSL_REQUEST = 80877103;

/** A fresh self-signed certificate: { key, cert, fingerprint } (SHA-256, as openssl prints it). */
export function makeCertificate(name) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "dbhive-e2e-cert-"));
  const key = path.join(dir, "key.pem");
  const cert = path.join(dir, "cert.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-keyout", key, "-out", cert], {
    stdio: "ignore",
  });
  const printed = execFileSync("openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-in", cert], { encoding: "utf8" });
  return { key: readFileSync(key), cert: readFileSync(cert), fingerprint: printed.trim().split("=").pop() };
}

/** Starts the proxy on `port` (0: any free one); resolves to { port, close() }. */
export function startTlsProxy({ port = 0, upstreamHost, upstreamPort, certificate }) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    client.once("data", (first) => {
      client.pause();
      const upstream = net.connect(upstreamPort, upstreamHost);
      sockets.add(upstream);
      upstream.on("close", () => sockets.delete(upstream));
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      upstream.on("error", end);
      if (first.length >= 8 && first.readInt32BE(4) === SSL_REQUEST) {
        client.write("S");
        const secure = new tls.TLSSocket(client, { isServer: true, key: certificate.key, cert: certificate.cert });
        secure.on("error", end);
        secure.pipe(upstream).pipe(secure);
      } else {
        upstream.write(first);
        client.pipe(upstream).pipe(client);
        client.resume();
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      resolve({
        port: server.address().port,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
