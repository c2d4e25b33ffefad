// Sends one event to outreach, signed with the Standard Webhooks library:
//
//   node send-event.js TYPE ACCOUNT PERSON KEY
//
// TYPE is accepted, declined, expired or replied; KEY the invitation's key. The
// secret and the address come from OUTREACH_WEBHOOK_SECRET and
// OUTREACH_EVENTS_URL, as for integration.js. Prints the answer; exits 0 on
// 2xx, 1 otherwise.
"use strict";

const { sendEvent } = require("./integration");

const [type, account, person, key] = process.argv.slice(2);
if (!key) {
  console.error("usage: node send-event.js TYPE ACCOUNT PERSON KEY");
  process.exit(2);
}
sendEvent({ type, account, person, key }).then(
  (r) => {
    console.log(`HTTP ${r.status} ${r.body}`.trim());
    process.exit(r.status >= 200 && r.status < 300 ? 0 : 1);
  },
  (err) => {
    console.error(err.message);
    process.exit(1);
  },
);
