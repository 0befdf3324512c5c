/**
 * A gRPC echo service for tests and benchmarks (TEST-ONLY), on `@grpc/grpc-js`: unary, server
 * streaming, client streaming and bidi methods (echo.proto), in cleartext (h2c) or over TLS. It
 * records the metadata of every call it receives (so a test sees what reached the upstream and
 * that a refused call never did) and the calls its clients cancelled. Every reply carries the
 * trailing metadata `x-echo-trailer: done`; `fail` makes a method end with NOT_FOUND and that message.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const ECHO_PROTO = fileURLToPath(new URL('./echo.proto', import.meta.url));

export interface EchoRequest {
  message?: string;
  payload?: Buffer;
  count?: number;
  fail?: string;
}

export interface EchoReply {
  message: string;
  payload: Buffer;
  metadata: Record<string, string>;
}

/** Messages up to this size pass both ways (the default of grpc-js is 4 MiB received). */
export const MAX_MESSAGE = 16 * 1024 * 1024;
const SIZE_OPTIONS = { 'grpc.max_receive_message_length': MAX_MESSAGE, 'grpc.max_send_message_length': MAX_MESSAGE };

type EchoClientConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => EchoClient;

/** The generated client, typed by hand for the four methods. */
export interface EchoClient extends grpc.Client {
  Unary(request: EchoRequest, metadata: grpc.Metadata, callback: (err: grpc.ServiceError | null, reply?: EchoReply) => void): grpc.ClientUnaryCall;
  ServerStream(request: EchoRequest, metadata: grpc.Metadata): grpc.ClientReadableStream<EchoReply>;
  ClientStream(metadata: grpc.Metadata, callback: (err: grpc.ServiceError | null, reply?: EchoReply) => void): grpc.ClientWritableStream<EchoRequest>;
  Bidi(metadata: grpc.Metadata): grpc.ClientDuplexStream<EchoRequest, EchoReply>;
}

function loadEcho(): { service: grpc.ServiceDefinition; Client: EchoClientConstructor } {
  const definition = protoLoader.loadSync(ECHO_PROTO, { keepCase: true, defaults: true, longs: Number });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { portcullis: { test: { Echo: grpc.ServiceClientConstructor } } };
  const Echo = pkg.portcullis.test.Echo;
  return { service: Echo.service, Client: Echo as unknown as EchoClientConstructor };
}

const { service, Client } = loadEcho();

/** A client of the echo service at `address` (`host:port`). */
export function echoClient(address: string, credentials = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}): EchoClient {
  return new Client(address, credentials, { ...SIZE_OPTIONS, ...options });
}

export interface EchoServer {
  readonly port: number;
  /** Metadata of every call received, in order. */
  readonly calls: Record<string, string>[];
  /** How many calls were cancelled by their client (seen by the server). */
  readonly cancelled: () => number;
  close(): Promise<void>;
}

/** Starts the echo service on loopback: cleartext, or TLS with `tls`' certificate. */
export async function startEchoServer(tls?: { readonly cert: string; readonly key: string }): Promise<EchoServer> {
  const calls: Record<string, string>[] = [];
  let cancelled = 0;
  const seen = (call: { metadata: grpc.Metadata; on(event: 'cancelled', listener: () => void): unknown }) => {
    const metadata = textOf(call.metadata);
    calls.push(metadata);
    call.on('cancelled', () => cancelled++);
    return metadata;
  };
  const trailer = () => {
    const m = new grpc.Metadata();
    m.set('x-echo-trailer', 'done');
    return m;
  };
  const notFound = (message: string) => ({ code: grpc.status.NOT_FOUND, details: message, metadata: trailer() });
  const server = new grpc.Server(SIZE_OPTIONS);
  server.addService(service, {
    Unary(call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, callback: grpc.sendUnaryData<EchoReply>) {
      const metadata = seen(call);
      const { message = '', payload = Buffer.alloc(0), fail = '' } = call.request;
      if (fail !== '') return callback(notFound(fail));
      callback(null, { message, payload, metadata }, trailer());
    },
    ServerStream(call: grpc.ServerWritableStream<EchoRequest, EchoReply>) {
      const metadata = seen(call);
      const { message = '', count = 0, fail = '' } = call.request;
      for (let i = 0; i < count; i++) call.write({ message: `${message} ${i}`, payload: Buffer.alloc(0), metadata });
      if (fail !== '') return call.emit('error', notFound(fail));
      call.end(trailer());
    },
    ClientStream(call: grpc.ServerReadableStream<EchoRequest, EchoReply>, callback: grpc.sendUnaryData<EchoReply>) {
      const metadata = seen(call);
      const parts: string[] = [];
      call.on('data', (request: EchoRequest) => parts.push(request.message ?? ''));
      call.on('end', () => callback(null, { message: parts.join(','), payload: Buffer.alloc(0), metadata }, trailer()));
    },
    Bidi(call: grpc.ServerDuplexStream<EchoRequest, EchoReply>) {
      const metadata = seen(call);
      call.on('data', (request: EchoRequest) => call.write({ message: request.message ?? '', payload: request.payload ?? Buffer.alloc(0), metadata }));
      call.on('end', () => call.end(trailer()));
    },
  });
  const credentials =
    tls === undefined
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }]);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return {
    port,
    calls,
    cancelled: () => cancelled,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())).then(() => server.forceShutdown()),
  };
}

/** The text entries of `metadata` (binary `-bin` ones left out), first value of each. */
function textOf(metadata: grpc.Metadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata.getMap())) if (typeof value === 'string') out[name] = value;
  return out;
}

/** Metadata with the given text entries. */
export function metadataOf(entries: Record<string, string> = {}): grpc.Metadata {
  const m = new grpc.Metadata();
  for (const [name, value] of Object.entries(entries)) m.set(name, value);
  return m;
}

/** Calls Unary; resolves with the reply, the trailing metadata and the status (a failed call resolves too). */
export function unary(client: EchoClient, request: EchoRequest, metadata = metadataOf()): Promise<CallResult<EchoReply>> {
  return new Promise((resolve) => {
    let reply: EchoReply | undefined;
    const call = client.Unary(request, metadata, (err, value) => {
      reply = value;
      if (err !== null) resolve({ reply, code: err.code, details: err.details, trailers: textOf(err.metadata) });
    });
    call.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK) resolve({ reply, code: status.code, details: status.details, trailers: textOf(status.metadata) });
    });
  });
}

export interface CallResult<T> {
  readonly reply: T | undefined;
  readonly code: number;
  readonly details: string;
  readonly trailers: Record<string, string>;
}

/** Reads a server stream to its end: the replies and the final status. */
export function readAll(
  stream: grpc.ClientReadableStream<EchoReply> | grpc.ClientDuplexStream<EchoRequest, EchoReply>,
): Promise<{ replies: EchoReply[]; code: number; details: string; trailers: Record<string, string> }> {
  return new Promise((resolve) => {
    const replies: EchoReply[] = [];
    let final: grpc.StatusObject | null = null;
    let ended = false;
    // An OK call is read once its messages ended too (the status may come first); a failed one ends at its status.
    const settle = () => {
      if (final !== null && (ended || final.code !== grpc.status.OK)) {
        resolve({ replies, code: final.code, details: final.details, trailers: textOf(final.metadata) });
      }
    };
    stream.on('data', (reply: EchoReply) => replies.push(reply));
    stream.on('error', () => undefined);
    stream.on('end', () => {
      ended = true;
      settle();
    });
    stream.on('status', (status: grpc.StatusObject) => {
      final = status;
      settle();
    });
  });
}
