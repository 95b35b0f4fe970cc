// Subscribes to newBlocks with the graphql-ws client and prints each
// block's height as a JSON line; exits after N blocks. Usage:
// node ws-client.mjs ws://HOST/graphql N
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, n] = [process.argv[2], Number(process.argv[3] || 1)];
const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
let seen = 0;
const timer = setTimeout(() => { console.error('timed out'); process.exit(2); }, 60000);
await new Promise((resolve, reject) => {
  client.subscribe({ query: 'subscription { newBlocks { height hash transactionCount } }' }, {
    next: (r) => {
      if (r.errors) { reject(new Error(JSON.stringify(r.errors))); return; }
      console.log(JSON.stringify(r.data.newBlocks));
      if (++seen >= n) resolve();
    },
    error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
    complete: () => resolve(),
  });
  console.log(JSON.stringify({ subscribed: true }));
});
clearTimeout(timer);
await client.dispose();
process.exit(0);
