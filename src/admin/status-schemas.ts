/**
 * Response schemas of the node's own endpoints (`/`, `/status`, `/status/ready`, `/metrics`):
 * what the OpenAPI document publishes for them.
 */
import Type from 'typebox';

const Cause = Type.Object({ code: Type.String(), message: Type.String() });
const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

export const NodeInfo = Type.Object({
  tagline: Type.String(),
  version: Type.String(),
  node_id: Type.String({ description: "the node's name (`node_id` in the config, or the host name)" }),
  instance_id: Type.String({ description: 'this process, random at each start: what its cluster events carry' }),
  database: Type.String({ description: 'sqlite or postgres' }),
  plugins: Type.Object({ available_on_server: Type.Array(Type.String()) }),
});

const Events = Type.Object(
  {
    mode: Type.Union([Type.Literal('poll'), Type.Literal('notify')], {
      description: 'poll: reads the event table; notify: PostgreSQL LISTEN with a slow safety poll',
    }),
    connected: Type.Boolean({ description: 'false while the event table (or the LISTEN connection) cannot be read' }),
    caught_up: Type.Boolean({ description: 'every event up to the newest seen has been read since the last (re)connect' }),
    applied_through: Type.Integer({ description: 'every event with an id ≤ this one has been applied by this process' }),
    latest: Type.Union([Type.Integer(), Type.Null()], { description: 'the newest event id in the table; null when the table cannot be read' }),
    lag: Type.Union([Type.Integer(), Type.Null()], { description: 'latest − applied_through: events written but not yet applied here' }),
    last_applied_at: Time,
    failing_since: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'since when reading events fails' }),
  },
  { description: "this node's cluster event stream" },
);

export const Status = Type.Object({
  instance_id: Type.String({ description: 'this process, random at each start' }),
  node_name: Type.String({ description: "the node's name (`node_id` in the config, or the host name)" }),
  server: Type.Object({ connections_active: Type.Integer(), total_requests: Type.Integer() }),
  database: Type.Object({
    dialect: Type.String({ description: 'sqlite or postgres' }),
    reachable: Type.Boolean(),
    writable: Type.Boolean({ description: 'false while a write would fail: database down, file deleted, replaced or read-only, disk full …' }),
    error: Type.Optional(Type.Object(Cause.properties, { description: 'why writes fail, when they do' })),
  }),
  events: Type.Optional(Events),
  memory: Type.Object({ rss_bytes: Type.Integer(), heap_used_bytes: Type.Integer() }),
  keyring: Type.Optional(
    Type.Object({
      complete: Type.Boolean({ description: 'false while a keyring key the database uses is not held by this node, or no key is active' }),
      active: Type.Union([Type.String(), Type.Null()], { description: "the active key's id" }),
      missing: Type.Integer({ description: 'keys the database uses that this node does not hold' }),
      error: Type.Optional(Cause),
    }),
  ),
  workers: Type.Optional(
    Type.Array(
      Type.Object({
        slot: Type.Integer({ description: 'the worker slot, 1…N; a replaced worker keeps its slot' }),
        pid: Type.Union([Type.Integer(), Type.Null()]),
        state: Type.Union([Type.Literal('starting'), Type.Literal('serving'), Type.Literal('stopping'), Type.Literal('restarting')]),
        restarts: Type.Integer({ description: "how often this slot's worker died and was replaced" }),
        applied_through: Type.Integer({ description: 'every cluster event up to this id is applied by the worker' }),
      }),
      { description: 'with `--workers N` (N > 1): the proxy worker processes of this node' },
    ),
  ),
  ready: Type.Boolean(),
  cause: Type.Optional(Type.String({ description: 'why the node is not ready (what `/status/ready` answers)' })),
});

export const Ready = Type.Object({ ready: Type.Literal(true) });
export const Metrics = Type.String({ description: 'Prometheus text exposition format' });
