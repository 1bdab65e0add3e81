// The ceiling for bench/ingest.ts: the least a correct Twilio webhook endpoint must do on this machine —
// Fastify + @fastify/formbody, one route that checks X-Twilio-Signature with the official SDK and answers
// empty TwiML. No storage, no queue, no logging. Started as a child process by the benchmark:
//   PORT=… HOST=127.0.0.1 TWILIO_AUTH_TOKEN=… node bin/run-ts.js bench/bare-server.ts
// Prints one line, "listening <url>", once it accepts connections.
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import twilio from 'twilio';

const token = process.env.TWILIO_AUTH_TOKEN;
if (!token) {
  console.error('bare-server: TWILIO_AUTH_TOKEN is required');
  process.exit(2);
}
const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 0);

const app = Fastify({ logger: false });
await app.register(formbody, { bodyLimit: 64 * 1024 });

let origin = '';
app.post('/webhooks/twilio/messages', async (request, reply) => {
  const sig = request.headers['x-twilio-signature'];
  const params = (request.body ?? {}) as Record<string, string>;
  const ok = typeof sig === 'string' && twilio.validateRequest(token, sig, origin + request.url, params);
  if (!ok) return reply.code(403).type('text/plain').send('invalid signature');
  return reply.code(200).type('text/xml').send('<Response/>');
});

await app.listen({ port, host });
const address = app.server.address();
const boundPort = typeof address === 'object' && address ? address.port : port;
origin = `http://${host}:${boundPort}`;
console.log(`listening ${origin}`);

const stop = () => {
  void app.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
