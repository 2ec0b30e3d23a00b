// Node peer of the interoperability tests: a JWT verifier built on the npm
// package `jose`.
//
// Usage: node verify.mjs INSTALL_DIR, where INSTALL_DIR holds the
// node_modules that `npm ci` made from this folder's package-lock.json. It
// listens on a free loopback port, prints "listening PORT" on stdout, and
// exits when its standard input closes.
//
// POST /verify {"cases": [{"token", "key", "expect"}]} -> {"results"}, where
// key is a SubjectPublicKeyInfo PEM or an HMAC secret.

import { createServer } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";

const jose = createRequire(join(process.argv[2], "package.json"))("jose");
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** Imports the key of one case for the algorithm it expects. */
async function importKey(key, alg) {
  if (alg.startsWith("HS")) {
    return new TextEncoder().encode(key);
  }
  return jose.importSPKI(key, alg);
}

/** Verifies one token; returns null when it passes, else the reason. */
async function verify({ token, key, expect }) {
  const segments = token.split(".");
  if (segments.length !== 3 || !segments.every((s) => SEGMENT.test(s))) {
    return "a segment is not unpadded base64url";
  }
  const { payload, protectedHeader } = await jose.jwtVerify(token, await importKey(key, expect.alg), {
    algorithms: [expect.alg],
    issuer: expect.iss,
    audience: expect.aud,
    subject: expect.sub,
    typ: expect.typ,
    requiredClaims: ["iat", "exp", "jti"],
  });
  return checkHeader(protectedHeader, expect) ?? checkClaims(payload, expect);
}

/** Checks alg, typ and kid, including that absent ones stay absent. */
function checkHeader(header, expect) {
  for (const name of ["alg", "typ", "kid"]) {
    if (header[name] !== expect[name]) {
      return `header ${name} is ${header[name]}, expected ${expect[name]}`;
    }
  }
  return null;
}

/** Checks the claim values that jwtVerify leaves to the caller. */
function checkClaims(payload, expect) {
  for (const name of ["iat", "exp", "nbf"]) {
    if (name in payload && !Number.isInteger(payload[name])) {
      return `${name} is ${JSON.stringify(payload[name])}, not an integer`;
    }
  }
  if (payload.exp - payload.iat !== expect.lifetime) {
    return `exp - iat is ${payload.exp - payload.iat}, expected ${expect.lifetime}`;
  }
  if (expect.sub === undefined && payload.sub !== undefined) {
    return `sub is ${payload.sub}, expected none`;
  }
  if (typeof payload.jti !== "string" || payload.jti === "") {
    return "jti is empty or not a string";
  }
  return null;
}

/** Verifies every case, turning each failure into its reason. */
async function verifyAll(cases) {
  const results = [];
  for (const item of cases) {
    let error;
    try {
      error = await verify(item);
    } catch (e) {
      error = `${e.code ?? e.name}: ${e.message}`;
    }
    results.push({ ok: error === null, error });
  }
  return { results };
}

const server = createServer(async (request, response) => {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  let status = 404;
  let body = { error: "not found" };
  if (request.method === "POST" && request.url === "/verify") {
    status = 200;
    body = await verifyAll(JSON.parse(Buffer.concat(chunks).toString()).cases);
  }
  const data = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) });
  response.end(data);
});

server.listen(0, "127.0.0.1", () => {
  console.log(`listening ${server.address().port}`);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
