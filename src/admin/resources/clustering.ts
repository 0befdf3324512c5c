/**
 * The cluster as the Admin API shows it (issue 10 §3): `GET /clustering/nodes` lists every
 * registered node process (live or not: a crashed one stays listed, not live, until purged), and
 * `GET /clustering/events/{id}` says who among the live nodes applied a cluster event — the id a
 * revoke or delete answered with in `Portcullis-Event-Id`. An event is shown by its entity kind,
 * operation and time only: its entity id and data stay out (they may name a key).
 */
import Type from 'typebox';
import type { AdminRoutes } from '../admin-server.js';
import { ErrorResponses } from '../http-schemas.js';
import { pathParam } from '../entity-params.js';
import { NodeRefSchema } from '../propagation-reply.js';
import { readClusterNodes } from '../../cluster/cluster-nodes.js';
import { PortcullisError } from '../../errors/portcullis-error.js';

const Ms = (description: string) => Type.Integer({ description: `${description} (ms since the epoch)` });

const ClusterNodeSchema = Type.Object(
  {
    instance_id: Type.String({ description: 'random at each start of the process: the identity of its cluster events' }),
    node_name: Type.String({ description: 'config node_id, else the host name' }),
    hostname: Type.String(),
    pid: Type.Integer(),
    version: Type.String(),
    addresses: Type.Record(Type.String(), Type.String(), { description: 'listener addresses: proxy, admin, proxy_tls, admin_tls' }),
    started_at: Ms('when the process started'),
    heartbeat_at: Ms('its last heartbeat'),
    applied_event: Type.Integer({ description: 'every cluster event with an id ≤ this one has been applied by the node' }),
    state: Type.Union([Type.Literal('starting'), Type.Literal('ready'), Type.Literal('stopping')]),
    live: Type.Boolean({ description: 'heartbeat within cluster_node_timeout: `?wait=` waits for live nodes only' }),
  },
  { description: 'A node process registered in cluster_nodes' },
);
const ClusterEventSchema = Type.Object(
  {
    id: Type.Integer(),
    entity: Type.String({ description: 'the kind of entity changed, e.g. api_keys, consumers' }),
    operation: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('delete')]),
    created_at: Ms('when it was committed'),
    written_by: Type.String({ description: 'instance id of the process that wrote it' }),
    acknowledged: Type.Array(NodeRefSchema, { description: 'live nodes that applied it' }),
    pending: Type.Array(NodeRefSchema, { description: 'live nodes that have not applied it yet' }),
    complete: Type.Boolean(),
  },
  { description: 'A cluster event and which live nodes applied it' },
);
const EventId = /^[1-9][0-9]{0,14}$/;

export interface ClusteringRoutesDeps {
  /** `cluster_node_timeout`: a heartbeat older than this many ms is not live. */
  readonly nodeTimeout: number;
}

export function clusteringRoutes(deps: ClusteringRoutesDeps): AdminRoutes {
  return (app, kit) => {
    const tags = ['clustering'];
    kit.nameSchema(ClusterNodeSchema, 'ClusterNode');
    kit.nameSchema(ClusterEventSchema, 'ClusterEvent');
    app.get(
      '/clustering/nodes',
      {
        schema: {
          tags,
          summary: 'Every node process registered on this database, live or not',
          description:
            'Every node process that registered on this database: instance id, node name, host, pid, version, addresses, last heartbeat, last event applied and whether it is live (heartbeat within `cluster_node_timeout`).',
          response: { 200: Type.Object({ data: Type.Array(ClusterNodeSchema) }) },
        },
      },
      async () => ({ data: await readClusterNodes(kit.store.db, Date.now(), deps.nodeTimeout) }),
    );
    app.get(
      '/clustering/events/:id',
      {
        schema: {
          tags,
          summary: 'A cluster event (the id a write answered with in Portcullis-Event-Id) and which live nodes applied it',
          description:
            'The cluster event a write answered with in `Portcullis-Event-Id`, and which live nodes have applied it and which not yet; 404 when the event is unknown or pruned.',
          params: Type.Object({ id: Type.String({ maxLength: 32, description: 'the event id: a positive integer' }) }),
          response: { 200: ClusterEventSchema, ...ErrorResponses(400, 404) },
        },
      },
      async (request) => {
        const raw = pathParam(request, 'id');
        if (!EventId.test(raw)) {
          throw new PortcullisError('PC_VALIDATION_FAILED', {
            message: 'id must be a positive integer',
            fields: [{ path: 'id', message: 'must be a positive integer' }],
          });
        }
        const id = Number(raw);
        const [event] = await kit.store.events.since(id - 1, 1);
        if (!event || event.id !== id) throw new PortcullisError('PC_CLUSTER_EVENT_UNKNOWN');
        const status = await kit.propagation.status(id, event.node_id);
        return {
          id,
          entity: event.entity,
          operation: event.operation,
          created_at: event.created_at,
          written_by: event.node_id,
          acknowledged: status.acknowledged,
          pending: status.pending,
          complete: status.complete,
        };
      },
    );
  };
}
