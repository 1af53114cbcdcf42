import type { TransportHandlers } from '../transport/ws.js'
import type { Gate } from './admission.js'
import { Session, type SessionContext } from './session.js'

/** What the transport calls for a server: admission by `gate`, then one {@link Session} per connection. */
export function sessionHandlers(gate: Gate, context: SessionContext): TransportHandlers {
  return {
    admit: (request) => gate.admitUpgrade({ url: request.url ?? '', peer: request.socket.remoteAddress, headers: request.headers }),
    abandoned: (admitted) => admitted.place.release(),
    connect: (peer, admitted) => {
      const session = new Session(peer, admitted.name, context, admitted.expiresAt)
      return {
        receive: (bytes) => session.receive(bytes),
        closed: () => {
          admitted.place.release()
          session.closed()
        }
      }
    }
  }
}
