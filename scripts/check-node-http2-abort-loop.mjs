/**
 * Does this Node still have the HTTP/2 bug that `src/proxy/upstream-exchange.ts` works around?
 *
 * Without Portcullis code: a child process runs an HTTP/2 server that pipes each request body into
 * undici's h2c pool (through a PassThrough, as a stream body) toward an upstream that reads slowly,
 * and aborts the upstream call when its client leaves. This process is the client: it sends 2 MiB,
 * cancels, and then asks the child to answer a ping. A child caught in the loop (empty DATA frames
 * sent forever, 100 % CPU, memory growing) never answers. Run it on a new Node or undici: once it
 * prints "not affected", the async-iterable body of the exchange is no longer needed.
 *
 * Usage: node scripts/check-node-http2-abort-loop.mjs   (exit 0: not affected, 1: affected)
 */
import { fork } from 'node:child_process';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';

if (process.argv[2] === 'child') {
  const { Pool, buildConnector } = await import('undici');
  const { PassThrough } = await import('node:stream');
  const upstream = http2.createServer();
  upstream.on('stream', (stream) => {
    stream.respond({ ':status': 200 });
    stream.on('data', () => {
      stream.pause();
      setTimeout(() => stream.resume(), 50);
    });
    stream.on('error', () => {});
  });
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const pool = new Pool(`http://127.0.0.1:${upstream.address().port}`, { allowH2: true, useH2c: true, connect: buildConnector({ useH2c: true }) });
  const gateway = http2.createServer();
  gateway.on('request', (req, res) => {
    let controller = null;
    res.on('close', () => {
      if (!res.writableEnded) controller?.abort(new Error('client left'));
    });
    pool.dispatch(
      { path: '/', method: 'POST', body: req.pipe(new PassThrough()) },
      {
        onRequestStart: (c) => (controller = c),
        onResponseStart: (_c, status) => res.writeHead(status),
        onResponseData: (_c, chunk) => res.write(chunk),
        onResponseEnd: () => res.end(),
        onResponseError: () => res.destroy(),
      },
    );
  });
  await new Promise((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  process.on('message', (message) => process.send(message === 'port' ? gateway.address().port : 'pong'));
  process.send('ready');
} else {
  const child = fork(fileURLToPath(import.meta.url), ['child']);
  const next = () => new Promise((resolve) => child.once('message', resolve));
  await next();
  child.send('port');
  const port = await next();
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  const req = session.request({ ':method': 'POST', ':path': '/' });
  req.on('error', () => {});
  req.resume();
  for (let i = 0; i < 32; i++) req.write(Buffer.alloc(64 * 1024, 1));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  req.close(http2.constants.NGHTTP2_CANCEL);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  child.send('ping');
  const answered = await Promise.race([next().then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 3000))]);
  session.destroy();
  child.kill('SIGKILL');
  process.stdout.write(
    answered
      ? `Node ${process.version}: not affected (the child answered after the cancel)\n`
      : `Node ${process.version}: affected (the child stopped answering after the cancel: the HTTP/2 abort loop)\n`,
  );
  process.exit(answered ? 0 : 1);
}
