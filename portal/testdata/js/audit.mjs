// Runs graphql-http's serverAudits against a live /graphql and prints one
// JSON line per audit: {id, name, status, reason}. Usage: node audit.mjs URL
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const results = [];
for (const audit of serverAudits({ url })) {
  results.push(await audit.fn());
}
for (const r of results) {
  console.log(JSON.stringify({ id: r.id, name: r.name, status: r.status, reason: r.reason }));
}
