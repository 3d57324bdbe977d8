/**
 * The ingest benchmark's baseline, run as its own process (`node dist/bench/ingest/bare-server.js`):
 * a bare Express 5 server that parses a claim bundle with express.json (the gateway's media types and
 * body limit) and answers 202 with a small JSON body. No auth, guards, validation, storage or queue:
 * what Express and JSON parsing cost on their own. PORT and BODY_LIMIT_BYTES come from the environment.
 */
import express from 'express';

const port = Number(process.env.PORT ?? 0);
const limit = Number(process.env.BODY_LIMIT_BYTES ?? 10 * 1024 * 1024);

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.post('/fhir/Claim/$submit', express.json({ type: ['application/fhir+json', 'application/json'], limit }), (req, res) => {
  // The answer depends on the parsed body, so the parse is never dead work.
  const entries = Array.isArray((req.body as { entry?: unknown[] } | undefined)?.entry) ? (req.body as { entry: unknown[] }).entry.length : 0;
  res.status(202).json({ resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: `accepted ${entries} entries` }] });
});

const server = app.listen(port, '127.0.0.1', () => {
  console.log(`bare server listening on ${port}`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
