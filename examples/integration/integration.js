// A minimal outreach webhook integration, written with the Standard
// Webhooks library (npm: standardwebhooks): it verifies each action outreach
// sends, answers it, and sends outreach the platform's answer to each
// invitation as a signed event. Replace the "platform" comments with the
// calls to your platform.
//
//   OUTREACH_WEBHOOK_SECRET  the whsec_ secret outreach has (one of them
//                            while outreach holds two during a rotation)
//   OUTREACH_EVENTS_URL      the scheduler's events endpoint, such as
//                            http://127.0.0.1:8081/v1/events
//   HOST, PORT               where to listen (127.0.0.1:8380; PORT=0: any)
//
// Run: npm ci && node integration.js
"use strict";

const http = require("node:http");
const crypto = require("node:crypto");
const { Webhook } = require("standardwebhooks");

const wh = new Webhook(process.env.OUTREACH_WEBHOOK_SECRET || "");
const eventsURL = process.env.OUTREACH_EVENTS_URL || "http://127.0.0.1:8081/v1/events";

const answers = new Map(); // action key -> [status, body]: a key seen before is answered alike
const seenIDs = new Map(); // webhook-id -> expiry (ms): a request sent again is refused

function reply(res, status, body) {
  res.writeHead(status, body ? { "Content-Type": "application/json" } : {});
  res.end(body ? JSON.stringify(body) : undefined);
}

// sendEvent POSTs one event (accepted, declined, expired or replied) to outreach,
// signed with a fresh webhook-id, and returns the HTTP status and body.
async function sendEvent(event, { url = eventsURL, webhook = wh } = {}) {
  const id = "evt_" + crypto.randomUUID();
  const payload = JSON.stringify({ ...event, at: event.at || new Date().toISOString() });
  const now = new Date();
  const resp = await fetch(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": webhook.sign(id, now, payload),
    },
    body: payload,
  });
  return { status: resp.status, body: await resp.text() };
}

async function handleAction(req, res, op) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = Buffer.concat(chunks).toString("utf8");
  let action;
  try {
    action = wh.verify(body, req.headers); // signature (any of several) and 5-minute timestamp
  } catch (err) {
    console.log(`refused ${op}: ${err.message}`);
    return reply(res, 401, { code: "invalid", message: err.message });
  }
  const id = req.headers["webhook-id"];
  const now = Date.now();
  for (const [k, until] of seenIDs) if (until < now) seenIDs.delete(k);
  if (seenIDs.has(id)) {
    console.log(`refused ${op}: webhook-id seen before`);
    return reply(res, 401, { code: "invalid", message: "replayed" });
  }
  seenIDs.set(id, now + 10 * 60 * 1000);

  const known = answers.get(action.key);
  if (known) {
    console.log(`action ${op} ${action.key} repeated`);
    return reply(res, ...known);
  }
  // The platform: follow, invite (with action.note), withdraw or message
  // (action.text) for action.account, to action.person. Refuse with
  // reply(res, 409, {code: "weekly_limit", message: "..."}) and the like.
  answers.set(action.key, [204]);
  console.log(`action ${op} ${action.key} done`);
  reply(res, 204);

  if (op === "invite") {
    // The platform: the person accepts (here at once).
    const ev = { type: "accepted", account: action.account, person: action.person, key: action.key };
    try {
      const r = await sendEvent(ev);
      console.log(`event accepted ${action.key}: HTTP ${r.status}`);
    } catch (err) {
      console.log(`event accepted ${action.key}: ${err.message}`);
    }
  }
}

function serve() {
  const server = http.createServer((req, res) => {
    const m = /^\/v1\/actions\/(follow|invite|withdraw|message)$/.exec(req.url);
    if (req.method !== "POST" || !m) return reply(res, 404, { code: "invalid", message: "no such route" });
    handleAction(req, res, m[1]).catch((err) => {
      console.log(`error: ${err.message}`);
      if (!res.headersSent) reply(res, 500, { code: "invalid", message: "internal error" });
    });
  });
  server.listen(Number(process.env.PORT || 8380), process.env.HOST || "127.0.0.1", () => {
    const a = server.address();
    console.log(`listening on http://${a.address}:${a.port}`);
  });
  return server;
}

module.exports = { sendEvent };

if (require.main === module) serve();
