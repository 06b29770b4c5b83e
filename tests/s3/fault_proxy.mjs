// A loopback HTTP proxy in front of the test gateway that fails requests on cue, for tests/s3/s3_faults.sh.
//   node fault_proxy.mjs UPSTREAM_URL PORT_FILE
// Listens on 127.0.0.1 (a free port, written to PORT_FILE) and forwards every request unchanged (the Host
// header too, so SigV4 signatures still match) to UPSTREAM_URL (http://127.0.0.1:PORT). A control request
//   GET /__fault?mode=MODE&n=N[&match=SUBSTRING][&ms=DELAY]
// arms a fault for the next N requests whose method+path contains SUBSTRING (default: every request):
//   503 / 500  answer with that status and an S3 error body (SlowDown / InternalError), not forwarded
//   412        answer 412 PreconditionFailed, not forwarded (a conditional PUT that lost)
//   reset      close the connection without an answer
//   delay      forward after MS milliseconds
//   off        disarm
// GET /__fault/stats answers "forwarded=A faulted=B". Only loopback addresses are used.
import http from "node:http";
import fs from "node:fs";

const [upstream, portFile] = process.argv.slice(2);
if (!upstream || !portFile) throw new Error("usage: node fault_proxy.mjs UPSTREAM_URL PORT_FILE");
const up = new URL(upstream);
if (up.hostname !== "127.0.0.1") throw new Error("the upstream must be on 127.0.0.1");
const agent = new http.Agent({ keepAlive: true });

let fault = { mode: "off", n: 0, match: "", ms: 0 };
let forwarded = 0, faulted = 0;

const s3Error = (code, message) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;

function control(req, res) {
  const u = new URL(req.url, "http://127.0.0.1");
  if (u.pathname === "/__fault/stats") {
    res.end(`forwarded=${forwarded} faulted=${faulted}\n`);
    return;
  }
  fault = {
    mode: u.searchParams.get("mode") || "off",
    n: Number(u.searchParams.get("n") || 0),
    match: u.searchParams.get("match") || "",
    ms: Number(u.searchParams.get("ms") || 0),
  };
  res.end(`armed ${fault.mode} x${fault.n}\n`);
}

function forward(req, res, body) {
  forwarded++;
  const p = http.request(
    { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers, agent },
    (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    },
  );
  p.on("error", () => res.destroy());
  p.end(body);
}

function answer(res, status, code, message) {
  faulted++;
  const body = s3Error(code, message);
  res.writeHead(status, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith("/__fault")) return control(req, res);
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const hit = fault.mode !== "off" && fault.n > 0 && `${req.method} ${req.url}`.includes(fault.match);
    if (!hit) return forward(req, res, body);
    fault.n--;
    switch (fault.mode) {
      case "503": return answer(res, 503, "SlowDown", "Please reduce your request rate (fault proxy)");
      case "500": return answer(res, 500, "InternalError", "We encountered an internal error (fault proxy)");
      case "412": return answer(res, 412, "PreconditionFailed", "At least one of the pre-conditions failed (fault proxy)");
      case "reset":
        faulted++;
        return req.socket.destroy();
      case "delay":
        faulted++;
        return setTimeout(() => forward(req, res, body), fault.ms);
      default:
        return forward(req, res, body);
    }
  });
});
server.keepAliveTimeout = 30000;
server.listen(0, "127.0.0.1", () => fs.writeFileSync(portFile, `${server.address().port}\n`));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
