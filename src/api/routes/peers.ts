// OSCP peer routes: state of every configured Capacity Provider / Optimizer (never a token), and for admins a
// fresh Register (token rotation) or Handshake, queued in the adapter's persistent outbox.
import type { ApiContext } from '../context';
import { ConflictProblem, NotFoundProblem } from '../problems';
import { IdParams } from '../request-schemas';
import { defineRoute, none, type Route } from '../route';
import { PeerAction, PeerList } from '../response-schemas';

export function peerRoutes(context: ApiContext): Route[] {
  const act = (action: 'register' | 'handshake') =>
    defineRoute({
      method: 'post',
      path: `/peers/:id/${action}`,
      tag: 'peers',
      summary: action === 'register' ? 'Send the peer a new Register (rotates the token it uses)' : 'Send the peer a Handshake',
      role: 'admin',
      params: IdParams,
      query: none,
      body: none,
      responses: [
        { status: 202, description: 'queued', schema: PeerAction },
        { status: 409, description: 'the peer is not in a state that allows it' },
      ],
      handler: ({ params, principal }) => {
        if (!context.backend.peers().some((p) => p.peerId === params.id)) throw new NotFoundProblem(`no OSCP peer "${params.id}"`);
        try {
          if (action === 'register') context.backend.reRegister(params.id);
          else context.backend.reHandshake(params.id);
        } catch (error) {
          throw new ConflictProblem(error instanceof Error ? error.message : String(error));
        }
        context.logger.info(`OSCP ${action} requested through the operator API`, { peer: params.id, by: principal.name });
        return { status: 202, body: { peerId: params.id, action, status: 'queued' } };
      },
    });
  return [
    defineRoute({
      method: 'get',
      path: '/peers',
      tag: 'peers',
      summary: 'OSCP peers: state, base URL, heartbeat, the groups they serve (never a token)',
      role: 'read',
      params: none,
      query: none,
      body: none,
      responses: [{ status: 200, description: 'configured peers', schema: PeerList }],
      handler: () => ({
        status: 200,
        body: context.backend.peers().map((p) => ({
          id: p.peerId,
          role: p.role,
          state: p.state,
          online: p.online,
          ...(p.baseUrl !== undefined && { baseUrl: p.baseUrl }),
          awaitingRegisterReply: p.awaitingRegisterReply,
          ...(p.heartbeatIntervalS !== undefined && { heartbeatIntervalS: p.heartbeatIntervalS }),
          measurementConfiguration: [...p.measurementConfiguration],
          ...(p.offlineModeAt !== undefined && { offlineModeAt: p.offlineModeAt }),
          updatedAt: p.updatedAt,
          groups: context.groups.filter((g) => g.peerId === p.peerId).map((g) => g.id),
        })),
      }),
    }),
    act('register'),
    act('handshake'),
  ];
}
