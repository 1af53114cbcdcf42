import type { TransportHandlers } from '../transport/ws.js'
import type { Gate } from './admission.js'
import { Session, type SessionContext } from './session.js'

/** What the transport calls for a server: admission by `gate`, then one {@link Session} per connection. */
export function sessionHandlers(gate: Gate, context: SessionContext): TransportHandlers {
  return {
    admit: (request) => gate.admitUpgrade(request.url ?? '', request.socket.remoteAddress ?? 'unknown'),
    connect: (peer, admitted, reading) => {
      gate.opened(admitted.name)
      const session = new Session(peer, admitted.name, context, reading, admitted.expiresAt)
      return {
        receive: (bytes) => session.receive(bytes),
        closed: () => {
          gate.closed(admitted.name)
          session.closed()
        }
      }
    }
  }
}
